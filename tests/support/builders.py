"""Builders for API objects in tests: a valid object by default, one change per test."""

from datetime import UTC, datetime, timedelta
from typing import Any

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.run import TrainingRun
from kintern.api.times import rfc3339

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def campaign_dict(name: str = "demo", **overrides: Any) -> dict[str, Any]:
    """A campaign manifest; `overrides` replace top-level spec sections (dotted keys nest)."""
    spec: dict[str, Any] = {
        "goal": "Raise accuracy on the toy benchmark.",
        "baseModel": "tiny/base",
        "objective": {"benchmark": "toy", "target": 0.9},
        "agent": {"model": "builtin/sweep"},
        "budget": {"gpuHours": 10, "maxConcurrentRuns": 2, "maxRuns": 10},
        "compute": {"gpusPerRun": 1},
        "approvals": {"mode": "Auto"},
    }
    for key, value in overrides.items():
        target = spec
        *parents, leaf = key.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[leaf] = value
    return {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "PostTrainingCampaign",
        "metadata": {"name": name, "namespace": "default", "generation": 1},
        "spec": spec,
    }


def campaign(name: str = "demo", **overrides: Any) -> PostTrainingCampaign:
    return PostTrainingCampaign.model_validate(campaign_dict(name, **overrides))


def run(
    name: str,
    campaign: str = "demo",
    recipe: str = "sft",
    hours: float = 1,
    gpus: int | None = None,
    annotations: dict[str, str] | None = None,
    created: datetime = T0,
    **spec: Any,
) -> TrainingRun:
    body: dict[str, Any] = {
        "campaign": campaign,
        "recipe": recipe,
        "resources": {"hours": hours, **({"gpus": gpus} if gpus is not None else {})},
        "datasets": [] if recipe == "eval" else [{"name": "data/train.jsonl"}],
        **spec,
    }
    return TrainingRun.model_validate(
        {
            "metadata": {
                "name": name,
                "namespace": "default",
                "generation": 1,
                "creationTimestamp": rfc3339(created),
                "annotations": annotations or {},
            },
            "spec": body,
        }
    )


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)
