"""The end-to-end tier: Kintern's own images running in real containers on a real
kubelet node (`python -m kintern.devcluster up --real-node`), next to kwok's fake H100
pool, on a cluster of this tier's own.

`real_cluster` (per module: a machine holds one real node at a time) starts that
cluster with the images `make images` built loaded into the node; it needs root, Docker
and the host packages of `make realnode`. If anything is missing it errors with what to
run: nothing is skipped.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kintern.devcluster import ClusterConfig
from kintern.images import SOURCE_LABEL, cpu_images, source_digest
from tests.support.cluster import Cluster, started_cluster

REPO_ROOT = Path(__file__).resolve().parents[2]


def _require_images_of_this_tree(images: list[str]) -> None:
    """The images must be built from the sources under test (make test builds them; a
    pytest run after a code change would otherwise test the code of an earlier build)."""
    wanted = source_digest(REPO_ROOT)
    template = f'{{{{index .Config.Labels "{SOURCE_LABEL}"}}}}'
    for image in images:
        label = subprocess.run(
            ["docker", "image", "inspect", "--format", template, image],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if label.returncode != 0 or label.stdout.strip() != wanted:
            raise AssertionError(
                f"{image} is missing or was built from other sources than this tree: "
                "run `make images-cpu` (make test does it first)"
            )


@pytest.fixture(scope="module")  # one node at a time per machine: gone after its module
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    _require_images_of_this_tree(cpu_images())
    workdir = tmp_path_factory.mktemp("e2e-cluster")
    state_dir = workdir / "state"
    cfg = ClusterConfig(
        state_dir,
        gpu_nodes=1,
        cpu_nodes=0,  # pods without a GPU land on the real node, and run for real
        detach=False,
        real_node=True,
        real_node_images=tuple(cpu_images()),
        timeout_seconds=600,  # a cold node imports the 6 GB trainer image first
    )
    with started_cluster(cfg, workdir) as handle:
        yield handle
