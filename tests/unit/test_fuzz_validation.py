"""Generated bad campaigns and runs thrown at the validation code that local mode and the
operator use (the API models): each is accepted or refused with messages that name the
field, and nothing else ever escapes (no TypeError, KeyError, ... from a strange value).
tests/integration/test_fuzz_apiserver.py throws the same kind of input at the apiserver."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from kintern.api.run import TrainingRun
from kintern.local.validate import SpecError, describe, parse_campaign
from tests.support.fuzz import FIELD_IN_MESSAGE, campaign_manifests, run_manifests

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _names_a_field(problem: str) -> bool:
    return FIELD_IN_MESSAGE.match(problem) is not None


@FUZZ
@given(campaign_manifests())
def test_campaign_files_are_accepted_or_refused_field_by_field(doc: dict[str, Any]) -> None:
    try:
        campaign = parse_campaign(doc, "campaign.yaml")
    except SpecError as refused:
        assert refused.problems
        assert all(_names_a_field(p) for p in refused.problems), refused.problems
        return
    assert campaign.spec.budget.gpu_hours > 0
    assert campaign.spec.budget.max_concurrent_runs <= campaign.spec.budget.max_runs


@FUZZ
@given(run_manifests())
def test_runs_are_accepted_or_refused_field_by_field(doc: dict[str, Any]) -> None:
    doc["metadata"]["namespace"] = "research"
    try:
        run = TrainingRun.model_validate(doc)
    except ValidationError as refused:
        problems = [describe(e) for e in refused.errors()]
        assert all(_names_a_field(p) for p in problems), problems
        return
    assert run.spec.resources.hours > 0
    assert run.spec.recipe == "eval" or run.spec.datasets
