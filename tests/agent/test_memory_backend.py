"""The in-memory backend: idempotent creation, scripted outcomes, progress and state."""

import pytest

from kintern.api.run import TrainingRunSpec
from kintern.core.backend import BackendError
from tests.agent.helpers import a_campaign
from tests.support.memory_backend import MemoryBackend, budget_exceeded, rejected, succeeded


def spec(**changes: object) -> TrainingRunSpec:
    body = {"campaign": "demo", "recipe": "sft", "datasets": [{"name": "d"}], **changes}
    return TrainingRunSpec.model_validate(body)


def test_creating_a_run_twice_returns_the_first_unchanged():
    backend = MemoryBackend(a_campaign())
    first = backend.create_run("demo-r001", spec())
    again = backend.create_run("demo-r001", spec(recipe="dpo"))
    assert again.spec == first.spec and again.spec.recipe == "sft"
    assert len(backend.list_runs()) == 1
    assert first.metadata["labels"] == {"kintern.dev/campaign": "demo"}


def test_outcomes_follow_creation_order_and_show_after_enough_reads():
    backend = MemoryBackend(
        a_campaign(),
        [succeeded(0.3, after_reads=2), rejected("no"), budget_exceeded("0.5 GPU-hours left")],
    )
    for i in (1, 2, 3):
        backend.create_run(f"demo-r00{i}", spec())
    assert [r.status.phase for r in backend.list_runs()] == ["Running", "Rejected", "Rejected"]
    assert backend.get_run("demo-r001").status.result.score.value == 0.3
    reasons = [r.status.conditions[0].reason for r in backend.list_runs()]
    assert reasons == ["ApprovedByPolicy", "RejectedByUser", "BudgetExceeded"]
    backend.create_run("demo-r004", spec())
    assert backend.get_run("demo-r004").status.phase == "AwaitingApproval"


def test_mistakes_are_backend_errors():
    backend = MemoryBackend(a_campaign())
    with pytest.raises(BackendError, match="not found"):
        backend.get_run("nope")
    with pytest.raises(BackendError, match=r"spec\.campaign must be demo"):
        backend.create_run("x", spec(campaign="other"))


def test_progress_lands_in_the_campaign_status():
    backend = MemoryBackend(a_campaign())
    backend.report_progress(3, 1200, 0.05, "summary", done=True)
    status = backend.campaign().status
    assert (status.usage.agent_iterations, status.usage.agent_tokens) == (3, 1200)
    assert (status.agent_summary, status.agent_done) == ("summary", True)
