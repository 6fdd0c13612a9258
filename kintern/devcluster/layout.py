"""Where one cluster keeps its files, and which ports it listens on.

The state directory holds `state.json` (ports and the processes `down` must stop),
`pki/`, `kubeconfigs/`, `logs/<component>.log`, `etcd/` (data), `kwok.yaml` and, with
Kueue, `kueue/`.
"""

from dataclasses import dataclass
from pathlib import Path

SERVICE_CIDR = "10.96.0.0/16"
KUBERNETES_SERVICE_IP = "10.96.0.1"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"


@dataclass(frozen=True)
class Ports:
    """The loopback ports of one cluster."""

    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int
    # Kueue's webhook server, metrics and health probes: 0 when the cluster has no Kueue.
    kueue_webhook: int = 0
    kueue_metrics: int = 0
    kueue_health: int = 0

    @property
    def server(self) -> str:
        """The apiserver URL clients use."""
        return f"https://127.0.0.1:{self.apiserver}"


@dataclass(frozen=True)
class Layout:
    """The file paths inside a state directory."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def kwok_config(self) -> Path:
        return self.root / "kwok.yaml"

    @property
    def kueue(self) -> Path:
        """Kueue's configuration, serving certificate and rendered manifests."""
        return self.root / "kueue"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.kubeconfig("admin")

    def kubeconfig(self, component: str) -> Path:
        """The kubeconfig a component (or the admin) uses."""
        return self.root / "kubeconfigs" / f"{component}.kubeconfig"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"
