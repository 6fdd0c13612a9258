"""How runs read to the model: one line in lists, a full account in get_run."""

from kintern.api.conditions import ConditionType, find_condition
from kintern.api.result import TrainingResult
from kintern.api.run import TrainingRun

SHOWN_METRICS = 10


def name_of(run: TrainingRun) -> str:
    return str(run.metadata.get("name", "?"))


def approval(run: TrainingRun) -> str:
    """'', or why the run waits or was refused, as the cluster said it."""
    c = find_condition(run.status.conditions, ConditionType.APPROVED)
    if c is None:
        return ""
    verdict = {"True": "approved", "False": "not approved", "Unknown": "undecided"}[c.status]
    return f"{verdict} ({c.reason}): {c.message}".rstrip(": ")


def score_text(result: TrainingResult | None) -> str:
    if result is None or result.score is None:
        return "no score"
    s = result.score
    return f"{s.metric} {s.value:.4f} [{s.ci_low:.4f}, {s.ci_high:.4f}] n={s.n}"


def run_line(run: TrainingRun) -> str:
    """One line: name, recipe, phase, and the score or why it stopped."""
    status = run.status
    parts = [name_of(run), run.spec.recipe, status.phase]
    if status.result is not None:
        parts.append(score_text(status.result))
        if status.result.diagnosis.kind != "ok":
            parts.append(f"diagnosis {status.result.diagnosis.kind}")
    elif status.phase in ("Rejected", "AwaitingApproval"):
        parts.append(approval(run))
    elif status.message:
        parts.append(status.message)
    return " | ".join(parts)


def describe_run(run: TrainingRun) -> str:
    """Everything the model needs to decide what to do about a run."""
    spec, status = run.spec, run.status
    data = ", ".join(d.name for d in spec.datasets) or "none"
    h = spec.hyperparameters
    lines = [
        f"# {name_of(run)}: {spec.recipe}, phase {status.phase}",
        f"- model: {spec.model or 'the base model'}; data: {data}",
        f"- learning rate {h.learning_rate}, epochs {h.epochs}, max steps {h.max_steps}, "
        f"batch {h.batch_size}x{h.gradient_accumulation_steps}, lora {h.lora}",
        f"- asked: {spec.resources.gpus or 'default'} GPU(s) for {spec.resources.hours} h; "
        f"used {status.gpu_hours:.3f} GPU-hours",
    ]
    if approval(run):
        lines.append(f"- approval: {approval(run)}")
    if status.message:
        lines.append(f"- message: {status.message}")
    if status.failure_reason:
        lines.append(f"- failure: {status.failure_reason}")
    if status.preemptions:
        lines.append(
            f"- preempted {status.preemptions} time(s) by the cluster's queue, using "
            f"{status.preempted_gpu_hours:.3f} GPU-hours: not a problem with the model, data "
            "or hyperparameters; do not change them for this"
        )
    if status.result is not None:
        lines += result_lines(status.result, name_of(run))
    return "\n".join(lines)


def result_lines(result: TrainingResult, name: str) -> list[str]:
    d = result.diagnosis
    lines = [f"- result: {result.status}, {score_text(result)}"]
    metrics = list(result.metrics.items())[:SHOWN_METRICS]
    if metrics:
        lines.append("- metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics))
    lines.append(f"- diagnosis: {d.kind}" + (f"; evidence: {d.evidence}" if d.evidence else ""))
    if d.advice:
        lines.append(f"- advice: {d.advice}")
    if result.decontamination is not None:
        dc = result.decontamination
        lines.append(
            f"- decontamination ({dc.mode}): {dc.overlapping_rows} of {dc.checked_rows} rows "
            f"overlap the evaluation set, {dc.dropped_rows} dropped"
        )
    if result.checkpoint:
        lines.append(f"- checkpoint: {result.checkpoint} (build on it with model='run:{name}')")
    if result.data_files:
        files = ", ".join(result.data_files)
        lines.append(f"- data files: {files} (train on one with datasets=[{{name: PATH}}])")
    if result.error:
        lines.append(f"- error: {result.error}")
    return lines
