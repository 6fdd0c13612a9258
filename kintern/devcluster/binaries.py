"""Finds the control-plane binaries that `hack/build-controlplane.sh` cached by version.

The versions here must match the script's defaults (a unit test compares them). The
environment variables the script prints (KINTERN_ETCD, KINTERN_KUBE_BIN, KINTERN_KWOK)
override the cache layout.
"""

import os
from dataclasses import dataclass
from pathlib import Path

K8S_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
HELM_VERSION = "v4.3.1"
KUEUE_VERSION = "v0.17.0"


class BinariesMissing(RuntimeError):
    """A control-plane binary is not built yet."""


def cache_root() -> Path:
    """The directory holding `<name>-<version>/` build outputs (as the build script does)."""
    explicit = os.environ.get("KINTERN_CACHE_DIR")
    if explicit:
        base = Path(explicit)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kintern"
    return base / "controlplane"


@dataclass(frozen=True)
class Binaries:
    """Paths of the executables one cluster runs."""

    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    kwok: Path

    @classmethod
    def locate(cls) -> "Binaries":
        """The cached binaries, or BinariesMissing naming what to build."""
        root = cache_root()
        kube = Path(os.environ.get("KINTERN_KUBE_BIN") or root / f"kubernetes-{K8S_VERSION}")
        found = cls(
            etcd=Path(os.environ.get("KINTERN_ETCD") or root / f"etcd-{ETCD_VERSION}/etcd"),
            kube_apiserver=kube / "kube-apiserver",
            kube_controller_manager=kube / "kube-controller-manager",
            kube_scheduler=kube / "kube-scheduler",
            kwok=Path(os.environ.get("KINTERN_KWOK") or root / f"kwok-{KWOK_VERSION}/kwok"),
        )
        missing = [str(p) for p in vars(found).values() if not os.access(p, os.X_OK)]
        if missing:
            raise BinariesMissing(
                "control-plane binaries not built: "
                + ", ".join(missing)
                + " (run `make controlplane`, or hack/build-controlplane.sh)"
            )
        return found
