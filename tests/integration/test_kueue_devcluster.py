"""Kueue in the devcluster (`up --kueue`), with plain batch/v1 Jobs and no Kintern: what
the operator's tests under a queue rely on. Kueue admits a queued Job within the GPU
quota, holds the next one back with a pending Workload, leaves a Job that names no
queue alone, and lets a higher-priority Job preempt a lower one; a Kueue that cannot
start fails `up` with its log.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kintern.api.names import KUEUE_PRIORITY_LABEL, KUEUE_QUEUE_LABEL
from kintern.devcluster import ClusterConfig, ComponentFailed, RunningCluster, up
from kintern.devcluster.kueue import KueueInstall
from kintern.devcluster.nodes import GPU_PRODUCT_LABEL, H100
from tests.support.cluster import Cluster
from tests.support.kueue import (
    KueueQueue,
    condition,
    workload_of_job,
)
from tests.support.wait import eventually
from tests.support.workloads import gpu_job

pytestmark = pytest.mark.cluster


def _queued_job(
    name: str, queue: str | None, gpus: int = 4, priority: str | None = None
) -> dict[str, Any]:
    """A GPU Job created suspended and naming `queue` (and a WorkloadPriorityClass), as the
    operator makes one; or, with no queue, an ordinary Job that starts at once."""
    job = gpu_job(name, gpus=gpus)
    if queue is not None:
        job["metadata"]["labels"] = {KUEUE_QUEUE_LABEL: queue}
        job["spec"]["suspend"] = True
    if priority is not None:
        job["metadata"]["labels"][KUEUE_PRIORITY_LABEL] = priority
    return job


def _job(cluster: Cluster, namespace: str, name: str) -> client.V1Job:
    return client.BatchV1Api(cluster.api).read_namespaced_job(name, namespace)


def _pods(cluster: Cluster, namespace: str, job: str) -> list[client.V1Pod]:
    selector = f"batch.kubernetes.io/job-name={job}"
    return (
        client.CoreV1Api(cluster.api).list_namespaced_pod(namespace, label_selector=selector).items
    )


def _running_pod(cluster: Cluster, namespace: str, job: str) -> client.V1Pod | None:
    return next((p for p in _pods(cluster, namespace, job) if p.status.phase == "Running"), None)


def _node_product(cluster: Cluster, name: str) -> str:
    node = client.CoreV1Api(cluster.api).read_node(name)
    return str((node.metadata.labels or {}).get(GPU_PRODUCT_LABEL))


def _pending(cluster: Cluster, namespace: str, job: str) -> dict[str, Any] | None:
    """The Job's Workload once Kueue has tried it and found no quota for it."""
    workload = workload_of_job(cluster, namespace, job)
    reserved = condition(workload, "QuotaReserved") if workload else None
    return workload if reserved and reserved["status"] == "False" else None


def test_kueue_admits_within_quota_holds_the_rest_and_ignores_unqueued_jobs(
    kueue_cluster: Cluster, kueue_queue: Callable[..., KueueQueue]
) -> None:
    queue = kueue_queue(gpus=4)
    ns, batch = queue.namespace, client.BatchV1Api(kueue_cluster.api)

    batch.create_namespaced_job(ns, _queued_job("admitted", queue.local_queue))
    pod = eventually(lambda: _running_pod(kueue_cluster, ns, "admitted"), "the admitted Job's pod")
    assert _job(kueue_cluster, ns, "admitted").spec.suspend is False
    assert _node_product(kueue_cluster, pod.spec.node_name) == H100
    admitted = workload_of_job(kueue_cluster, ns, "admitted")
    assert admitted is not None
    assert (condition(admitted, "Admitted") or {}).get("status") == "True"

    batch.create_namespaced_job(ns, _queued_job("over-quota", queue.local_queue))
    waiting = eventually(lambda: _pending(kueue_cluster, ns, "over-quota"), "a pending Workload")
    assert (condition(waiting, "Admitted") or {}).get("status") != "True"
    assert _job(kueue_cluster, ns, "over-quota").spec.suspend is True
    assert _pods(kueue_cluster, ns, "over-quota") == []

    batch.create_namespaced_job(ns, _queued_job("unqueued", None))
    eventually(lambda: _running_pod(kueue_cluster, ns, "unqueued"), "the unqueued Job's pod")
    assert _job(kueue_cluster, ns, "unqueued").spec.suspend is not True
    assert workload_of_job(kueue_cluster, ns, "unqueued") is None


def _condition_true(cluster: Cluster, namespace: str, job: str, kind: str) -> dict[str, Any] | None:
    workload = workload_of_job(cluster, namespace, job)
    found = condition(workload, kind) if workload else None
    return found if found and found["status"] == "True" else None


def test_a_higher_priority_job_preempts_a_lower_one_within_the_queue(
    kueue_cluster: Cluster,
    kueue_queue: Callable[..., KueueQueue],
    kueue_priority_class: Callable[[int], str],
) -> None:
    queue = kueue_queue(gpus=4)
    low, high = kueue_priority_class(100), kueue_priority_class(1000)
    ns, batch = queue.namespace, client.BatchV1Api(kueue_cluster.api)
    batch.create_namespaced_job(ns, _queued_job("low", queue.local_queue, priority=low))
    eventually(lambda: _running_pod(kueue_cluster, ns, "low"), "the low-priority Job's pod")

    batch.create_namespaced_job(ns, _queued_job("high", queue.local_queue, priority=high))
    evicted = eventually(
        lambda: _condition_true(kueue_cluster, ns, "low", "Evicted"), "the low Job's eviction"
    )
    assert evicted["reason"] == "Preempted"
    eventually(lambda: _running_pod(kueue_cluster, ns, "high"), "the high-priority Job's pod")
    assert _job(kueue_cluster, ns, "low").spec.suspend is True
    assert _running_pod(kueue_cluster, ns, "low") is None


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_text(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_up_fails_with_kueues_log_and_leaves_nothing_running_when_kueue_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "kueue-install"
    broken.mkdir()
    (broken / "manifests").symlink_to(KueueInstall.locate().manifests)
    binary = broken / "kueue"
    binary.write_text("#!/bin/sh\necho 'invalid configuration: broken on purpose' >&2\nexit 1\n")
    binary.chmod(0o755)
    monkeypatch.setenv("KINTERN_KUEUE", str(binary))
    state = tmp_path / "state"

    with pytest.raises(ComponentFailed, match=r"(?s)kueue exited.*broken on purpose"):
        up(ClusterConfig(state, gpu_nodes=1, cpu_nodes=0, detach=False, kueue=True))
    assert RunningCluster.load(state) is None
    assert _processes_mentioning(str(state)) == []
