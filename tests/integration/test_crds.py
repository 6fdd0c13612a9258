"""The CRDs against the real apiserver: the design's example is accepted and readable
(printer columns, `kubectl explain`), and bad campaigns and runs are refused with a
message that names the field.
"""

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.support.cluster import REPO_ROOT, Cluster
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster

EXAMPLE = REPO_ROOT / "examples" / "campaign.yaml"
DELETE = object()  # a case's value that removes the field


def example_campaign() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text())


def minimal_run() -> dict[str, Any]:
    return {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "TrainingRun",
        "metadata": {"name": "qwen3-gpqa-r001"},
        "spec": {
            "campaign": "qwen3-gpqa",
            "recipe": "sft",
            "rationale": "SFT on GPQA-style explanations first.",
            "datasets": [{"name": "my-org/gpqa-style-sft"}],
        },
    }


@dataclass(frozen=True)
class Bad:
    """A valid manifest with one change at a dotted `path`, and what the refusal must say."""

    manifest: str  # "campaign" or "run"
    path: str
    value: Any
    expect: tuple[str, ...]

    def document(self) -> dict[str, Any]:
        doc = example_campaign() if self.manifest == "campaign" else minimal_run()
        doc = copy.deepcopy(doc)
        *parents, leaf = self.path.split(".")
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        if self.value is DELETE:
            del node[leaf]
        else:
            node[leaf] = self.value
        return doc


BAD = {
    "campaign-no-baseModel": Bad(
        "campaign", "spec.baseModel", DELETE, ("spec.baseModel", "Required value")
    ),
    "campaign-no-agent": Bad("campaign", "spec.agent", DELETE, ("spec.agent", "Required value")),
    "campaign-no-benchmark": Bad(
        "campaign", "spec.objective.benchmark", DELETE, ("spec.objective.benchmark", "Required")
    ),
    "campaign-negative-gpuHours": Bad(
        "campaign", "spec.budget.gpuHours", -1, ("spec.budget.gpuHours", "greater than 0")
    ),
    "campaign-zero-gpuHours": Bad(
        "campaign", "spec.budget.gpuHours", 0, ("spec.budget.gpuHours", "greater than 0")
    ),
    "campaign-unknown-approvals-mode": Bad(
        "campaign",
        "spec.approvals.mode",
        "Sometimes",
        ("spec.approvals.mode", 'Unsupported value: "Sometimes"'),
    ),
    "campaign-maxConcurrentRuns-above-maxRuns": Bad(
        "campaign",
        "spec.budget.maxConcurrentRuns",
        60,
        ("spec.budget.maxConcurrentRuns", "must not exceed maxRuns"),
    ),
    "campaign-policy-limit-above-budget": Bad(
        "campaign",
        "spec.approvals.policy.maxGpuHoursPerRun",
        20,
        ("spec.approvals.policy.maxGpuHoursPerRun", "more than the whole budget"),
    ),
    "campaign-unparsable-deadline": Bad(
        "campaign", "spec.budget.deadline", "soon", ("spec.budget.deadline", '"soon"')
    ),
    "campaign-unknown-budget-field": Bad(
        "campaign", "spec.budget.gpuHourz", 3, ('unknown field "spec.budget.gpuHourz"',)
    ),
    "campaign-unknown-spec-field": Bad(
        "campaign", "spec.colour", "red", ('unknown field "spec.colour"',)
    ),
    "campaign-agent-model-without-provider": Bad(
        "campaign", "spec.agent.model", "claude", ("spec.agent.model", '"claude"')
    ),
    "campaign-zero-maxIterations": Bad(
        "campaign", "spec.agent.maxIterations", 0, ("spec.agent.maxIterations", ">= 1")
    ),
    "campaign-unknown-direction": Bad(
        "campaign", "spec.objective.direction", "sideways", ("spec.objective.direction",)
    ),
    "campaign-negative-gpusPerRun": Bad(
        "campaign", "spec.compute.gpusPerRun", -1, ("spec.compute.gpusPerRun",)
    ),
    "campaign-unknown-toleration-operator": Bad(
        "campaign",
        "spec.compute.tolerations",
        [{"key": "nvidia.com/gpu", "operator": "Maybe"}],
        ("spec.compute.tolerations[0].operator", "Unsupported value"),
    ),
    "run-unknown-recipe": Bad("run", "spec.recipe", "rlhf", ("spec.recipe", '"rlhf"')),
    "run-no-campaign": Bad("run", "spec.campaign", DELETE, ("spec.campaign", "Required value")),
    "run-training-without-datasets": Bad(
        "run", "spec.datasets", [], ("spec.datasets", "at least one entry in spec.datasets")
    ),
    "run-custom-without-script": Bad(
        "run", "spec.recipe", "custom", ("spec.script", "a custom run needs spec.script")
    ),
    "run-learningRate-above-1": Bad(
        "run", "spec.hyperparameters", {"learningRate": 2}, ("spec.hyperparameters.learningRate",)
    ),
    "run-zero-hours": Bad(
        "run", "spec.resources", {"hours": 0}, ("spec.resources.hours", "greater than 0")
    ),
}


