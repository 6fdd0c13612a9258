"""The end-of-campaign report: report.md and report.png, in a local campaign's directory
or, with `kintern report`, wherever a person asks for a cluster campaign's report.

What ml-intern's users asked for (#327): the best model's lineage (data, hyperparameters,
scripts, package versions), every run with its score and cost, decontamination results,
and the score of each run over GPU-hours against the baseline and the target.
"""

import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.run import TrainingRun
from kintern.local.store import CampaignStore

PACKAGES = ("kintern", "torch", "transformers", "trl", "datasets", "peft", "accelerate")


def _score(run: TrainingRun) -> float | None:
    result = run.status.result
    return result.score.value if result and result.score else None


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def plot(campaign: PostTrainingCampaign, runs: list[TrainingRun], path: Path) -> Path:
    """Score of each run against cumulative GPU-hours, with baseline and target lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    spent, xs, ys, labels = 0.0, [], [], []
    for run in runs:
        spent += run.status.gpu_hours
        score = _score(run)
        if score is not None:
            xs.append(spent)
            ys.append(score)
            labels.append(run.metadata["name"].removeprefix(campaign.metadata["name"] + "-"))
    ax.plot(xs, ys, "o-", color="#1f77b4", label="run score")
    for x, y, label in zip(xs, ys, labels, strict=True):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 6), fontsize=8)
    status, objective = campaign.status, campaign.spec.objective
    if status.baseline.score is not None:
        ax.axhline(status.baseline.score, color="grey", linestyle="--", label="baseline")
    if objective.target is not None:
        ax.axhline(objective.target, color="green", linestyle=":", label="target")
    ax.set_xlabel("GPU-hours used (cumulative)")
    ax.set_ylabel(f"{objective.benchmark} {objective.metric}")
    ax.set_title(f"{campaign.metadata['name']}: score over GPU-hours")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _run_rows(runs: list[TrainingRun]) -> list[str]:
    rows = [
        "| run | recipe | phase | score (95% CI) | GPU-hours | note |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        result = run.status.result
        score = ""
        if result and result.score:
            s = result.score
            score = f"{s.value:.4f} ({s.ci_low:.3f}-{s.ci_high:.3f}, n={s.n})"
        note = run.status.message.replace("|", "/")[:80]
        rows.append(
            f"| {run.metadata['name']} | {run.spec.recipe} | {run.status.phase} | {score} | "
            f"{run.status.gpu_hours:.4f} | {note} |"
        )
    return rows


def _lineage(
    best: TrainingRun | None, base_model: str, request_of: Callable[[str], str]
) -> list[str]:
    if best is None:
        return ["No run succeeded, so there is no best model."]
    spec = best.spec
    start = f"`{spec.model}`" if spec.model else f"the base model `{base_model}`"
    lines = [
        f"- run: `{best.metadata['name']}` ({spec.recipe}), started from {start}",
        f"- checkpoint: `{best.status.result.checkpoint if best.status.result else '-'}`",
        "- data: " + (", ".join(f"`{d.name}` (weight {d.weight:g})" for d in spec.datasets) or "-"),
        "- hyperparameters: `" + json.dumps(spec.hyperparameters.to_dict(), sort_keys=True) + "`",
        f"- rationale: {spec.rationale or '-'}",
        f"- request: {request_of(best.metadata['name'])}",
    ]
    if spec.script:
        lines.append(f"- script: `{spec.script.path or spec.script.config_map}`")
    return lines


def _decontamination(runs: list[TrainingRun]) -> list[str]:
    rows = []
    for run in runs:
        d = run.status.result.decontamination if run.status.result else None
        if d is not None:
            rows.append(
                f"- `{run.metadata['name']}`: mode {d.mode}, {d.checked_rows} rows checked "
                f"({d.ngram}-grams), {d.overlapping_rows} overlapping, {d.dropped_rows} dropped"
            )
    return rows or ["- no training run reported a check"]


def write_report(store: CampaignStore) -> Path:
    """report.md and report.png in a local campaign's directory."""
    return render_report(
        store.campaign(),
        store.runs(),
        store.root,
        lambda run: f"`{store.run_dir(run) / 'request.yaml'}`",
    )


def render_report(
    campaign: PostTrainingCampaign,
    runs: list[TrainingRun],
    out_dir: Path,
    request_of: Callable[[str], str],
) -> Path:
    """Write report.md and report.png into `out_dir` (local mode and `kintern report`
    from a cluster alike); `request_of(run)` says where a run's full request is kept."""
    status, spec = campaign.status, campaign.spec
    best = next((r for r in runs if r.metadata["name"] == status.best.run), None)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot(campaign, runs, out_dir / "report.png")
    baseline = status.baseline.score
    gain = (
        f" ({status.best.score - baseline:+.4f} over the baseline)"
        if baseline is not None and status.best.score is not None
        else ""
    )
    lines = [
        f"# Campaign `{campaign.metadata['name']}`: {status.phase}",
        "",
        f"Goal: {spec.goal}",
        "",
        f"- base model: `{spec.base_model}`; benchmark: {spec.objective.benchmark}"
        f" ({spec.objective.metric}, {spec.objective.direction})",
        f"- baseline: {baseline if baseline is not None else 'not measured'}",
        f"- best: {status.best.score} by `{status.best.run}`{gain}",
        f"- target: {spec.objective.target}",
        f"- status: {status.message}",
        f"- cost: {status.usage.gpu_hours:.4f} of {spec.budget.gpu_hours:g} GPU-hours, "
        f"{status.usage.runs.total} runs, agent {status.usage.agent_iterations} steps, "
        f"{status.usage.agent_tokens} tokens (~${status.usage.agent_cost_usd:.2f})",
        f"- agent summary: {status.agent_summary or '-'}",
        "",
        f"![score over GPU-hours]({png.name})",
        "",
        "## Runs",
        *_run_rows(runs),
        "",
        "## Lineage of the best model",
        *_lineage(best, spec.base_model, request_of),
        "",
        "## Decontamination",
        *_decontamination(runs),
        "",
        "## Package versions",
        *(f"- {k} {v}" for k, v in _versions().items()),
        "",
    ]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path
