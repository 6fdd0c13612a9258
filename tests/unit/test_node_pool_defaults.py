"""The operator's default GPU node pool (the chart's nodePool values): used by the Jobs of
campaigns that name no pool, never over a campaign's own."""

from typing import Any

import pytest

from kintern.core.requests import build_request
from kintern_operator.builders.training_job import build_training_job
from kintern_operator.settings import OperatorSettings
from tests.support.builders import campaign, run

A100 = {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
H100 = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
TAINT = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
POOL_TAINT = {"key": "pool", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}


def _pod(settings: OperatorSettings, **overrides: Any) -> dict[str, Any]:
    c = campaign("demo", **overrides)
    r = run("demo-r001")
    metadata = {**r.metadata, "uid": "uid-1"}
    body = {"apiVersion": "kintern.dev/v1alpha1", "kind": "TrainingRun", "metadata": metadata}
    job = build_training_job(body, r, c, build_request(r, c, "/checkpoints/x", {}), settings)
    return dict(job["spec"]["template"]["spec"])


def test_settings_read_the_pool_as_json_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KINTERN_DEFAULT_NODE_SELECTOR", '{"nvidia.com/gpu.product": "X"}')
    monkeypatch.setenv("KINTERN_DEFAULT_TOLERATIONS", '[{"key": "k", "operator": "Exists"}]')
    settings = OperatorSettings()
    assert settings.default_node_selector == {"nvidia.com/gpu.product": "X"}
    assert settings.default_tolerations == [{"key": "k", "operator": "Exists"}]


def test_campaign_without_a_pool_gets_the_default() -> None:
    settings = OperatorSettings(default_node_selector=A100, default_tolerations=[POOL_TAINT])
    pod = _pod(settings)
    assert pod["nodeSelector"] == A100
    assert pod["tolerations"] == [POOL_TAINT]


def test_campaign_pool_wins_over_the_default() -> None:
    settings = OperatorSettings(default_node_selector=A100, default_tolerations=[POOL_TAINT])
    own_pool: dict[str, Any] = {"compute.nodeSelector": H100, "compute.tolerations": [TAINT]}
    pod = _pod(settings, **own_pool)
    assert pod["nodeSelector"] == H100
    assert pod["tolerations"] == [TAINT]


def test_no_default_and_no_pool_leaves_scheduling_open() -> None:
    pod = _pod(OperatorSettings())
    assert pod["nodeSelector"] == {} and pod["tolerations"] == []
