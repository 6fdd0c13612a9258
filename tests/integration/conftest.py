"""Fixtures for tests against the real local control plane (`@pytest.mark.cluster`).

`cluster` (session): one cluster for the whole run, started here with the fake node
pools and Kintern's CRDs, or reused from the admin kubeconfig in KINTERN_KUBECONFIG.
`namespace` (per test): a fresh namespace, deleted afterwards. If the cluster cannot
start, every test that needs it errors with the component's log: nothing is skipped.
Put tests that need a cluster under tests/integration/ so they share this one.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kintern.devcluster import ClusterConfig
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
