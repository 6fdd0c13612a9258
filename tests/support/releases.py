"""charts/kintern installed on the tests' cluster: a release in its own namespace, with
the operator's ServiceAccount credentials (TokenRequest) for running the operator as
the chart would, and an uninstall that leaves nothing cluster-scoped behind.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.cluster import Cluster
from tests.support.helm import Helm, helm_binary


@dataclass(frozen=True)
class Release:
    """One installed release; the operator's objects are named `name` (fullnameOverride)."""

    name: str
    namespace: str
    helm: Helm

    @property
    def service_account(self) -> str:
        return self.name

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"

    def operator_kubeconfig(self, cluster: Cluster) -> Path:
        """A kubeconfig holding a token of the chart's ServiceAccount, and nothing more."""
        return cluster.service_account_kubeconfig(self.namespace, self.service_account)


@contextmanager
def installed(
    cluster: Cluster,
    hint: str,
    values: Mapping[str, Any] | None = None,
    namespace_labels: Mapping[str, str] | None = None,
) -> Iterator[Release]:
    """`helm install` into a fresh namespace (labelled as given first); uninstalled and
    the namespace deleted after."""
    namespace = cluster.create_namespace(hint)
    if namespace_labels:
        pairs = [f"{k}={v}" for k, v in namespace_labels.items()]
        cluster.kubectl("label", "namespace", namespace, *pairs)
    release = Release(namespace, namespace, Helm(helm_binary(), cluster.kubeconfig))
    # The session's cluster has the CRDs and admission policies of crds/ already (the
    # fixture applies them, and they are cluster-scoped): a release must not own them.
    defaults = {"fullnameOverride": release.name, "admissionPolicies.enabled": False}
    values = {**defaults, **(values or {})}
    release.helm.install(release.name, namespace, values, skip_crds=True)
    try:
        yield release
    finally:
        release.helm.uninstall(release.name, namespace)
        cluster.delete_namespace(namespace)
