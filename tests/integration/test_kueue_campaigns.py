"""Campaigns whose runs go through Kueue, on the real control plane with Kueue running:
the runs wait for quota, start when Kueue admits them, are charged only while they run,
and survive preemption and an operator restart without a duplicate Job.

The operator runs as a real process; runs are proposed by the test (as an agent would);
kwok runs the pods on fake H100 nodes and the fake trainer ends them when the test says.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from kubernetes import client

from kintern.api.names import KUEUE_PRIORITY_LABEL, KUEUE_QUEUE_LABEL
from kintern.api.times import parse_time
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, condition, events_for, result_message
from tests.support.kueue import KueueQueue
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually
from tests.support.workloads import gpu_job

pytestmark = pytest.mark.cluster

DONE = Outcome(0, result_message(0.4))


@pytest.fixture
def queue(kueue_queue) -> KueueQueue:
    """A namespace whose LocalQueue draws from a ClusterQueue of 8 GPUs."""
    return kueue_queue(gpus=8)


@pytest.fixture
def operator(kueue_cluster, queue, tmp_path) -> Iterator[OperatorProcess]:
    with OperatorProcess(kueue_cluster.kubeconfig, queue.namespace, tmp_path) as process:
        yield process


def _campaign(api: KinternApi, queue: KueueQueue | None, **overrides: Any) -> None:
    queued = {"compute.queueName": queue.local_queue} if queue else {}
    api.create_campaign(
        **{
            "compute.gpusPerRun": 4,
            "budget.gpuHours": 100,
            "budget.maxConcurrentRuns": 3,
            **queued,
            **overrides,
        }
    )
    api.wait_campaign("Running")


def _jobs_of(cluster, namespace: str, run: str) -> list[client.V1Job]:
    jobs = client.BatchV1Api(cluster.api).list_namespaced_job(
        namespace, label_selector=f"kintern.dev/run={run}"
    )
    return list(jobs.items)


def _workloads(cluster, namespace: str) -> list[dict[str, Any]]:
    listed = client.CustomObjectsApi(cluster.api).list_namespaced_custom_object(
        "kueue.x-k8s.io", "v1beta2", namespace, "workloads"
    )
    return list(listed["items"])


def _if_waiting_for_quota(run: dict[str, Any]) -> dict[str, Any] | None:
    return run if _waiting_for_quota(run) else None


def _waiting_for_quota(run: dict[str, Any]) -> bool:
    admitted = condition(run, "Admitted") or {}
    return run["status"].get("phase") == "Queued" and admitted.get("reason") == "WaitingForQuota"


def test_a_quota_of_8_gpus_runs_two_4_gpu_runs_and_the_third_waits_until_one_ends(
    kueue_cluster, queue, operator
) -> None:
    ns = queue.namespace
    api = KinternApi(kueue_cluster.api, ns)
    _campaign(api, queue)
    for name in ("demo-r001", "demo-r002", "demo-r003"):
        api.create_run(name)
    for name in ("demo-r001", "demo-r002"):
        running = api.wait_run(name, "Running")
        assert condition(running, "Admitted")["reason"] == "AdmittedByQueue"
    waiting = eventually(
        lambda: _if_waiting_for_quota(api.run("demo-r003")),
        "demo-r003 waiting for quota",
    )
    assert waiting["status"]["message"] == f"waiting for quota in LocalQueue {queue.local_queue}"
    assert waiting["status"].get("gpuHours", 0) == 0 and not waiting["status"].get("startTime")
    (job,) = _jobs_of(kueue_cluster, ns, "demo-r003")
    assert job.spec.suspend is True  # Kueue holds it: no pod, no GPU
    campaign = eventually(
        lambda: (c := api.campaign())["status"]["usage"]["runs"].get("waitingForQuota") == 1 and c,
        "the campaign to count the waiting run",
    )
    assert f"1 waiting for quota in LocalQueue {queue.local_queue}" in campaign["status"]["message"]

    with FakeTrainer(kueue_cluster.api, ns, {"trun-demo-r001": DONE}):
        api.wait_run("demo-r001", "Succeeded")
        admitted = api.wait_run("demo-r003", "Running")
    assert condition(admitted, "Admitted")["status"] == "True"
    assert api.run("demo-r002")["status"]["phase"] == "Running"
    with FakeTrainer(kueue_cluster.api, ns, {}, default=DONE):
        for name in ("demo-r002", "demo-r003"):
            done = api.wait_run(name, "Succeeded")
            assert len(_jobs_of(kueue_cluster, ns, name)) == 1
    assert "WaitingForQuota" in events_for(kueue_cluster.api, ns, "demo-r003")
    assert done["status"]["preemptions"] == 0


def test_maxconcurrentruns_holds_when_it_is_tighter_than_the_quota(
    kueue_cluster, queue, operator
) -> None:
    ns = queue.namespace
    api = KinternApi(kueue_cluster.api, ns)
    _campaign(api, queue, **{"compute.gpusPerRun": 1, "budget.maxConcurrentRuns": 1})
    api.create_run("demo-r001")
    api.create_run("demo-r002")
    api.wait_run("demo-r001", "Running")
    second = api.wait_run("demo-r002", "Queued")
    assert second["status"]["message"] == "waiting for a slot: 1/1 runs running"
    assert _jobs_of(kueue_cluster, ns, "demo-r002") == []  # 8 GPUs free, but one at a time


@pytest.mark.parametrize("on_preemption", ["Requeue", "Fail"])
def test_a_higher_priority_job_preempts_a_run_which_is_charged_exactly_the_time_it_ran(
    kueue_cluster, queue, operator, kueue_priority_class, on_preemption
) -> None:
    ns = queue.namespace
    low, high = kueue_priority_class(100), kueue_priority_class(1000)
    api = KinternApi(kueue_cluster.api, ns)
    overrides = {"compute.workloadPriorityClass": low, "compute.onPreemption": on_preemption}
    _campaign(api, queue, **{"compute.gpusPerRun": 8, **overrides})
    api.create_run("demo-r001")
    first = eventually(
        lambda: api.run("demo-r001").get("status", {}).get("startTime"), "the pod to start"
    )
    (job,) = _jobs_of(kueue_cluster, ns, "demo-r001")
    assert job.metadata.labels[KUEUE_PRIORITY_LABEL] == low

    urgent = gpu_job("urgent", gpus=8)
    urgent["metadata"]["labels"] = {
        KUEUE_QUEUE_LABEL: queue.local_queue,
        KUEUE_PRIORITY_LABEL: high,
    }
    client.BatchV1Api(kueue_cluster.api).create_namespaced_job(ns, urgent)
    if on_preemption == "Fail":
        failed = _wait_run(kueue_cluster, api, "demo-r001", "Failed")["status"]
        assert failed["failureReason"] == "Preempted"
        assert failed["result"]["diagnosis"]["kind"] == "preempted"
        ran = parse_time(failed["completionTime"]) - parse_time(failed["startTime"])
        assert failed["startTime"] == first and ran.total_seconds() >= 0
        assert failed["gpuHours"] == pytest.approx(8 * ran.total_seconds() / 3600, abs=1e-6)
        eventually(lambda: _jobs_of(kueue_cluster, ns, "demo-r001") == [], "the Job deleted")
        assert "Preempted" in events_for(kueue_cluster.api, ns, "demo-r001")
        return

    evicted_at = eventually(lambda: _held_since(kueue_cluster, ns, "demo-r001"), "the eviction")
    first_attempt = 8 * (evicted_at - parse_time(first)).total_seconds() / 3600

    requeued = eventually(
        lambda: (r := api.run("demo-r001")).get("status", {}).get("preemptions") == 1 and r,
        "the run requeued",
    )
    assert _waiting_for_quota(requeued) and not requeued["status"].get("startTime")
    assert requeued["status"]["preemptedGpuHours"] == pytest.approx(first_attempt, abs=1e-6)
    assert "Preempted" in events_for(kueue_cluster.api, ns, "demo-r001")
    with FakeTrainer(kueue_cluster.api, ns, {"urgent": DONE}):
        second = eventually(
            lambda: api.run("demo-r001").get("status", {}).get("startTime"), "the second attempt"
        )
    with FakeTrainer(kueue_cluster.api, ns, {"trun-demo-r001": DONE}):
        done = api.wait_run("demo-r001", "Succeeded")
    finished = parse_time(done["status"]["completionTime"])
    second_attempt = 8 * (finished - parse_time(second)).total_seconds() / 3600
    assert done["status"]["preemptions"] == 1
    assert done["status"]["gpuHours"] == pytest.approx(first_attempt + second_attempt, abs=1e-6)
    assert len(_jobs_of(kueue_cluster, ns, "demo-r001")) == 1  # the same Job, readmitted


def _wait_run(cluster, api: KinternApi, name: str, phase: str) -> dict[str, Any]:
    """The run once in `phase`; if it never gets there, a failure that shows the run's
    status and its Job's conditions, which say who did not act."""
    try:
        return api.wait_run(name, phase)
    except TimeoutError as err:
        jobs = [
            (j.spec.suspend, j.status.conditions) for j in _jobs_of(cluster, api.namespace, name)
        ]
        raise AssertionError(
            f"{err}\nrun status: {api.run(name).get('status')}\njobs: {jobs}"
        ) from err


