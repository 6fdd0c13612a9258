"""Kueue's part of the devcluster without starting it: its Configuration, its webhooks and
conversion webhooks pointed at 127.0.0.1 with the cluster's CA, its RBAC, its serving
certificate, and its build target in hack/build-controlplane.sh.
"""

import base64
import re
from pathlib import Path
from typing import Any

from cryptography import x509

from kintern.devcluster import kueue, kueue_manifests, pki
from kintern.devcluster.cluster import ClusterConfig
from kintern.devcluster.layout import Layout, Ports

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "hack" / "build-controlplane.sh"
PORTS = Ports(2379, 2380, 6443, 10257, 10259, 10247, 9443, 8443, 8081)
CA = b"-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"


def _webhook(name: str, group: str, resource: str) -> dict[str, Any]:
    """One webhook as the module's config/components/webhook/manifests.yaml writes it."""
    return {
        "admissionReviewVersions": ["v1"],
        "clientConfig": {
            "service": {"name": "webhook-service", "namespace": "system", "path": f"/{name}"}
        },
        "failurePolicy": "Fail",
        "name": f"{name}.kb.io",
        "rules": [
            {
                "apiGroups": [group],
                "apiVersions": ["v1"],
                "operations": ["CREATE"],
                "resources": [resource],
            }
        ],
        "sideEffects": "None",
    }


MODULE_WEBHOOKS = [
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "mutating-webhook-configuration"},
        "webhooks": [
            _webhook("mjob", "batch", "jobs"),
            _webhook("mpod", "", "pods"),
            _webhook("mworkload", "kueue.x-k8s.io", "workloads"),
            _webhook("mjobset", "jobset.x-k8s.io", "jobsets"),
        ],
    },
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "validating-webhook-configuration"},
        "webhooks": [_webhook("vclusterqueue", "kueue.x-k8s.io", "clusterqueues")],
    },
]


def test_the_build_script_builds_kueue_with_everything_and_prints_its_path() -> None:
    script = BUILD_SCRIPT.read_text()
    all_target = re.search(r"^\s+all\) (.*?);;", script, re.MULTILINE | re.DOTALL)
    assert all_target is not None and "build_kueue" in all_target.group(1)
    assert "KINTERN_KUEUE=$CACHE_ROOT/kueue-$KUEUE_VERSION/kueue" in script


def test_a_cluster_has_no_kueue_unless_asked() -> None:
    assert ClusterConfig(Path("/state")).kueue is False


def test_configuration_serves_on_loopback_and_manages_only_queued_jobs() -> None:
    config = kueue_manifests.configuration(PORTS, Path("/state/kueue/certs"))
    assert config["apiVersion"] == "config.kueue.x-k8s.io/v1beta2"
    assert config["webhook"] == {"host": "127.0.0.1", "port": 9443, "certDir": "/state/kueue/certs"}
    assert config["metrics"]["bindAddress"] == "127.0.0.1:8443"
    assert config["health"]["healthProbeBindAddress"] == "127.0.0.1:8081"
    assert config["manageJobsWithoutQueueName"] is False
    assert config["integrations"]["frameworks"] == ["batch/job"]
    assert config["leaderElection"]["leaderElect"] is False
    assert config["internalCertManagement"]["enable"] is False
    assert config["featureGates"] == {"VisibilityOnDemand": False}


def test_kueue_runs_with_its_config_and_its_own_kubeconfig() -> None:
    install = kueue.KueueInstall(Path("/cache/kueue-v0.17.0/kueue"))
    argv = kueue.argv(install, Layout(Path("/state")))
    assert argv[0] == "/cache/kueue-v0.17.0/kueue"
    assert "--config=/state/kueue/config.yaml" in argv
    assert "--kubeconfig=/state/kubeconfigs/kueue.kubeconfig" in argv
    assert install.manifests == Path("/cache/kueue-v0.17.0/manifests")


