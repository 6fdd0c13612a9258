"""charts/kintern on the real local control plane: installed under the restricted Pod
Security Standard, every rendered manifest accepted by a server-side dry run, and
uninstalled without leftovers."""

from pathlib import Path

import pytest
import yaml
from kubernetes import client

from tests.support.cluster import Cluster
from tests.support.helm import CI_VALUES, Helm, helm_binary, manifests
from tests.support.releases import installed
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}


def _operator_pod(cluster: Cluster, namespace: str) -> client.V1Pod | None:
    pods = client.CoreV1Api(cluster.api).list_namespaced_pod(
        namespace, label_selector="app.kubernetes.io/component=operator"
    )
    return pods.items[0] if pods.items else None


def test_install_admits_the_operator_pod_under_restricted_pod_security(cluster: Cluster) -> None:
    with installed(cluster, "chart-install", namespace_labels=RESTRICTED) as release:
        cluster.kubectl(
            "rollout",
            "status",
            f"deployment/{release.name}",
            "-n",
            release.namespace,
            "--timeout=90s",
        )
        pod = eventually(lambda: _operator_pod(cluster, release.namespace), "the operator pod")
        assert pod.spec and pod.spec.service_account_name == release.service_account
        events = cluster.kubectl("get", "events", "-n", release.namespace).stdout
        assert "violates PodSecurity" not in events
        refused = cluster.kubectl(
            "run", "unconfined", "--image=busybox", "-n", release.namespace, check=False
        )
        assert "violates PodSecurity" in refused.stderr  # the namespace does enforce it
        status = release.helm.run("status", release.name, f"--namespace={release.namespace}")
        assert "STATUS: deployed" in status.stdout
        role = client.RbacAuthorizationV1Api(cluster.api).read_cluster_role(release.name)
        assert role.rules
    names = [
        r.metadata and r.metadata.name
        for r in client.RbacAuthorizationV1Api(cluster.api).list_cluster_role().items
    ]
    assert release.name not in names and f"{release.name}-discovery" not in names


@pytest.mark.parametrize(
    "values_file", [None, *CI_VALUES], ids=lambda p: p.stem if p else "defaults"
)
def test_every_manifest_passes_a_server_side_dry_run(
    cluster: Cluster, namespace: str, values_file: Path | None
) -> None:
    """The apiserver itself validates each object (the Prometheus Operator's kinds need
    its CRDs, which this cluster lacks; tests/chart checks those)."""
    helm = Helm(helm_binary())
    values = {
        "operator.watchNamespaces": [namespace],
        "dashboard.namespace": namespace,
        "fullnameOverride": f"dry-{namespace}",
    }
    rendered = helm.template(
        [values_file] if values_file else [], values, release="dry", namespace=namespace
    ).stdout
    docs = [d for d in manifests(rendered) if not d["apiVersion"].startswith("monitoring.")]
    applied = cluster.kubectl(
        "apply",
        "--dry-run=server",
        "-n",
        namespace,
        "-f",
        "-",
        stdin=yaml.safe_dump_all(docs),
    )
    assert applied.stdout.count("(server dry run)") == len(docs), applied.stdout