def _held_since(cluster, namespace: str, run: str) -> datetime | None:
    """When Kueue suspended the run's Job again, per the Job controller's condition."""
    jobs = _jobs_of(cluster, namespace, run)
    if not jobs or not jobs[0].spec.suspend:
        return None
    for cond in jobs[0].status.conditions or []:
        if cond.type == "Suspended" and cond.status == "True":
            return cond.last_transition_time
    return None


def test_a_campaign_without_a_queue_on_the_same_cluster_behaves_as_before(
    kueue_cluster, queue, operator
) -> None:
    ns = queue.namespace
    api = KinternApi(kueue_cluster.api, ns)
    _campaign(api, None)
    api.create_run("demo-r001")
    running = api.wait_run("demo-r001", "Running")
    assert condition(running, "Admitted") is None
    (job,) = _jobs_of(kueue_cluster, ns, "demo-r001")
    assert job.spec.suspend is False and KUEUE_QUEUE_LABEL not in (job.metadata.labels or {})
    with FakeTrainer(kueue_cluster.api, ns, {"trun-demo-r001": DONE}):
        api.wait_run("demo-r001", "Succeeded")
    assert _workloads(kueue_cluster, ns) == []  # Kueue never took it


def test_a_deadline_ends_runs_still_waiting_for_quota(kueue_cluster, kueue_queue, tmp_path) -> None:
    small = kueue_queue(gpus=4)
    ns = small.namespace
    with OperatorProcess(kueue_cluster.kubeconfig, ns, tmp_path):
        _deadline_passes_while_waiting(kueue_cluster, small)


