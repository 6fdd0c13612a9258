"""How the operator reads a failed Job and its pod: the same failure gives the same reason
whichever it saw first, a pod the Job deleted is not the run's verdict, and a run whose pod
is gone is charged from the start it recorded, not from its Job's earlier start; a running
run's live GPU-hours move once a minute."""

from datetime import timedelta
from typing import Any

import pytest

from kintern.api.times import rfc3339
from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.workload import AgentState, Workload
from kintern_operator.observe import workload_of
from tests.support.builders import T0, campaign, later, run

JOB_START, POD_START, POD_END = T0, T0 + timedelta(seconds=5), T0 + timedelta(seconds=65)


def job(*conditions: tuple[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": "trun-r1"},
        "status": {
            "startTime": rfc3339(JOB_START),
            "conditions": [
                {"type": t, "status": "True", "reason": r, "lastTransitionTime": rfc3339(POD_END)}
                for t, r in conditions
            ],
        },
    }


def pod(phase: str, reason: str = "Error", deleted: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "trun-r1-x", "creationTimestamp": rfc3339(JOB_START)}
    if deleted:
        meta["deletionTimestamp"] = rfc3339(POD_END)
    state = {
        "terminated": {
            "exitCode": 1,
            "reason": reason,
            "startedAt": rfc3339(POD_START),
            "finishedAt": rfc3339(POD_END),
        }
    }
    return {"metadata": meta, "status": {"phase": phase, "containerStatuses": [{"state": state}]}}


FAILED_JOB = ("FailureTarget", "BackoffLimitExceeded")
DEADLINE = ("FailureTarget", "DeadlineExceeded")


@pytest.mark.parametrize(
    ("the_job", "pods", "reason"),
    [
        (job(), [pod("Failed")], "Error"),
        (job(FAILED_JOB, ("Failed", "BackoffLimitExceeded")), [pod("Failed")], "Error"),
        (job(FAILED_JOB), [pod("Failed", "OOMKilled")], "OOMKilled"),
        (job(DEADLINE), [pod("Failed", deleted=True)], "DeadlineExceeded"),
        (job(DEADLINE, ("Failed", "DeadlineExceeded")), [], "DeadlineExceeded"),
    ],
    ids=["crash-pod-first", "crash-job-first", "oom", "deadline-pod-deleted", "deadline-pod-gone"],
)
def test_a_failure_reads_the_same_whichever_was_seen_first(the_job, pods, reason) -> None:
    workload = workload_of(the_job, pods)
    assert (workload.succeeded, workload.failure_reason) == (False, reason)
    assert workload.finished_at == POD_END


def test_a_pod_the_job_deleted_is_not_the_runs_verdict() -> None:
    workload = workload_of(job(), [pod("Failed", deleted=True)])
    assert workload.succeeded is None  # the Job's verdict (DeadlineExceeded, ...) decides


def test_a_run_whose_pod_is_gone_is_charged_from_the_pod_start_it_recorded() -> None:
    demo = campaign(**{"compute.gpusPerRun": 2})
    r1 = run("r1")
    r1.status.phase, r1.status.start_time = "Running", rfc3339(POD_START)
    r1.status.conditions = []
    gone = workload_of(job(DEADLINE), [])
    assert gone.started_at == JOB_START
    plan = plan_campaign(Snapshot(demo, [r1], {"r1": gone}, AgentState(), later(5)))
    status = plan.steps["r1"].status
    assert (status.phase, status.failure_reason) == ("Failed", "DeadlineExceeded")
    assert status.gpu_hours == pytest.approx(60 * 2 / 3600, abs=1e-6)  # not 70 s


def test_live_gpu_hours_move_once_a_minute_so_a_reconcile_within_it_writes_nothing() -> None:
    demo = campaign(**{"compute.gpusPerRun": 2})
    r1 = run("r1")
    r1.status.phase, r1.status.start_time = "Running", rfc3339(POD_START)
    running = Workload("r1", started_at=POD_START)
    steps = [
        plan_campaign(Snapshot(demo, [r1], {"r1": running}, AgentState(), POD_START + t))
        .steps["r1"]
        .status
        for t in (timedelta(seconds=70), timedelta(seconds=100), timedelta(seconds=130))
    ]
    assert steps[0] == steps[1]  # 70 s and 100 s: the same minute, the same status
    assert [s.gpu_hours for s in steps] == pytest.approx([2 / 60, 2 / 60, 4 / 60], abs=1e-6)
