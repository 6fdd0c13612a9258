"""The model card (README.md) that goes with a published checkpoint.

Everything in it comes from the full records runs leave beside their checkpoints
(`record.RECORD_FILENAME` in the checkpoint's parent folder): the base model, the data,
the hyperparameters, the score with its interval and n, the decontamination check, and the
lineage, from the published run back through every `run:` it started from to the base
model. Called by `runner` for the `publish` recipe and for `pushToHub`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kintern_trainer.record import RECORD_FILENAME

MAX_LINEAGE = 50  # a cycle of checkpoints is impossible, but a card must never loop


@dataclass(frozen=True)
class Step:
    """One run in the lineage: its record, and the model it started from."""

    record: dict[str, Any]
    start_model: str

    @property
    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = self.record.get("request", {})
        return request

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.request.get("spec", {})
        return spec

    @property
    def name(self) -> str:
        return str(self.request.get("runName", "?"))


def lineage(checkpoint: Path) -> list[Step]:
    """The runs behind `checkpoint`, newest first, as far back as records exist."""
    steps: list[Step] = []
    current: Path | None = checkpoint
    while current is not None and len(steps) < MAX_LINEAGE:
        path = current.parent / RECORD_FILENAME
        if not path.is_file():
            break
        record = json.loads(path.read_text())
        start = str(record.get("request", {}).get("baseModel", ""))
        steps.append(Step(record, start))
        current = Path(start) if start and Path(start).is_dir() else None
    return steps


def model_card(checkpoint: Path, repo: str) -> str:
    """README.md for `repo`: YAML metadata, then what the model is and how it was made."""
    steps = lineage(checkpoint)
    if not steps:
        return f"# {repo}\n\nPublished by Kintern; no run record was found beside the model.\n"
    top, base = steps[0], steps[-1].start_model
    result = top.record.get("result", {})
    meta = {"base_model": base, "library_name": "transformers", "tags": ["kintern"]}
    sections = [
        f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n",
        f"# {repo}\n\n{_summary(top, base)}\n",
        _score(top, result),
        _data(top),
        _hyperparameters(top),
        _decontamination(result),
        _lineage(steps, base),
    ]
    return "\n".join(sections)


def _summary(top: Step, base: str) -> str:
    recipe = top.spec.get("recipe", "?")
    return (
        f"Post-trained from `{base}` by Kintern (campaign `{top.request.get('campaign', '?')}`, "
        f"run `{top.name}`, recipe `{recipe}`)."
    )


def _score(top: Step, result: dict[str, Any]) -> str:
    score = result.get("score")
    benchmark = top.request.get("benchmark", "?")
    if not score:
        return f"## Evaluation\n\nNo score was recorded on `{benchmark}`.\n"
    metric = score.get("metric", "accuracy")
    return (
        f"## Evaluation\n\n| benchmark | {metric} | 95% interval | n |\n|---|---|---|---|\n"
        f"| {benchmark} | {score['value']:.4f} | {score['ciLow']:.4f} to {score['ciHigh']:.4f} "
        f"| {score['n']} |\n"
    )


def _data(top: Step) -> str:
    used = {s.get("name"): s for s in top.record.get("data", {}).get("sources", [])}
    lines = ["## Training data\n", "| data set | split | weight | rows used |", "|---|---|---|---|"]
    for ref in top.spec.get("datasets", []):
        source = used.get(ref.get("name"), {})
        split = ref.get("split", source.get("split", "train"))
        lines.append(
            f"| {ref.get('name')} | {split} | {ref.get('weight', 1)} | {source.get('used', '?')} |"
        )
    return "\n".join(lines) + "\n"


def _hyperparameters(top: Step) -> str:
    hp = top.spec.get("hyperparameters", {})
    rows = "\n".join(f"| {key} | {value} |" for key, value in sorted(hp.items()))
    return f"## Hyperparameters\n\n| setting | value |\n|---|---|\n{rows}\n"


def _decontamination(result: dict[str, Any]) -> str:
    check = result.get("decontamination")
    if not check:
        return "## Decontamination\n\nNo decontamination check was recorded.\n"
    return (
        "## Decontamination\n\n"
        f"Training rows were checked against the evaluation questions for shared "
        f"{check.get('ngram')}-word sequences (mode `{check.get('mode')}`): "
        f"{check.get('checkedRows')} rows checked, {check.get('overlappingRows')} overlapping, "
        f"{check.get('droppedRows')} dropped.\n"
    )


def _lineage(steps: list[Step], base: str) -> str:
    lines = ["## Lineage\n", "Newest first; each run started from the model below it.\n"]
    for step in steps:
        score = step.record.get("result", {}).get("score") or {}
        scored = f", score {score['value']:.4f}" if score else ""
        lines.append(f"1. run `{step.name}`: `{step.spec.get('recipe', '?')}`{scored}")
    lines.append(f"1. base model `{base}`")
    return "\n".join(lines) + "\n"