def test_webhooks_call_loopback_with_the_cluster_ca_for_the_kinds_kueue_serves() -> None:
    rendered = kueue_manifests.webhook_configurations(MODULE_WEBHOOKS, 9443, CA)
    names = {c["metadata"]["name"]: [w["name"] for w in c["webhooks"]] for c in rendered}
    assert names == {
        "kueue-mutating-webhook-configuration": ["mjob.kb.io", "mworkload.kb.io"],
        "kueue-validating-webhook-configuration": ["vclusterqueue.kb.io"],
    }
    job = rendered[0]["webhooks"][0]
    assert job["clientConfig"] == {
        "url": "https://127.0.0.1:9443/mjob",
        "caBundle": base64.b64encode(CA).decode(),
    }
    assert job["failurePolicy"] == "Fail" and job["rules"][0]["resources"] == ["jobs"]
    assert "service" in MODULE_WEBHOOKS[0]["webhooks"][0]["clientConfig"]  # input untouched


def _crd(plural: str) -> dict[str, Any]:
    return {
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.kueue.x-k8s.io"},
        "spec": {},
    }


def test_multi_version_crds_convert_through_kueue_on_loopback() -> None:
    workloads, flavors = kueue_manifests.crds(
        [_crd("workloads"), _crd("resourceflavors")], 9443, CA
    )
    webhook = workloads["spec"]["conversion"]["webhook"]
    assert workloads["spec"]["conversion"]["strategy"] == "Webhook"
    assert webhook["clientConfig"]["url"] == "https://127.0.0.1:9443/convert"
    assert base64.b64decode(webhook["clientConfig"]["caBundle"]) == CA
    assert "conversion" not in flavors["spec"]


def test_rbac_binds_the_module_roles_to_kueues_service_account() -> None:
    roles = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "manager-role"},
            "rules": [{"verbs": ["get"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "manager-secrets-role", "namespace": "system"},
            "rules": [],
        },
    ]
    manifests = kueue_manifests.rbac(roles)
    by_kind = {(m["kind"], m["metadata"]["name"]): m for m in manifests}
    account = {
        "kind": "ServiceAccount",
        "name": "kueue-controller-manager",
        "namespace": "kueue-system",
    }
    assert ("ServiceAccount", "kueue-controller-manager") in by_kind
    assert by_kind["ClusterRole", "kueue-manager-role"]["rules"] == [{"verbs": ["get"]}]
    assert by_kind["ClusterRoleBinding", "kueue-manager-role"]["subjects"] == [account]
    assert by_kind["Role", "kueue-manager-secrets-role"]["metadata"]["namespace"] == "kueue-system"
    binding = by_kind["RoleBinding", "kueue-manager-secrets-role"]
    assert (
        binding["roleRef"]["kind"] == "Role" and binding["metadata"]["namespace"] == "kueue-system"
    )


def test_the_webhook_certificate_is_for_loopback_and_signed_by_the_cluster_ca(
    tmp_path: Path,
) -> None:
    pki.generate(tmp_path / "pki", {}, "10.96.0.1")
    pair = pki.loopback_serving_pair(
        tmp_path / "pki",
        pki.CertPair(tmp_path / "certs/tls.crt", tmp_path / "certs/tls.key"),
        "kueue-webhook",
    )
    cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    ca = x509.load_pem_x509_certificate((tmp_path / "pki/ca.crt").read_bytes())
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert pair.key.stat().st_mode & 0o077 == 0


def test_the_metrics_certificate_is_written_once_and_kept_while_fresh(tmp_path: Path) -> None:
    pki.generate(tmp_path / "pki", {}, "10.96.0.1")
    target = tmp_path / "etc-kueue"
    kueue.ensure_metrics_cert(tmp_path / "pki", target)
    first = (target / "tls.crt").read_bytes()
    kueue.ensure_metrics_cert(tmp_path / "pki", target)
    assert (target / "tls.crt").read_bytes() == first
    (target / "tls.crt").write_text("not a certificate")
    kueue.ensure_metrics_cert(tmp_path / "pki", target)
    assert (target / "tls.crt").read_bytes() != first
    x509.load_pem_x509_certificate((target / "tls.crt").read_bytes())
