"""What Kueue needs in one devcluster, as pure functions of the manifests that
`hack/build-controlplane.sh kueue` copied from Kueue's module, the ports and the CA: its
Configuration, its webhook configurations and CRD conversion webhooks pointed at
https://127.0.0.1:<port>, and its RBAC bound to its own ServiceAccount.

Called by `kueue.start_kueue`; the unit tests check each rendering without a cluster.
"""

import base64
import copy
from pathlib import Path
from typing import Any

from kintern.devcluster.layout import Ports

Manifest = dict[str, Any]

NAMESPACE = "kueue-system"
SERVICE_ACCOUNT = "kueue-controller-manager"
# Kueue manages plain batch/v1 Jobs here, and only those that name a queue.
FRAMEWORKS = ("batch/job",)
# Webhooks kept from the module's manifests: those of the kinds Kueue serves here. The
# others (Pods, Deployments, JobSets, Ray...) belong to frameworks that are off.
SERVED_API_GROUPS = frozenset({"batch", "kueue.x-k8s.io"})
# Features that need what a devcluster does not run: VisibilityOnDemand serves the
# visibility API on its own port (0.0.0.0 by default) behind an APIService.
DISABLED_FEATURES = ("VisibilityOnDemand",)
# The CRDs whose conversion webhook the module's CRD kustomization turns on.
CONVERTED_CRDS = frozenset(
    {
        f"{plural}.kueue.x-k8s.io"
        for plural in ("localqueues", "clusterqueues", "cohorts", "workloads", "multikueueclusters")
    }
)
# The module's roles, by file: the manager's, the one its metrics endpoint needs to
# authenticate and authorize scrapers, and the one for Secrets in its namespace.
ROLE_FILES = ("role.yaml", "metrics_auth_role.yaml", "manager_secrets_role.yaml")


def configuration(ports: Ports, cert_dir: Path) -> Manifest:
    """Kueue's Configuration (config.kueue.x-k8s.io/v1beta2): every server on 127.0.0.1,
    no leader election, and the webhook certificate from `cert_dir` (tls.crt, tls.key)
    instead of Kueue's internal cert management, whose certificate only names a Service."""
    return {
        "apiVersion": "config.kueue.x-k8s.io/v1beta2",
        "kind": "Configuration",
        "namespace": NAMESPACE,
        "manageJobsWithoutQueueName": False,
        "leaderElection": {"leaderElect": False},
        "internalCertManagement": {"enable": False},
        "webhook": {"host": "127.0.0.1", "port": ports.kueue_webhook, "certDir": str(cert_dir)},
        "metrics": {"bindAddress": f"127.0.0.1:{ports.kueue_metrics}"},
        "health": {"healthProbeBindAddress": f"127.0.0.1:{ports.kueue_health}"},
        "clientConnection": {"qps": 50, "burst": 100},
        "integrations": {"frameworks": list(FRAMEWORKS)},
        "featureGates": dict.fromkeys(DISABLED_FEATURES, False),
    }


def _client_config(webhook_port: int, path: str, ca_pem: bytes) -> Manifest:
    return {
        "url": f"https://127.0.0.1:{webhook_port}{path}",
        "caBundle": base64.b64encode(ca_pem).decode(),
    }


def _served(webhook: Manifest) -> bool:
    groups = {g for rule in webhook.get("rules", []) for g in rule.get("apiGroups", [])}
    return bool(groups) and groups <= SERVED_API_GROUPS


def webhook_configurations(
    documents: list[Manifest], webhook_port: int, ca_pem: bytes
) -> list[Manifest]:
    """The module's Mutating/ValidatingWebhookConfigurations, cut to the kinds Kueue
    serves here, each webhook calling https://127.0.0.1:<port><its path> with the CA."""
    rendered = []
    for document in documents:
        if not document or not document["kind"].endswith("WebhookConfiguration"):
            continue
        config = copy.deepcopy(document)
        config["metadata"]["name"] = f"kueue-{config['metadata']['name']}"
        config["webhooks"] = [
            {
                **w,
                "clientConfig": _client_config(
                    webhook_port, w["clientConfig"]["service"]["path"], ca_pem
                ),
            }
            for w in config["webhooks"]
            if _served(w)
        ]
        rendered.append(config)
    return rendered


def crds(documents: list[Manifest], webhook_port: int, ca_pem: bytes) -> list[Manifest]:
    """Kueue's CRDs, those with several API versions converted by its webhook at
    https://127.0.0.1:<port>/convert, as the module's kustomization would set up."""
    rendered = []
    for document in documents:
        crd = copy.deepcopy(document)
        if crd["metadata"]["name"] in CONVERTED_CRDS:
            crd["spec"]["conversion"] = {
                "strategy": "Webhook",
                "webhook": {
                    "clientConfig": _client_config(webhook_port, "/convert", ca_pem),
                    "conversionReviewVersions": ["v1"],
                },
            }
        rendered.append(crd)
    return rendered


def _binding(role: Manifest) -> Manifest:
    """A binding of `role` (a ClusterRole or a Role) to Kueue's ServiceAccount."""
    account = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": f"{role['kind']}Binding",
        "metadata": dict(role["metadata"]),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role["kind"],
            "name": role["metadata"]["name"],
        },
        "subjects": [account],
    }


def rbac(roles: list[Manifest]) -> list[Manifest]:
    """Kueue's namespace and ServiceAccount, and the module's ClusterRoles and Roles,
    named `kueue-<name>` as its kustomization names them, each bound to that account."""
    manifests: list[Manifest] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE},
        },
    ]
    for role in roles:
        metadata = {"name": f"kueue-{role['metadata']['name']}"}
        if role["kind"] == "Role":
            metadata["namespace"] = NAMESPACE
        renamed = {**copy.deepcopy(role), "metadata": metadata}
        manifests += [renamed, _binding(renamed)]
    return manifests
