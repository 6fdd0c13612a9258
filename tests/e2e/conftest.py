"""The end-to-end tier: Kintern's own images running in real containers on a real
kubelet node (`python -m kintern.devcluster up --real-node`), next to kwok's fake H100
pool, on a cluster of this tier's own.

`real_cluster` (per module: a machine holds one real node at a time) starts that
cluster with the images `make images` built loaded into the node; it needs root, Docker
and the host packages of `make realnode`. If anything is missing it errors with what to
run: nothing is skipped.
"""

from collections.abc import Iterator

import pytest

from kintern.devcluster import ClusterConfig
from kintern.images import all_images
from tests.support.cluster import Cluster, started_cluster


@pytest.fixture(scope="module")  # one node at a time per machine: gone after its module
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("e2e-cluster")
    state_dir = workdir / "state"
    cfg = ClusterConfig(
        state_dir,
        gpu_nodes=1,
        cpu_nodes=0,  # pods without a GPU land on the real node, and run for real
        detach=False,
        real_node=True,
        real_node_images=tuple(all_images()),
        timeout_seconds=600,  # a cold node imports the 6 GB trainer image first
    )
    with started_cluster(cfg, workdir) as handle:
        yield handle
