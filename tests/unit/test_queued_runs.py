"""Runs under a Kueue queue, as the state machine sees them through their Jobs: a Job the
queue holds is neither Running nor charged, an evicted attempt is charged once and then
requeued (or failed as Preempted), and a deadline ends a run that still waits.

The same scenarios run against Kueue itself in tests/integration/test_kueue_campaigns.py;
these pin the accounting to the second, which a live cluster cannot do.
"""

from datetime import datetime
from typing import Any

import pytest

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.conditions import ConditionType, Reason, find_condition
from kintern.api.run import TrainingRun, TrainingRunStatus
from kintern.api.times import rfc3339
from kintern.core.campaigns import CampaignPlan, Snapshot, plan_campaign
from kintern.core.workload import AgentState, Workload
from kintern_operator.observe import workload_of
from tests.support.builders import T0, campaign, later, run

QUEUE = "team-a"
AGENT = AgentState(exists=True, active=True)


def queued_campaign(**overrides: Any) -> PostTrainingCampaign:
    """A campaign started at T0 whose runs go through QUEUE, 2 GPUs each."""
    c = campaign(**{"compute.queueName": QUEUE, "compute.gpusPerRun": 2, **overrides})
    c.status.start_time = rfc3339(T0)
    return c


def job(suspend: bool, suspended_at: datetime | None = None, resumed_at: datetime | None = None):
    """A training Job as the Job controller writes it: its Suspended condition carries the
    moment of the last hold (True) or release (False)."""
    conditions = []
    if suspend and suspended_at:
        conditions.append(_suspended("True", suspended_at))
    if not suspend and resumed_at:
        conditions.append(_suspended("False", resumed_at))
    return {
        "metadata": {"name": "trun-r1"},
        "spec": {"suspend": suspend},
        "status": {"conditions": conditions},
    }


def _suspended(status: str, at: datetime) -> dict[str, str]:
    return {"type": "Suspended", "status": status, "lastTransitionTime": rfc3339(at)}


def pod(created: datetime, started: datetime, deleted: bool = False) -> dict[str, Any]:
    meta = {"name": f"trun-r1-{created.minute}", "creationTimestamp": rfc3339(created)}
    if deleted:
        meta["deletionTimestamp"] = rfc3339(started)
    running = {"running": {"startedAt": rfc3339(started)}}
    return {
        "metadata": meta,
        "status": {"phase": "Running", "containerStatuses": [{"state": running}]},
    }


def approved(name: str = "r1", start: datetime | None = None) -> TrainingRun:
    """A run approved at T0 whose Job exists; with `start`, admitted at once and seen
    running from `start`."""
    r = run(name)
    plan = plan_campaign(Snapshot(queued_campaign(), [r], {}, AGENT, T0, queues=True))
    r = with_status(r, plan.steps[name].status)
    if start is None:
        return r
    admitted = workload_of(job(suspend=False, resumed_at=T0), [pod(T0, start)])
    return with_status(r, step(r, admitted, start).steps[name].status)


def with_status(r: TrainingRun, status: TrainingRunStatus) -> TrainingRun:
    return r.model_copy(update={"status": status})


def step(r: TrainingRun, workload: Workload, now: datetime, **overrides: Any) -> CampaignPlan:
    c = queued_campaign(**overrides)
    return plan_campaign(Snapshot(c, [r], {"r1": workload}, AGENT, now, queues=True))


def test_a_launched_run_waits_for_quota_naming_the_queue_and_is_not_running() -> None:
    plan = plan_campaign(Snapshot(queued_campaign(), [run("r1")], {}, AGENT, T0, queues=True))
    status = plan.steps["r1"].status
    assert plan.launches == ["r1"]
    assert (status.phase, status.message) == ("Queued", f"waiting for quota in LocalQueue {QUEUE}")
    admitted = find_condition(status.conditions, ConditionType.ADMITTED)
    assert admitted is not None and (admitted.status, admitted.reason) == (
        "False",
        "WaitingForQuota",
    )
    assert plan.status.usage.runs.waiting_for_quota == 1
    assert f"1 waiting for quota in LocalQueue {QUEUE}" in plan.status.message


def test_local_mode_ignores_the_queue_and_runs_at_once() -> None:
    plan = plan_campaign(Snapshot(queued_campaign(), [run("r1")], {}, AGENT, T0))
    assert plan.steps["r1"].status.phase == "Running"
    assert plan.status.usage.runs.waiting_for_quota == 0


def test_a_held_job_is_neither_running_nor_charged() -> None:
    held = workload_of(job(suspend=True, suspended_at=T0), [])
    plan = step(approved(), held, later(90))
    status = plan.steps["r1"].status
    assert (status.phase, status.gpu_hours, status.start_time) == ("Queued", 0, None)
    assert plan.status.usage.gpu_hours == 0
    assert plan.status.usage.runs.waiting_for_quota == 1


def test_an_admitted_job_runs_and_its_run_says_so() -> None:
    admitted = workload_of(job(suspend=False, resumed_at=later(1)), [pod(later(1), later(2))])
    status = step(approved(), admitted, later(2)).steps["r1"].status
    assert (status.phase, status.start_time) == ("Running", rfc3339(later(2)))
    condition = find_condition(status.conditions, ConditionType.ADMITTED)
    assert condition is not None and (condition.status, condition.reason) == (
        "True",
        "AdmittedByQueue",
    )


def test_an_eviction_is_closed_only_once_the_job_says_when() -> None:
    # Kueue set spec.suspend; the Job controller has not yet written its condition.
    just_evicted = workload_of(job(suspend=True), [pod(later(1), later(2))])
    r = approved(start=later(2))
    assert step(r, just_evicted, later(13)).steps["r1"].status == r.status


