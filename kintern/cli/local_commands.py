"""`kintern run`, `kintern quickstart` and `kintern dashboard`: campaigns on one machine."""

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:  # imported lazily below: `kintern --help` stays fast
    from kintern.api.campaign import PostTrainingCampaign
    from kintern.local.approvals import Asker

console = Console()
NO_APPROVER = (
    "no terminal to ask for approvals, and approvals.mode is Manual, so every run would wait "
    "for a person forever. Pass --yes to approve every run that fits the budget, or give the "
    "campaign a policy that decides: approvals.mode Policy (the policy approves runs up to "
    "approvals.policy.maxGpuHoursPerRun) or Auto."
)


def _campaign_from_flags(
    goal: str, name: str | None, model: str, base_model: str, benchmark: str, gpu_hours: float
) -> "PostTrainingCampaign":
    from kintern.api.names import campaign_name_from_goal
    from kintern.local.validate import parse_campaign

    data = {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "PostTrainingCampaign",
        "metadata": {"name": name or campaign_name_from_goal(goal)},
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
    name: Annotated[
        str | None,
        typer.Option(help="Campaign name (shorthand; default: made from the goal's words)."),
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
    from kintern.api.names import campaign_name_problem
    from kintern.local.validate import SpecError, load_campaign

    problem = campaign_name_problem(name) if name is not None else None
    if problem:
        _refuse(f"--name {problem}")
    try:
        if base_model:
            campaign = _campaign_from_flags(target, name, model, base_model, benchmark, gpu_hours)
        else:
            campaign = load_campaign(Path(target))
    except SpecError as err:
        _refuse(str(err))
    if yes:
        approvals = campaign.spec.approvals.model_copy(update={"mode": "Auto"})
        campaign.spec = campaign.spec.model_copy(update={"approvals": approvals})
    where = directory or Path(".kintern") / campaign.metadata["name"]
    raise typer.Exit(run_campaign(campaign, where, approve_all=yes))


def _refuse(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _asker(campaign: "PostTrainingCampaign", approve_all: bool) -> "Asker | None":
    """Who answers for runs that wait for a person: --yes approves them all (a resumed
    campaign keeps the mode it started with); else the terminal; without one, in Policy
    mode, a refusal that says why (the agent proposes what the policy approves); Auto
    needs nobody. Manual mode without a terminal cannot run: _refuse says what to do."""
    from kintern.local.approvals import approve_all_asked, ask_in_terminal, refuse_without_terminal

    if approve_all:
        return approve_all_asked
    if sys.stdin.isatty():
        return ask_in_terminal(console)
    mode = campaign.spec.approvals.mode
    if mode == "Manual":
        _refuse(NO_APPROVER)
    return refuse_without_terminal if mode == "Policy" else None


def run_campaign(campaign: "PostTrainingCampaign", directory: Path, approve_all: bool) -> int:
    from kintern.local.agents import agent_for
    from kintern.local.report import write_report
    from kintern.local.runner import LocalRunner
    from kintern.local.store import CampaignStore

    store = CampaignStore(directory)
    ask = _asker(store.campaign() if store.exists() else campaign, approve_all)
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
    raise typer.Exit(run_campaign(campaign, qs.CAMPAIGN_DIR, approve_all=False))


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