def _deadline_passes_while_waiting(kueue_cluster, small: KueueQueue) -> None:
    ns = small.namespace
    api = KinternApi(kueue_cluster.api, ns)
    _campaign(api, small, **{"budget.deadline": "20s"})
    api.create_run("demo-r001")
    api.create_run("demo-r002")
    api.wait_run("demo-r001", "Running")
    eventually(lambda: _waiting_for_quota(api.run("demo-r002")), "demo-r002 waiting")
    failed = api.wait_run("demo-r002", "Failed", timeout=90)
    assert failed["status"]["failureReason"] == "DeadlineExceeded"
    assert failed["status"]["gpuHours"] == 0
    eventually(lambda: _jobs_of(kueue_cluster, ns, "demo-r002") == [], "its Job deleted")
    api.wait_campaign("Failed", "Succeeded")


def test_an_operator_killed_while_jobs_wait_loses_and_duplicates_nothing(
    kueue_cluster, queue, tmp_path
) -> None:
    ns = queue.namespace
    api = KinternApi(kueue_cluster.api, ns)
    operator = OperatorProcess(kueue_cluster.kubeconfig, ns, tmp_path).start()
    try:
        _campaign(api, queue)
        for name in ("demo-r001", "demo-r002", "demo-r003"):
            api.create_run(name)
        api.wait_run("demo-r001", "Running")
        api.wait_run("demo-r002", "Running")
        eventually(lambda: _waiting_for_quota(api.run("demo-r003")), "demo-r003 waiting")
        operator.kill()
        # While it is down, r001 ends and Kueue admits the waiting run.
        with FakeTrainer(kueue_cluster.api, ns, {"trun-demo-r001": DONE}):
            eventually(
                lambda: _jobs_of(kueue_cluster, ns, "demo-r003")[0].spec.suspend is False,
                "Kueue to admit demo-r003 with the operator down",
            )
        operator.start()
        with FakeTrainer(kueue_cluster.api, ns, {}, default=DONE):
            runs = {
                name: api.wait_run(name, "Succeeded")
                for name in ("demo-r001", "demo-r002", "demo-r003")
            }
    finally:
        operator.stop()
    for name, run in runs.items():
        assert len(_jobs_of(kueue_cluster, ns, name)) == 1
        assert run["status"]["preemptions"] == 0, name  # held before it ever ran: no eviction
    usage = api.campaign()["status"]["usage"]
    assert usage["gpuHours"] == pytest.approx(
        sum(r["status"]["gpuHours"] for r in runs.values()), abs=1e-3
    )
    assert usage["runs"]["total"] == 3
