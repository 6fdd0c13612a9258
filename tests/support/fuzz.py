"""Hypothesis strategies for bad input: valid campaign and run manifests with one to three
mutations at field paths taken from the API models themselves (so every field of the
spec is reachable, however the models grow): a field removed, set to a value of another
type or at a bound, or an unknown field added.

    @given(campaign_manifests())
    def test_x(doc): ...

`FIELD_IN_MESSAGE` is what a refusal must contain to name the field it refuses.
"""

import copy
import re
import types
import typing
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from kintern.api.campaign import CampaignSpec
from kintern.api.run import TrainingRunSpec

# spec.budget.gpuHours, spec.compute.tolerations[0].operator, metadata.name, ...
FIELD_IN_MESSAGE = re.compile(r"\b(spec|metadata)(\.[A-Za-z][\w-]*|\[\d+\])+|\bspec\b")
DELETE = object()


def model_paths(model: type[BaseModel], prefix: str) -> list[str]:
    """Every wire path of `model`'s fields, nested models included (lists as the list)."""
    paths = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{field.alias or name}"
        paths.append(path)
        for inner in _models_in(field.annotation):
            paths += model_paths(inner, path)
    return paths


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return [m for a in typing.get_args(annotation) for m in _models_in(a)]
    return []


def base_campaign(name: str = "fuzz") -> dict[str, Any]:
    """A valid campaign of the design notes (LLM agent, Policy approvals)."""
    spec = {
        "goal": "Raise GPQA accuracy.",
        "baseModel": "Qwen/Qwen3-1.7B-Base",
        "objective": {"benchmark": "gpqa-main", "target": 0.35},
        "agent": {"model": "builtin/sweep", "maxIterations": 30},
        "budget": {"gpuHours": 10, "maxConcurrentRuns": 1, "maxRuns": 50, "deadline": "12h"},
        "compute": {
            "gpusPerRun": 1,
            "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
        },
        "approvals": {"mode": "Policy", "policy": {"maxGpuHoursPerRun": 2}},
        "output": {"hubRepo": "my-org/model", "hubTokenSecret": "hf-token"},
    }
    return _manifest("PostTrainingCampaign", name, spec)


def base_run(name: str = "fuzz-r001", campaign: str = "fuzz") -> dict[str, Any]:
    """A valid SFT run of `campaign`."""
    spec = {
        "campaign": campaign,
        "recipe": "sft",
        "rationale": "SFT first.",
        "datasets": [{"name": "my-org/sft-data"}],
        "hyperparameters": {"learningRate": 2e-5},
        "resources": {"hours": 1},
    }
    return _manifest("TrainingRun", name, spec)


def _manifest(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }


CAMPAIGN_PATHS = model_paths(CampaignSpec, "spec")
RUN_PATHS = [p for p in model_paths(TrainingRunSpec, "spec") if p != "spec.campaign"]

_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([0, -1, 1, 64, 65, 720, 721, 100001, 2**31, 2**53]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.sampled_from([0.0, -0.5, 1e-9, 0.5, 1.0, 1.5]),
    st.text(max_size=12),
    st.sampled_from(["", " ", "x" * 300, "12h", "soon", "1.5", "Auto", "custom", "ünï", "a/b"]),
)
JSON_VALUES = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
UNKNOWN_FIELDS = st.from_regex(r"\A[a-z][a-zA-Z]{0,10}\Z", fullmatch=True)


@st.composite
def _mutation(draw: st.DrawFn, paths: list[str]) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["set", "set", "delete", "unknown"]))
    path = draw(st.sampled_from(paths))
    if kind == "delete":
        return path, DELETE
    if kind == "unknown":
        parent = path.rsplit(".", 1)[0]
        return f"{parent}.{draw(UNKNOWN_FIELDS)}", draw(JSON_VALUES)
    return path, draw(JSON_VALUES)


def _apply(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = doc
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    if value is DELETE:
        node.pop(leaf, None)
    else:
        node[leaf] = value


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """`base` with one to three mutations at `paths` (or next to them)."""
    doc = copy.deepcopy(base)
    for path, value in draw(st.lists(_mutation(paths), min_size=1, max_size=3)):
        _apply(doc, path, value)
    return doc


def campaign_manifests(name: str = "fuzz") -> st.SearchStrategy[dict[str, Any]]:
    return mutated(base_campaign(name), CAMPAIGN_PATHS)


def run_manifests(name: str = "fuzz-r001", campaign: str = "fuzz") -> st.SearchStrategy[Any]:
    return mutated(base_run(name, campaign), RUN_PATHS)
