"""`kintern run`, `kintern quickstart` and `kintern dashboard`: campaigns on one machine."""

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def _campaign_from_flags(goal: str, model: str, base_model: str, benchmark: str, gpu_hours: float):
    from kintern.local.validate import parse_campaign

    data = {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "PostTrainingCampaign",
        "metadata": {"name": "campaign"},
        "spec": {
            "goal": goal,
            "baseModel": base_model,
            "objective": {"benchmark": benchmark},
            "agent": {"model": model},
            "budget": {"gpuHours": gpu_hours},
            "approvals": {"mode": "Manual"},
        },
    }
    return parse_campaign(data, "command line")


def run(
    target: Annotated[
        str, typer.Argument(help="A campaign YAML file, or the goal when --base-model is given.")
    ],
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Campaign directory (default: .kintern/<campaign name>)."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve every run that fits the budget (Auto).")
    ] = False,
    model: Annotated[str, typer.Option(help="Agent model, provider/model.")] = "builtin/sweep",
    base_model: Annotated[str | None, typer.Option(help="Model to improve (shorthand).")] = None,
    benchmark: Annotated[str, typer.Option(help="Benchmark (shorthand).")] = "gpqa-main",
    gpu_hours: Annotated[float, typer.Option(help="GPU-hour budget (shorthand).")] = 10.0,
) -> None:
    """Run a campaign on this machine: same spec, agent, trainer, approvals and budgets."""
    from kintern.local.validate import SpecError, load_campaign

    try:
        if base_model:
            campaign = _campaign_from_flags(target, model, base_model, benchmark, gpu_hours)
        else:
            campaign = load_campaign(Path(target))
    except SpecError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from None
    if yes:
        approvals = campaign.spec.approvals.model_copy(update={"mode": "Auto"})
        campaign.spec = campaign.spec.model_copy(update={"approvals": approvals})
    where = directory or Path(".kintern") / campaign.metadata["name"]
    raise typer.Exit(run_campaign(campaign, where, interactive=not yes))


def run_campaign(campaign, directory: Path, interactive: bool) -> int:
    import sys

    from kintern.local.agents import agent_for
    from kintern.local.approvals import ask_in_terminal
    from kintern.local.report import write_report
    from kintern.local.runner import LocalRunner

    ask = ask_in_terminal(console) if interactive and sys.stdin.isatty() else None
    if interactive and ask is None and campaign.spec.approvals.mode != "Auto":
        console.print(
            "[yellow]no terminal to ask in: runs that need a person will wait; "
            "use --yes to approve what fits the budget[/yellow]"
        )
    runner = LocalRunner(campaign, directory, agent_for, ask, console)
    try:
        ended = runner.run()
    except KeyboardInterrupt:
        console.print(f"resume with: kintern run {directory / 'campaign.yaml'} --dir {directory}")
        return 130
    report = write_report(runner.store)
    console.print(f"\n[bold]{ended.status.phase}[/bold]: {ended.status.message}")
    console.print(f"report: {report}  plot: {report.with_suffix('.png')}")
    return 0 if ended.status.phase == "Succeeded" else 1


def quickstart(
    keep: Annotated[bool, typer.Option(help="Resume the previous quickstart instead.")] = False,
) -> None:
    """Build a tiny model and task here, then run examples/quickstart.yaml end to end."""
    from kintern.local import quickstart as qs
    from kintern.local.validate import load_campaign

    console.print("preparing the tiny base model and the generated task (nothing is downloaded)")
    qs.prepare()
    if not keep:
        shutil.rmtree(qs.CAMPAIGN_DIR, ignore_errors=True)
    campaign = load_campaign(qs.EXAMPLE)
    raise typer.Exit(run_campaign(campaign, qs.CAMPAIGN_DIR, interactive=False))


def dashboard(
    directory: Annotated[Path, typer.Argument(help="Campaign directory.")] = Path(
        ".kintern/quickstart/campaign"
    ),
    project: Annotated[str | None, typer.Option(help="Trackio project.")] = None,
) -> None:
    """Open the Trackio dashboard of a local campaign's runs."""
    os.environ.setdefault("TRACKIO_DIR", str(directory / "trackio"))
    import trackio

    trackio.show(project=project)