def _normalised(message: str) -> str:
    """The apiserver says 'greater than or equal to 1'; cases say '>= 1' to stay short."""
    return message.replace("greater than or equal to ", ">= ")


@pytest.mark.parametrize("case", list(BAD.values()), ids=list(BAD))
def test_bad_manifest_is_refused_naming_the_field(
    cluster: Cluster, namespace: str, case: Bad
) -> None:
    done = cluster.kubectl(
        "apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(case.document()), check=False
    )
    message = _normalised(done.stderr)
    assert done.returncode != 0, f"accepted: {done.stdout}"
    for expected in case.expect:
        assert expected in message, message


def test_example_campaign_is_accepted_and_shows_printer_columns(
    cluster: Cluster, namespace: str
) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLE))
    table = cluster.kubectl("get", "ptc", "-n", namespace).stdout
    header, row = table.splitlines()[:2]
    assert header.split() == ["NAME", "PHASE", "BEST", "GPU-HOURS", "AWAITING", "AGE"]
    assert row.startswith("qwen3-gpqa ")
    wide = cluster.kubectl("get", "kintern", "-n", namespace, "-o", "wide").stdout
    assert {"BASELINE", "RUNS", "MESSAGE"} <= set(wide.splitlines()[0].split())


def test_example_campaign_round_trips_with_defaults(cluster: Cluster, namespace: str) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLE))
    stored = client.CustomObjectsApi(cluster.api).get_namespaced_custom_object(
        "kintern.dev", "v1alpha1", namespace, "posttrainingcampaigns", "qwen3-gpqa"
    )
    assert stored["spec"]["budget"] == example_campaign()["spec"]["budget"]
    assert stored["spec"]["compute"]["memory"] == "32Gi"  # a schema default, filled in


def test_explain_prints_the_budget_descriptions(cluster: Cluster) -> None:
    def explained() -> str | None:
        done = cluster.kubectl("explain", "ptc.spec.budget", check=False)
        return done.stdout if "gpuHours" in done.stdout else None

    text = eventually(explained, "the CRD's OpenAPI to be published")
    assert "GPU-hours all runs together may use" in text
    assert "maxConcurrentRuns: runs that may run at once." in text
    assert "wall time from the campaign's start" in text


def test_strict_field_validation_through_the_api(cluster: Cluster, namespace: str) -> None:
    doc = example_campaign()
    doc["spec"]["budget"]["gpuHourz"] = 3
    api = client.CustomObjectsApi(cluster.api)
    with pytest.raises(client.ApiException) as refused:
        api.create_namespaced_custom_object(
            "kintern.dev",
            "v1alpha1",
            namespace,
            "posttrainingcampaigns",
            doc,
            field_validation="Strict",
        )
    assert refused.value.status == 400
    message = json.loads(refused.value.body)["message"]
    assert 'unknown field "spec.budget.gpuHourz"' in message


def test_run_campaign_is_immutable(cluster: Cluster, namespace: str) -> None:
    run = minimal_run()
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(run))
    run["spec"]["campaign"] = "another-campaign"
    done = cluster.kubectl(
        "apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(run), check=False
    )
    assert done.returncode != 0
    assert "spec.campaign" in done.stderr and "campaign is immutable" in done.stderr
