"""What the agent reads about a run its cluster's queue preempted: that it was not the
model's fault, whether the run waits to start again or ended as Preempted."""

from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.workload import AgentState, Workload
from kintern_agent.tools.run_view import describe_run, run_line
from tests.support.builders import T0, campaign, later, run

AGENT = AgentState(exists=True, active=True)


def _preempted(on_preemption: str):
    """r1 ran from minute 2 and its Job was evicted at minute 12, as the operator sees it."""
    c = campaign(**{"compute.queueName": "team-a", "compute.onPreemption": on_preemption})
    r1 = run("r1")
    r1.status = plan_campaign(Snapshot(c, [r1], {}, AGENT, T0, queues=True)).steps["r1"].status
    running = Workload("trun-r1", started_at=later(2))
    r1.status = (
        plan_campaign(Snapshot(c, [r1], {"r1": running}, AGENT, later(3), queues=True))
        .steps["r1"]
        .status
    )
    evicted = Workload("trun-r1", held=True, held_since=later(12))
    return plan_campaign(Snapshot(c, [r1], {"r1": evicted}, AGENT, later(13), queues=True)).steps[
        "r1"
    ].status, r1


def test_a_requeued_run_tells_the_agent_it_was_not_the_model() -> None:
    status, r1 = _preempted("Requeue")
    text = describe_run(r1.model_copy(update={"status": status}))
    assert "phase Queued" in text
    assert "- preempted 1 time(s) by the cluster's queue" in text
    assert "not a problem with the model, data or hyperparameters" in text


def test_a_run_failed_as_preempted_carries_a_preempted_diagnosis() -> None:
    status, r1 = _preempted("Fail")
    shown = r1.model_copy(update={"status": status})
    assert "diagnosis preempted" in run_line(shown)
    text = describe_run(shown)
    assert "- failure: Preempted" in text
    assert "- advice: propose the same run again unchanged" in text
