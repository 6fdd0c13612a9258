"""The campaign and run state machine, without a cluster: approvals, budgets, endings."""

import pytest

from kintern.api.result import Score, TrainingResult
from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.workload import AgentState, Workload
from tests.support.builders import T0, campaign, later, run

AGENT = AgentState(exists=True, active=True)


def plan(c, runs, workloads=None, now=None, agent=AGENT):
    return plan_campaign(Snapshot(c, runs, workloads or {}, agent, now or later(1)))


def advance(c, runs, workloads=None, now=None, agent=AGENT):
    """Apply a plan: runs and campaign take their new statuses."""
    p = plan(c, runs, workloads, now, agent)
    runs = [r.model_copy(update={"status": p.steps[r.metadata["name"]].status}) for r in runs]
    return c.model_copy(update={"status": p.status}), runs, p


def result(score: float) -> str:
    return TrainingResult(
        status="succeeded", score=Score(value=score, ci_low=0, ci_high=1, n=100), checkpoint="/ckpt"
    ).to_termination_message()


@pytest.mark.parametrize(
    ("mode", "hours", "phase", "reason"),
    [
        ("Auto", 1, "Running", "ApprovedByPolicy"),
        ("Manual", 1, "AwaitingApproval", "AwaitingUser"),
        ("Policy", 0.5, "Running", "ApprovedByPolicy"),
        ("Policy", 2, "AwaitingApproval", "AwaitingUser"),
    ],
    ids=["auto", "manual-waits", "policy-small-approved", "policy-large-waits"],
)
def test_approval_modes(mode, hours, phase, reason):
    c = campaign(**{"approvals.mode": mode, "approvals.policy": {"maxGpuHoursPerRun": 1}})
    p = plan(c, [run("r1", hours=hours)])
    step = p.steps["r1"]
    assert step.status.phase == phase
    approved = next(x for x in step.status.conditions if x.type == "Approved")
    assert approved.reason == reason
    assert step.launch == (phase == "Running")


def test_person_approves_and_rejects_with_annotations():
    c = campaign(**{"approvals.mode": "Manual"})
    runs = [
        run("ok", annotations={"kintern.dev/approve": "true", "kintern.dev/approved-by": "alice"}),
        run("no", annotations={"kintern.dev/reject": "too expensive"}),
        run("bad", annotations={"kintern.dev/approve": "yes"}),
    ]
    p = plan(c, runs)
    assert p.steps["ok"].status.phase == "Running"
    assert p.steps["ok"].status.approved_by == "alice"
    assert p.steps["no"].status.phase == "Rejected"
    assert "too expensive" in p.steps["no"].status.message
    bad = p.steps["bad"]
    assert bad.status.phase == "AwaitingApproval"
    assert any(e.reason == "InvalidAnnotation" for e in bad.events)
    assert not bad.launch


def test_budget_exceeded_names_the_overrun():
    c = campaign(**{"budget.gpuHours": 3})
    p = plan(c, [run("r1", hours=2), run("r2", hours=2)])
    assert p.steps["r1"].status.phase == "Running"
    rejected = p.steps["r2"].status
    assert rejected.phase == "Rejected"
    assert "over by 1.00" in rejected.message
    assert rejected.conditions[0].reason == "BudgetExceeded"


def test_concurrency_queues_then_launches_when_a_slot_frees():
    c = campaign(**{"budget.maxConcurrentRuns": 1})
    c, runs, p = advance(c, [run("r1"), run("r2")])
    assert p.launches == ["r1"]
    assert runs[1].status.phase == "Queued"
    done = {"r1": Workload("r1", T0, later(30), True, termination_message=result(0.5))}
    c, runs, p = advance(c, runs, done, now=later(31))
    assert runs[0].status.phase == "Succeeded"
    assert p.launches == ["r2"]


def test_policy_forbids_custom_code_and_publishing():
    c = campaign()
    runs = [
        run("custom", recipe="custom", script={"path": "x.py"}),
        run("publish", push_to_hub=True),
    ]
    p = plan(c, runs)
    assert {s.status.phase for s in p.steps.values()} == {"Rejected"}
    assert "allowCustomCode" in p.steps["custom"].status.message


