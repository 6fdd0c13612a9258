"""The fake node pools and kwok's pod lifecycle, with kube-controller-manager's real Job
controller and kube-scheduler's real placement on top: what the operator's tests rely on.
"""

import json

import pytest
from kubernetes import client

from kintern.devcluster.kwok import completion_annotations
from kintern.devcluster.nodes import GPU_PRODUCT_LABEL, GPU_RESOURCE, H100, POOL_LABEL
from tests.support.cluster import Cluster
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.wait import eventually
from tests.support.workloads import gpu_job

pytestmark = pytest.mark.cluster


def _ready(node: client.V1Node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def _job_condition(cluster: Cluster, namespace: str, name: str) -> client.V1JobCondition | None:
    job = client.BatchV1Api(cluster.api).read_namespaced_job(name, namespace)
    final = ("Complete", "Failed")
    return next((c for c in job.status.conditions or [] if c.type in final), None)


def _running_pod(cluster: Cluster, namespace: str, job: str) -> client.V1Pod | None:
    pods = client.CoreV1Api(cluster.api).list_namespaced_pod(
        namespace, label_selector=f"batch.kubernetes.io/job-name={job}"
    )
    return next((p for p in pods.items if p.status.phase == "Running"), None)


def _create(cluster: Cluster, namespace: str, job: dict) -> None:
    client.BatchV1Api(cluster.api).create_namespaced_job(namespace, job)


def _annotate(cluster: Cluster, pod: client.V1Pod, notes: dict[str, str]) -> None:
    client.CoreV1Api(cluster.api).patch_namespaced_pod(
        pod.metadata.name, pod.metadata.namespace, {"metadata": {"annotations": notes}}
    )


def test_gpu_pool_is_ready_with_eight_h100s_per_node(cluster: Cluster) -> None:
    nodes = client.CoreV1Api(cluster.api).list_node(label_selector=f"{POOL_LABEL}=gpu").items
    assert len(nodes) >= 4
    for node in nodes:
        assert _ready(node), node.metadata.name
        assert node.status.allocatable[GPU_RESOURCE] == "8"
        assert node.metadata.labels[GPU_PRODUCT_LABEL] == H100
        taint = node.spec.taints[0]
        assert (taint.key, taint.value, taint.effect) == (GPU_RESOURCE, "present", "NoSchedule")


def test_kubectl_lists_the_fake_nodes_ready(cluster: Cluster) -> None:
    rows = cluster.kubectl("get", "nodes", "--no-headers").stdout.splitlines()
    statuses = {row.split()[0]: row.split()[1] for row in rows}
    gpu = [name for name in statuses if name.startswith("kwok-gpu-")]
    cpu = [name for name in statuses if name.startswith("kwok-cpu-")]
    assert len(gpu) >= 4 and len(cpu) >= 2
    assert {statuses[name] for name in gpu + cpu} == {"Ready"}


def test_gpu_job_runs_on_an_h100_and_completes_with_its_message(
    cluster: Cluster, namespace: str
) -> None:
    _create(cluster, namespace, gpu_job("train", gpus=8))
    pod = eventually(lambda: _running_pod(cluster, namespace, "train"), "a Running pod")
    node = client.CoreV1Api(cluster.api).read_node(pod.spec.node_name)
    assert node.metadata.labels[GPU_PRODUCT_LABEL] == H100
    assert pod.status.start_time is not None
    assert pod.status.container_statuses[0].state.running is not None

    result = json.dumps({"status": "succeeded", "score": {"value": 0.31}})
    _annotate(cluster, pod, completion_annotations(0, result))
    done = eventually(lambda: _job_condition(cluster, namespace, "train"), "the Job to end")
    assert done.type == "Complete"
    ended = client.CoreV1Api(cluster.api).read_namespaced_pod(pod.metadata.name, namespace)
    terminated = ended.status.container_statuses[0].state.terminated
    assert ended.status.phase == "Succeeded"
    assert (terminated.exit_code, terminated.reason, terminated.message) == (0, "Completed", result)
    assert terminated.started_at <= terminated.finished_at


def test_failed_pod_fails_the_job_with_exit_code_and_reason(
    cluster: Cluster, namespace: str
) -> None:
    _create(cluster, namespace, gpu_job("oom"))
    pod = eventually(lambda: _running_pod(cluster, namespace, "oom"), "a Running pod")
    _annotate(cluster, pod, completion_annotations(137, "CUDA out of memory", "OOMKilled"))
    done = eventually(lambda: _job_condition(cluster, namespace, "oom"), "the Job to end")
    assert (done.type, done.reason) == ("Failed", "BackoffLimitExceeded")
    ended = client.CoreV1Api(cluster.api).read_namespaced_pod(pod.metadata.name, namespace)
    terminated = ended.status.container_statuses[0].state.terminated
    assert ended.status.phase == "Failed"
    assert (terminated.exit_code, terminated.reason) == (137, "OOMKilled")
    assert terminated.message == "CUDA out of memory"


def test_deadline_exceeded_ends_a_job_whose_pod_never_completes(
    cluster: Cluster, namespace: str
) -> None:
    _create(cluster, namespace, gpu_job("slow", deadline_seconds=2))
    done = eventually(lambda: _job_condition(cluster, namespace, "slow"), "the deadline")
    assert (done.type, done.reason) == ("Failed", "DeadlineExceeded")
    eventually(lambda: _running_pod(cluster, namespace, "slow") is None, "the pod to stop")


def test_gpu_pod_without_the_toleration_is_not_scheduled(cluster: Cluster, namespace: str) -> None:
    _create(cluster, namespace, gpu_job("untolerated", tolerate=False))

    def unschedulable() -> bool:
        pods = client.CoreV1Api(cluster.api).list_namespaced_pod(namespace).items
        conditions = [c for p in pods for c in p.status.conditions or []]
        return any(c.type == "PodScheduled" and c.reason == "Unschedulable" for c in conditions)

    eventually(unschedulable, "the scheduler to refuse the pod")


def test_fake_trainer_fails_the_first_attempt_and_completes_the_retry(
    cluster: Cluster, namespace: str
) -> None:
    plan = [Outcome(1, "loss went NaN", after_seconds=0.5), Outcome(0, {"score": 0.4})]
    with FakeTrainer(cluster.api, namespace, {"flaky": plan, "steady": Outcome(0)}) as trainer:
        _create(cluster, namespace, gpu_job("flaky", backoff_limit=1))
        _create(cluster, namespace, gpu_job("steady"))
        for job in ("flaky", "steady"):
            done = eventually(lambda j=job: _job_condition(cluster, namespace, j), f"{job} to end")
            assert done.type == "Complete", job
    assert sorted(o.exit_code for o in trainer.completed.values()) == [0, 0, 1]
