"""Publishing the best model when a campaign ends: proposed once, gated like every run.

The state machine alone, without a cluster; the operator and local mode create the run the
plan proposes (tests/trainer/test_publish.py pushes it to a local Hub server).
"""

import pytest

from kintern.api.result import Score, TrainingResult
from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.workload import AgentState, Workload
from tests.support.builders import T0, campaign, later, run

AGENT = AgentState(exists=True, active=True)
REPO = "my-org/tiny-toy"


def _result(score: float) -> str:
    return TrainingResult(
        status="succeeded",
        score=Score(value=score, ci_low=score - 0.05, ci_high=score + 0.05, n=200),
        checkpoint="/checkpoints/r2/checkpoint",
    ).to_termination_message()


def _ended(**overrides):
    """A campaign whose best run r2 (0.95) reached the target; returns it, its runs, its plan."""
    c = campaign(**{"output.hubRepo": REPO, "approvals.mode": "Policy", **overrides})
    runs = [run("r1"), run("r2")]
    done = {
        "r1": Workload("r1", T0, later(10), True, termination_message=_result(0.6)),
        "r2": Workload("r2", T0, later(20), True, termination_message=_result(0.95)),
    }
    for _ in range(2):  # approve and launch, then follow the finished workloads
        p = plan_campaign(Snapshot(c, runs, done, AGENT, later(30)))
        runs = [r.model_copy(update={"status": p.steps[r.metadata["name"]].status}) for r in runs]
        c = c.model_copy(update={"status": p.status})
    return c, runs, p


def _decide(c, runs, annotations=None):
    publish = _ended_proposal(c, runs, annotations)
    p = plan_campaign(Snapshot(c, [*runs, publish], {}, AGENT, later(40)))
    return p.steps[publish.metadata["name"]], p


def _ended_proposal(c, runs, annotations=None):
    proposed = plan_campaign(Snapshot(c, runs, {}, AGENT, later(35))).creates
    assert len(proposed) == 1
    body = proposed[0].model_copy(deep=True)
    body.metadata |= {"generation": 1, "annotations": annotations or {}}
    return body


def test_an_ended_campaign_proposes_to_publish_its_best_run():
    c, _, p = _ended()
    assert c.status.phase == "Succeeded" and c.status.best.run == "r2"
    [publish] = p.creates
    assert publish.metadata["name"] == "demo-publish"
    assert publish.spec.recipe == "publish" and publish.spec.model == "run:r2"
    assert publish.spec.resources.gpus == 0, "publishing needs no GPU"
    assert "0.9500" in publish.spec.rationale and REPO in publish.spec.rationale
    assert any(e.reason == "PublishProposed" for e in p.events)


def test_it_is_proposed_once():
    c, runs, _ = _ended()
    publish = _ended_proposal(c, runs)
    assert plan_campaign(Snapshot(c, [*runs, publish], {}, AGENT, later(40))).creates == []


@pytest.mark.parametrize(
    "overrides",
    [{"output.hubRepo": None}, {"objective.target": 0.99, "budget.maxRuns": 5}],
    ids=["no-hub-repo", "campaign-still-running"],
)
def test_nothing_is_proposed_without_a_repo_or_before_the_end(overrides):
    _, _, p = _ended(**overrides)
    assert p.creates == []


@pytest.mark.parametrize(
    ("mode", "allow", "annotations", "phase", "reason"),
    [
        ("Policy", True, None, "Running", "ApprovedByPolicy"),
        ("Auto", True, None, "Running", "ApprovedByPolicy"),
        ("Policy", False, None, "AwaitingApproval", "AwaitingUser"),
        ("Auto", False, None, "AwaitingApproval", "AwaitingUser"),
        ("Manual", True, None, "AwaitingApproval", "AwaitingUser"),
        ("Policy", False, {"kintern.dev/approve": "true"}, "Running", "ApprovedByUser"),
        ("Policy", True, {"kintern.dev/reject": "not this one"}, "Rejected", "RejectedByUser"),
    ],
    ids=[
        "policy-allows",
        "auto-allows",
        "policy-forbids-waits-for-a-person",
        "auto-without-allow-waits",
        "manual-always-waits",
        "a-person-approves",
        "a-person-rejects",
    ],
)
def test_publishing_goes_through_the_approval_gate(mode, allow, annotations, phase, reason):
    c, runs, _ = _ended(**{"approvals.mode": mode, "approvals.policy": {"allowPublish": allow}})
    step, _ = _decide(c, runs, annotations)
    assert step.status.phase == phase, step.status.message
    approved = next(x for x in step.status.conditions if x.type == "Approved")
    assert approved.reason == reason
    assert step.launch == (phase == "Running"), "it launches although the campaign ended"
    if phase == "AwaitingApproval":
        assert "allowPublish" in approved.message and "kintern.dev/approve" in approved.message


def test_publishing_does_not_count_against_max_runs():
    c, runs, _ = _ended(
        **{
            "objective.target": None,
            "budget.maxRuns": 2,
            "approvals.policy": {"allowPublish": True},
        }
    )
    assert c.status.conditions and "maxRuns" in c.status.message
    step, _ = _decide(c, runs)
    assert step.status.phase == "Running"


def test_a_publish_run_for_another_run_than_the_best_is_refused():
    c, runs, _ = _ended(**{"approvals.policy": {"allowPublish": True}})
    sneaky = run("sneaky", recipe="publish", model="run:r1")
    p = plan_campaign(Snapshot(c, [*runs, sneaky], {}, AGENT, later(40)))
    step = p.steps["sneaky"]
    assert step.status.phase == "Rejected"
    assert "best run (run:r2)" in step.status.message
