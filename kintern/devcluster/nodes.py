"""The fake nodes kwok runs: a GPU pool shaped like H100 servers and a small CPU pool.

`fake_node` is a pure manifest builder; `create_nodes` and `wait_nodes_ready` talk to
the apiserver. Called by `cluster.DevCluster.up`; the scale benchmark asks for more.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client

from kintern.devcluster.components import KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
H100 = "NVIDIA-H100-80GB-HBM3"
POOL_LABEL = "kintern.dev/pool"


@dataclass(frozen=True)
class NodePool:
    """A group of identical fake nodes."""

    name: str
    count: int
    capacity: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[dict[str, str], ...] = ()

    def node_names(self) -> list[str]:
        return [f"kwok-{self.name}-{i}" for i in range(self.count)]


def gpu_pool(count: int = 4) -> NodePool:
    """H100 servers: 8 GPUs each, tainted so that only pods that tolerate GPUs land there."""
    return NodePool(
        name="gpu",
        count=count,
        capacity={GPU_RESOURCE: "8", "cpu": "192", "memory": "2Ti", "pods": "110"},
        labels={GPU_PRODUCT_LABEL: H100},
        taints=({"key": GPU_RESOURCE, "value": "present", "effect": "NoSchedule"},),
    )


def cpu_pool(count: int = 2) -> NodePool:
    """Plain CPU nodes for the operator, the agent and anything else without GPUs."""
    return NodePool(
        name="cpu", count=count, capacity={"cpu": "32", "memory": "128Gi", "pods": "110"}
    )


def fake_node(name: str, pool: NodePool) -> dict[str, Any]:
    """The Node object of one fake node, status included (kwok keeps capacity as given)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE_ANNOTATION: KWOK_NODE_ANNOTATION_VALUE},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
                POOL_LABEL: pool.name,
                **pool.labels,
            },
        },
        "spec": {"taints": [dict(t) for t in pool.taints]},
        "status": {"capacity": dict(pool.capacity), "allocatable": dict(pool.capacity)},
    }


def create_nodes(api: client.ApiClient, pools: list[NodePool], parallelism: int = 4) -> None:
    """Create every node of every pool (a few at a time; the scale benchmark wants 500)."""
    core = client.CoreV1Api(api)
    manifests = [fake_node(n, pool) for pool in pools for n in pool.node_names()]
    with ThreadPoolExecutor(max_workers=parallelism) as pool_executor:
        list(pool_executor.map(core.create_node, manifests))


def _ready_names(api: client.ApiClient) -> set[str]:
    names = set()
    for node in client.CoreV1Api(api).list_node().items:
        conditions = (node.status and node.status.conditions) or []
        if node.metadata and any(c.type == "Ready" and c.status == "True" for c in conditions):
            names.add(str(node.metadata.name))
    return names


def wait_nodes_ready(api: client.ApiClient, names: list[str], timeout: float = 120.0) -> None:
    """Wait until every named node reports Ready; TimeoutError lists the ones that do not."""
    deadline = time.monotonic() + timeout
    missing = set(names)
    while time.monotonic() < deadline:
        missing = set(names) - _ready_names(api)
        if not missing:
            return
        time.sleep(0.5)
    raise TimeoutError(f"fake nodes not Ready after {timeout:.0f}s: {sorted(missing)[:10]}")
