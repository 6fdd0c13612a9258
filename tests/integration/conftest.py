"""Fixtures for tests against the real local control plane (`@pytest.mark.cluster`).

`cluster` (session): one cluster for the whole run, started here with the fake node
pools and Kintern's CRDs, or reused from the admin kubeconfig in KINTERN_KUBECONFIG.
`namespace` (per test): a fresh namespace, deleted afterwards. If the cluster cannot
start, every test that needs it errors with the component's log: nothing is skipped.
Put tests that need a cluster under tests/integration/ so they share this one.

`kueue_cluster` (session): a second cluster, started on first use, with Kueue running
(its webhooks never touch `cluster`), Kintern's CRDs and the H100 ResourceFlavor; or
reused from KINTERN_KUEUE_KUBECONFIG (`python -m kintern.devcluster up --kueue`).
`kueue_queue` (per test): a factory of namespaces with their own ClusterQueue (the GPU
quota the test asks for) and LocalQueue. `kueue_priority_class` (per test): a factory
of WorkloadPriorityClasses. What they make is deleted when the test ends.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kintern.devcluster import ClusterConfig
from tests.support import kueue
from tests.support.cluster import Cluster, started_cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The admin's view of the session's cluster, with the CRDs applied and Established."""
    workdir = tmp_path_factory.mktemp("cluster")
    given = os.environ.get("KINTERN_KUBECONFIG")
    if given:
        handle = Cluster.connect(Path(given), workdir, _state_dir_of(Path(given)))
        handle.apply_crds()
        yield handle
        return
    with started_cluster(ClusterConfig(workdir / "state", detach=False), workdir) as handle:
        yield handle


def _state_dir_of(kubeconfig: Path) -> Path | None:
    """The state directory of a devcluster whose admin kubeconfig this is, if it is one."""
    state_dir = kubeconfig.resolve().parents[1]
    return state_dir if (state_dir / "state.json").exists() else None


@pytest.fixture
def namespace(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace named after the test; deleted (not awaited) when it ends."""
    name = cluster.create_namespace(request.node.name)
    yield name
    cluster.delete_namespace(name)


@pytest.fixture(scope="session")
def kueue_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The admin's view of a cluster with Kueue, the fake H100 pool and its ResourceFlavor
    (`tests.support.kueue.GPU_FLAVOR`), and Kintern's CRDs."""
    workdir = tmp_path_factory.mktemp("kueue-cluster")
    given = os.environ.get("KINTERN_KUEUE_KUBECONFIG")
    if given:
        handle = Cluster.connect(Path(given), workdir, _state_dir_of(Path(given)))
        handle.apply_crds()
        kueue.ensure_gpu_flavor(handle)
        yield handle
        return
    cfg = ClusterConfig(workdir / "state", detach=False, kueue=True)
    with started_cluster(cfg, workdir) as handle:
        kueue.ensure_gpu_flavor(handle)
        yield handle


@pytest.fixture
def kueue_queue(
    kueue_cluster: Cluster, request: pytest.FixtureRequest
) -> Iterator[Callable[..., kueue.KueueQueue]]:
    """`kueue_queue(gpus=8)`: a fresh namespace named after the test, with a ClusterQueue
    of that many GPUs (cpu and memory: plenty; preemption within it: LowerPriority) and
    a LocalQueue, both Active. Optional `cpu=`, `memory=` quotas. Deleted afterwards."""
    made: list[kueue.KueueQueue] = []

    def make(gpus: int, cpu: str = "1000", memory: str = "10Ti") -> kueue.KueueQueue:
        made.append(kueue.create_queue(kueue_cluster, request.node.name, gpus, cpu, memory))
        return made[-1]

    yield make
    for queue in made:
        kueue.delete_queue(kueue_cluster, queue)


@pytest.fixture
def kueue_priority_class(kueue_cluster: Cluster) -> Iterator[Callable[[int], str]]:
    """`kueue_priority_class(1000)`: the name of a new WorkloadPriorityClass of that value,
    for a Job's `kueue.x-k8s.io/priority-class` label. Deleted afterwards."""
    made: list[str] = []

    def make(value: int) -> str:
        made.append(kueue.create_priority_class(kueue_cluster, value))
        return made[-1]

    yield make
    for name in made:
        kueue.delete_priority_class(kueue_cluster, name)
