"""Executes one RunRequest from start to result: the trainer's main line.

Order: check the request, load the evaluation questions, load and decontaminate the data,
train with the recipe, diagnose the logs, evaluate the checkpoint, publish if asked, then
always write the result and the full record, whatever failed on the way. The `publish`
recipe only publishes its start model (the campaign's best checkpoint) with its card. Called by
`cli.train_main`; tests call `execute` through it.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kintern.api.campaign import EvalSpec
from kintern.api.request import RunRequest
from kintern.api.result import (
    DecontaminationSummary,
    Diagnosis,
    DiagnosisKind,
    Score,
    TrainingResult,
)
from kintern.api.run import PUBLISH_RECIPE
from kintern_trainer import card, decontam, distributed, hub, launch, recipes, record, tracking
from kintern_trainer.diagnosis import diagnose, is_failure
from kintern_trainer.errors import ContaminationError, SpecError, TrainerError
from kintern_trainer.evaluation.evaluate import evaluate
from kintern_trainer.evaluation.questions import MCQuestion, load_questions, resolve_suite
from kintern_trainer.modeling import gpu_count, resolve_device
from kintern_trainer.recipes.common import RecipeContext, TrainingCrashed, TrainOutput

log = logging.getLogger(__name__)
RECIPES = (*recipes.TRAINING_RECIPES, "eval", PUBLISH_RECIPE)
CONTAMINATION_ADVICE = (
    "remove the overlapping rows from the training data, or set decontamination.mode: drop"
)
FINAL_LOG_KEYS = ("loss", "grad_norm", "reward", "reward_std", "frac_reward_zero_std", "entropy")


@dataclass
class Run:
    """What one run has found so far; becomes the result and the record."""

    request: RunRequest
    started: float = field(default_factory=time.monotonic)
    device: str = "cpu"
    score: Score | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    diagnosis: Diagnosis = field(default_factory=Diagnosis)
    checkpoint: str | None = None
    data_files: list[str] = field(default_factory=list)
    hub_url: str | None = None
    decontamination: DecontaminationSummary | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    samples: list[dict[str, Any]] | None = None

    def fail(self, kind: DiagnosisKind, message: str, advice: str = "") -> None:
        self.error = message
        self.diagnosis = Diagnosis(kind=kind, evidence=message[:1000], advice=advice)

    def result(self) -> TrainingResult:
        wall = time.monotonic() - self.started
        failed = self.error is not None or is_failure(self.diagnosis)
        return TrainingResult(
            status="failed" if failed else "succeeded",
            score=self.score,
            metrics={k: v for k, v in self.metrics.items() if math.isfinite(v)},  # JSON has no NaN
            diagnosis=self.diagnosis,
            checkpoint=self.checkpoint,
            data_files=self.data_files or None,
            hub_url=self.hub_url,
            decontamination=self.decontamination,
            wall_seconds=round(wall, 3),
            gpu_seconds=round(wall * gpu_count(self.device), 3),
            error=self.error,
        )


def execute(request: RunRequest) -> TrainingResult:
    """Run the request; never raises for a failed run, the result says what failed."""
    run = Run(request)
    try:
        _execute(run)
    except ContaminationError as exc:
        run.decontamination = exc.report.summary
        run.details["decontamination"] = _overlap_details(exc.report)
        run.fail("contamination", str(exc), CONTAMINATION_ADVICE)
    except TrainingCrashed as exc:
        run.details["history"] = exc.history
        run.diagnosis = diagnose(exc.history, request.spec.recipe, exc.cause)
        run.error = f"training failed: {type(exc.cause).__name__}: {exc.cause}"
    except TrainerError as exc:
        run.fail("error", str(exc), "fix the run's spec or data as the error says")
    except Exception as exc:  # out of memory outside training, or a bug: still reported
        log.exception("the run failed")
        run.details["traceback"] = traceback.format_exc()
        run.diagnosis = diagnose([], request.spec.recipe, exc)
        run.error = f"{type(exc).__name__}: {exc}"
    return _finish(run)


def _execute(run: Run) -> None:
    request = run.request
    _validate(request)
    if request.spec.recipe == PUBLISH_RECIPE:
        _publish(run, _local_checkpoint(request.base_model))
        return
    run.device = resolve_device(request.device)
    distributed.init(run.device)
    suite = resolve_suite(request.benchmark, request.spec.eval or request.eval)
    questions = load_questions(suite)
    model = _start_model(request)
    if request.spec.recipe == "eval":
        target: str | None = model
    else:
        target = _train(run, model, questions)
    if is_failure(run.diagnosis):
        run.error = f"{run.diagnosis.kind}: {run.diagnosis.evidence}"
        return
    if target is None:
        return
    run.checkpoint = target
    _evaluate(run, target, suite, questions)
    if request.spec.push_to_hub and distributed.is_main():
        _publish(run, Path(target))


def _publish(run: Run, checkpoint: Path) -> None:
    """Push `checkpoint` with its model card; the result keeps the local path (other runs
    start from it as run:NAME) and records the Hub URL beside it."""
    repo = run.request.hub_repo or ""
    text = card.model_card(checkpoint, repo)
    run.details["modelCard"] = text
    run.hub_url = hub.push_checkpoint(checkpoint, repo, text, run.request.run_name)
    run.checkpoint = str(checkpoint)


def _local_checkpoint(model: str) -> Path:
    path = Path(model)
    if not (path / "config.json").is_file():
        raise SpecError(
            f"a publish run publishes a local checkpoint (run:NAME of a finished run); "
            f"'{model}' is not a model directory"
        )
    return path


def _validate(request: RunRequest) -> None:
    if request.spec.recipe not in RECIPES:
        raise SpecError(f"unknown recipe '{request.spec.recipe}': use one of {', '.join(RECIPES)}")
    hub.check_publish(request)


def _start_model(request: RunRequest) -> str:
    if request.base_model.startswith("run:"):
        raise SpecError(
            f"model '{request.base_model}' names another run; the operator or local mode "
            "must resolve it to that run's checkpoint before the trainer starts"
        )
    return request.base_model


def _train(run: Run, model: str, questions: list[MCQuestion]) -> str | None:
    from kintern_trainer.data import load_training_data
    from kintern_trainer.recipes.grpo import required_columns

    spec = run.request.spec
    ctx = RecipeContext(request=run.request, device=run.device, model_path=model)
    if spec.recipe != "custom":
        extra = required_columns(spec.hyperparameters.rewards) if spec.recipe == "grpo" else ()
        data = load_training_data(spec.datasets, spec.recipe, spec.hyperparameters.seed, extra)
        run.details["data"] = {"sources": data.sources, "columns": list(data.columns)}
        texts = [q.question for q in questions]
        ctx.dataset, report = decontam.check(data.dataset, texts, spec.decontamination)
        run.decontamination = report.summary
        run.details["decontamination"] = _overlap_details(report)
    output = recipes.train(spec.recipe, ctx)
    run.data_files = output.data_files
    run.details["history"] = output.history
    run.metrics |= _train_metrics(output)
    run.diagnosis = diagnose(output.history, spec.recipe)
    return str(output.checkpoint) if output.checkpoint else None


def _evaluate(run: Run, model: str, suite: EvalSpec, questions: list[MCQuestion]) -> None:
    report = evaluate(model, suite, run.device, questions)
    run.score = report.score
    run.metrics |= report.metrics()
    run.samples = report.samples
    run.details["eval"] = {"suite": suite.to_dict(), "backend": report.backend}


def _train_metrics(output: TrainOutput) -> dict[str, float]:
    metrics = dict(output.metrics)
    steps = [e for e in output.history if "train_runtime" not in e]
    for key in FINAL_LOG_KEYS:
        values = [e[key] for e in steps if isinstance(e.get(key), int | float)]
        if values:
            metrics[f"final_{key}"] = float(values[-1])
    tokens = next((e["num_tokens"] for e in reversed(steps) if "num_tokens" in e), None)
    runtime = output.metrics.get("train_runtime")
    if tokens and runtime:
        metrics["train_tokens_per_second"] = round(tokens / runtime, 2)
    return metrics


def _overlap_details(report: decontam.DecontaminationReport) -> dict[str, Any]:
    return {
        "summary": report.summary.to_dict(),
        "examples": [vars(o) for o in report.examples],
        "description": decontam.describe(report),
    }


def _finish(run: Run) -> TrainingResult:
    """Write what the run leaves: the result (a launched worker's to the launcher, which
    writes the run's one result), and from rank 0 only, the record and Trackio summary."""
    result = run.result()
    if launch.launched_worker():
        launch.write_worker_result(result, distributed.rank())
    elif distributed.is_main():
        record.write_result(result, run.request.result_path)
    if distributed.is_main():
        warning = tracking.log_summary(run.request, run.metrics)
        if warning:
            run.details["trackioWarning"] = warning
        record.write_record(run.request, result, run.details, run.samples)
    log.info("result: %s", result.to_termination_message())
    return result