def test_gpu_hours_come_from_pod_times_and_are_charged_once():
    c = campaign()
    c, runs, _ = advance(c, [run("r1", gpus=4)])
    w = {
        "r1": Workload(
            "r1",
            started_at=later(0),
            finished_at=later(30),
            succeeded=True,
            termination_message=result(0.4),
        )
    }
    c, runs, _ = advance(c, runs, w, now=later(40))
    assert runs[0].status.gpu_hours == pytest.approx(2.0)
    # Observed again (a restart), nothing is added.
    c, runs, _ = advance(c, runs, w, now=later(50))
    assert c.status.usage.gpu_hours == pytest.approx(2.0)
    assert c.status.best.score == 0.4


def test_target_reached_ends_the_campaign_and_stops_the_agent():
    c = campaign(**{"objective.target": 0.5})
    c, runs, _ = advance(c, [run("base", recipe="eval"), run("r1")])
    w = {
        "base": Workload("base", T0, later(5), True, termination_message=result(0.2)),
        "r1": Workload("r1", T0, later(10), True, termination_message=result(0.6)),
    }
    c, runs, p = advance(c, runs, w, now=later(11))
    assert c.status.phase == "Succeeded"
    assert c.status.baseline.score == 0.2
    assert c.status.best.run == "r1"
    assert not p.agent_should_run
    assert any(x.type == "TargetReached" and x.status == "True" for x in c.status.conditions)


def test_deadline_stops_running_work_and_charges_it():
    c = campaign(**{"budget.deadline": "1h"})
    c, runs, _ = advance(c, [run("r1", hours=3)], now=T0)
    c, runs, p = advance(c, runs, {"r1": Workload("r1", started_at=T0)}, now=later(61))
    assert p.stops == ["r1"]
    assert runs[0].status.phase == "Failed"
    assert runs[0].status.failure_reason == "DeadlineExceeded"
    assert c.status.phase == "Failed"
    assert c.status.usage.gpu_hours == pytest.approx(61 / 60, rel=1e-3)


def test_suspend_queues_approved_runs_and_stops_the_agent():
    c = campaign(suspend=True)
    c, runs, p = advance(c, [run("r1")])
    assert runs[0].status.phase == "Queued"
    assert c.status.phase == "Suspended"
    assert not p.agent_should_run
    c = c.model_copy(update={"spec": c.spec.model_copy(update={"suspend": False})})
    c, runs, p = advance(c, runs)
    assert p.launches == ["r1"]
    assert c.status.phase == "Running"


def test_max_runs_rejects_the_extra_run():
    c = campaign(**{"budget.maxRuns": 1, "budget.maxConcurrentRuns": 1})
    p = plan(c, [run("r1"), run("r2")])
    assert p.steps["r2"].status.phase == "Rejected"
    assert "maxRuns 1" in p.steps["r2"].status.message


def test_failed_job_reports_reason_and_is_charged():
    c = campaign()
    c, runs, _ = advance(c, [run("r1")])
    w = {
        "r1": Workload(
            "r1",
            T0,
            later(6),
            False,
            failure_reason="OOMKilled",
            termination_message="loading shards\nCUDA out of memory",
        )
    }
    c, runs, _ = advance(c, runs, w, now=later(7))
    status = runs[0].status
    assert (status.phase, status.failure_reason) == ("Failed", "OOMKilled")
    assert "CUDA out of memory" in status.log_tail
    assert status.gpu_hours == pytest.approx(0.1)


def test_budget_spent_ends_the_campaign_once_nothing_runs():
    c = campaign(**{"budget.gpuHours": 1})
    c, runs, _ = advance(c, [run("r1", hours=1)])
    w = {"r1": Workload("r1", T0, later(60), True, termination_message=result(0.3))}
    c, _, _p = advance(c, runs, w, now=later(61))
    assert c.status.phase == "Succeeded"
    assert any(x.type == "BudgetExhausted" and x.status == "True" for x in c.status.conditions)
