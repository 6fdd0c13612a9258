"""Kueue on a test cluster: the ResourceFlavor of the fake H100 pool, a namespace with its
own ClusterQueue (a GPU quota) and LocalQueue, WorkloadPriorityClasses, and reads of the
Workloads Kueue makes for Jobs.

Used by the `kueue_cluster`, `kueue_queue` and `kueue_priority_class` fixtures in
tests/integration/conftest.py.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from kintern.devcluster.nodes import GPU_RESOURCE, gpu_pool
from tests.support.cluster import Cluster
from tests.support.wait import eventually

GROUP, VERSION = "kueue.x-k8s.io", "v1beta2"
GPU_FLAVOR = "h100"

Manifest = dict[str, Any]


def gpu_flavor() -> Manifest:
    """The ResourceFlavor of the fake H100 pool: its node labels, and tolerations of its
    taints (Kueue adds both to the pods of the Jobs it admits on this flavor)."""
    pool = gpu_pool(0)
    tolerations = [{**taint, "operator": "Equal"} for taint in pool.taints]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ResourceFlavor",
        "metadata": {"name": GPU_FLAVOR},
        "spec": {"nodeLabels": dict(pool.labels), "tolerations": tolerations},
    }


def cluster_queue(name: str, namespace: str, gpus: int, cpu: str, memory: str) -> Manifest:
    """A ClusterQueue for one namespace's LocalQueues: `gpus` H100s, and within it a
    higher-priority Workload preempts lower-priority ones."""
    quotas = {"cpu": cpu, "memory": memory, GPU_RESOURCE: str(gpus)}
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ClusterQueue",
        "metadata": {"name": name},
        "spec": {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
            "preemption": {"withinClusterQueue": "LowerPriority"},
            "resourceGroups": [
                {
                    "coveredResources": list(quotas),
                    "flavors": [
                        {
                            "name": GPU_FLAVOR,
                            "resources": [
                                {"name": r, "nominalQuota": q} for r, q in quotas.items()
                            ],
                        }
                    ],
                }
            ],
        },
    }


@dataclass(frozen=True)
class KueueQueue:
    """A test's namespace and the queues its Jobs name (`compute.queueName`)."""

    namespace: str
    cluster_queue: str
    local_queue: str


def _objects(cluster: Cluster) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(cluster.api)


def _active(obj: Any) -> bool:
    conditions = obj.get("status", {}).get("conditions", [])
    return any(c["type"] == "Active" and c["status"] == "True" for c in conditions)


def ensure_gpu_flavor(cluster: Cluster) -> None:
    """Create the H100 ResourceFlavor unless it is there (a reused cluster has it)."""
    try:
        _objects(cluster).create_cluster_custom_object(
            GROUP, VERSION, "resourceflavors", gpu_flavor()
        )
    except client.ApiException as err:
        if err.status != 409:
            raise


def create_queue(
    cluster: Cluster, hint: str, gpus: int, cpu: str = "1000", memory: str = "10Ti"
) -> KueueQueue:
    """A fresh namespace with a ClusterQueue of `gpus` GPUs (and plenty of CPU and memory)
    and a LocalQueue pointing at it, both Active before it returns."""
    namespace = cluster.create_namespace(hint)
    queue = KueueQueue(namespace, f"cq-{namespace}", "queue")
    objects = _objects(cluster)
    objects.create_cluster_custom_object(
        GROUP,
        VERSION,
        "clusterqueues",
        cluster_queue(queue.cluster_queue, namespace, gpus, cpu, memory),
    )
    local = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "LocalQueue",
        "metadata": {"name": queue.local_queue, "namespace": namespace},
        "spec": {"clusterQueue": queue.cluster_queue},
    }
    objects.create_namespaced_custom_object(GROUP, VERSION, namespace, "localqueues", local)
    eventually(
        lambda: _active(
            objects.get_namespaced_custom_object(
                GROUP, VERSION, namespace, "localqueues", queue.local_queue
            )
        ),
        f"LocalQueue {namespace}/{queue.local_queue} to be Active",
    )
    return queue


def delete_queue(cluster: Cluster, queue: KueueQueue) -> None:
    """Delete the namespace and its ClusterQueue without waiting for them to go."""
    cluster.delete_namespace(queue.namespace)
    _objects(cluster).delete_cluster_custom_object(
        GROUP, VERSION, "clusterqueues", queue.cluster_queue
    )


def create_priority_class(cluster: Cluster, value: int, hint: str = "priority") -> str:
    """A new WorkloadPriorityClass of `value` (higher preempts lower); returns its name,
    for a Job's `kueue.x-k8s.io/priority-class` label."""
    name = f"{hint}-{value}-{uuid.uuid4().hex[:6]}"
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "WorkloadPriorityClass",
        "metadata": {"name": name},
        "value": value,
        "description": f"test priority {value}",
    }
    _objects(cluster).create_cluster_custom_object(GROUP, VERSION, "workloadpriorityclasses", body)
    return name


def delete_priority_class(cluster: Cluster, name: str) -> None:
    _objects(cluster).delete_cluster_custom_object(GROUP, VERSION, "workloadpriorityclasses", name)


def workloads(cluster: Cluster, namespace: str) -> list[Manifest]:
    """The Workloads in `namespace`."""
    listed: Any = _objects(cluster).list_namespaced_custom_object(
        GROUP, VERSION, namespace, "workloads"
    )
    return list(listed["items"])


def workload_of_job(cluster: Cluster, namespace: str, job: str) -> Manifest | None:
    """The Workload Kueue made for Job `job` (its owner), or None if there is none."""
    for workload in workloads(cluster, namespace):
        owners = workload["metadata"].get("ownerReferences", [])
        if any(o["kind"] == "Job" and o["name"] == job for o in owners):
            return workload
    return None


def condition(workload: Manifest, kind: str) -> Manifest | None:
    """A Workload's status condition of type `kind` (QuotaReserved, Admitted, Evicted...)."""
    conditions = workload.get("status", {}).get("conditions", [])
    return next((c for c in conditions if c["type"] == kind), None)