def test_an_evicted_attempt_is_charged_once_and_the_run_waits_again() -> None:
    evicted = workload_of(job(suspend=True, suspended_at=later(12)), [pod(later(1), later(2))])
    plan = step(approved(start=later(2)), evicted, later(13))
    status = plan.steps["r1"].status
    assert not plan.stops  # the queue readmits the same Job: nothing to delete
    assert (status.phase, status.preemptions, status.start_time) == ("Queued", 1, None)
    assert status.preempted_gpu_hours == status.gpu_hours == pytest.approx(2 * 10 / 60)
    assert [e.reason for e in plan.steps["r1"].events] == [
        Reason.PREEMPTED,
        Reason.WAITING_FOR_QUOTA,
    ]
    assert "not a problem with the model" in plan.steps["r1"].events[0].message

    again = step(with_status(approved(), status), evicted, later(30)).steps["r1"].status
    assert again.preemptions == 1 and again.gpu_hours == status.gpu_hours  # not twice


def test_a_requeued_run_is_charged_both_attempts_and_never_the_old_pod() -> None:
    r = approved(start=later(2))
    assert r.status.phase == "Running"
    r.status.preemptions, r.status.preempted_gpu_hours = 1, 2 * 10 / 60
    r.status.gpu_hours, r.status.start_time, r.status.phase = 2 * 10 / 60, None, "Queued"
    old_pod = pod(later(1), later(2), deleted=True)  # still terminating when readmitted
    readmitted = workload_of(job(suspend=False, resumed_at=later(20)), [old_pod])
    status = step(r, readmitted, later(20)).steps["r1"].status
    assert status.start_time is None  # the old pod's start is not the new attempt's
    new_pod = pod(later(20), later(21))
    done = workload_of(job(suspend=False, resumed_at=later(20)), [old_pod, new_pod])
    finished = Workload(
        done.name, started_at=done.started_at, finished_at=later(31), succeeded=True
    )
    r.status = status
    final = step(r, finished, later(31)).steps["r1"].status
    assert final.phase == "Succeeded" and final.charged
    assert final.gpu_hours == pytest.approx(2 * (10 + 10) / 60)


def test_an_eviction_the_operator_never_saw_is_still_charged_up_to_the_release() -> None:
    # Evicted at 12 and readmitted at 20 while the operator was down: it sees only a Job
    # released at 20 with a new pod; the first attempt ran from 2 to at most 20.
    readmitted = workload_of(job(suspend=False, resumed_at=later(20)), [pod(later(20), later(21))])
    status = step(approved(start=later(2)), readmitted, later(22)).steps["r1"].status
    assert status.preemptions == 1
    assert status.preempted_gpu_hours == pytest.approx(2 * 18 / 60)
    assert (status.phase, status.start_time) == ("Running", rfc3339(later(21)))


def test_fail_on_preemption_ends_the_run_as_preempted_not_as_a_training_failure() -> None:
    evicted = workload_of(job(suspend=True, suspended_at=later(12)), [])
    plan = step(approved(start=later(2)), evicted, later(13), **{"compute.onPreemption": "Fail"})
    status = plan.steps["r1"].status
    assert plan.stops == ["r1"]
    assert (status.phase, status.failure_reason) == ("Failed", "Preempted")
    assert status.result is not None and status.result.diagnosis.kind == "preempted"
    assert status.charged and status.gpu_hours == pytest.approx(2 * 10 / 60)
    assert (status.start_time, status.completion_time) == (rfc3339(later(2)), rfc3339(later(12)))
    failed = find_condition(status.conditions, ConditionType.FAILED)
    assert failed is not None and failed.reason == "Preempted"


def test_an_eviction_in_the_second_the_attempt_started_still_ends_it() -> None:
    evicted = workload_of(job(suspend=True, suspended_at=later(2)), [])
    plan = step(approved(start=later(2)), evicted, later(3), **{"compute.onPreemption": "Fail"})
    status = plan.steps["r1"].status
    assert (status.phase, status.failure_reason, status.gpu_hours) == ("Failed", "Preempted", 0)


def test_an_admission_in_the_second_the_pod_started_is_no_eviction() -> None:
    admitted = workload_of(job(suspend=False, resumed_at=later(2)), [pod(later(2), later(2))])
    status = step(approved(start=later(2)), admitted, later(3)).steps["r1"].status
    assert (status.phase, status.preemptions) == ("Running", 0)


def test_a_deadline_ends_a_run_that_still_waits_for_quota() -> None:
    held = workload_of(job(suspend=True, suspended_at=T0), [])
    plan = step(approved(), held, later(61), **{"budget.deadline": "1h"})
    status = plan.steps["r1"].status
    assert plan.stops == ["r1"]
    assert (status.phase, status.failure_reason, status.gpu_hours) == (
        "Failed",
        "DeadlineExceeded",
        0,
    )


def test_jobs_held_by_the_queue_count_against_max_concurrent_runs() -> None:
    c = queued_campaign(**{"budget.maxConcurrentRuns": 2})
    first = [approved("r1"), approved("r2")]
    third = run("r3")
    held = workload_of(job(suspend=True, suspended_at=T0), [])
    plan = plan_campaign(
        Snapshot(c, [*first, third], {"r1": held, "r2": held}, AGENT, later(1), queues=True)
    )
    assert plan.launches == []
    assert plan.steps["r3"].status.message == "waiting for a slot: 2/2 runs running"
