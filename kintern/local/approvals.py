"""Terminal approvals: a person answers for each run that waits, as with kubectl annotate."""

import getpass
from collections.abc import Callable

from rich.console import Console
from rich.prompt import Prompt

from kintern.api.run import TrainingRun
from kintern.core.approvals import APPROVE_ANNOTATION, APPROVED_BY_ANNOTATION, REJECT_ANNOTATION
from kintern.local.store import CampaignStore

Asker = Callable[[TrainingRun], tuple[bool, str]]


def describe(run: TrainingRun) -> str:
    spec = run.spec
    hp = spec.hyperparameters
    data = ", ".join(d.name for d in spec.datasets) or "-"
    gpus = spec.resources.gpus if spec.resources.gpus is not None else "default"
    return (
        f"[bold]{run.metadata['name']}[/bold]: {spec.recipe} on {spec.model or 'the base model'}, "
        f"data {data}, lr {hp.learning_rate:g}, {hp.epochs:g} epochs, "
        f"{gpus} GPUs x {spec.resources.hours:g} h\n  why: {spec.rationale or '-'}"
    )


def ask_in_terminal(console: Console) -> Asker:
    def ask(run: TrainingRun) -> tuple[bool, str]:
        console.print(describe(run))
        answer = Prompt.ask("  approve? [y]es / [n]o / or type a reason to reject", default="y")
        if answer.strip().lower() in ("y", "yes"):
            return True, ""
        reason = "" if answer.strip().lower() in ("n", "no") else answer.strip()
        return False, reason or "rejected in the terminal"

    return ask


def approve_all_asked(run: TrainingRun) -> tuple[bool, str]:
    """`kintern run --yes`: every run that waits for a person is approved (it fits the
    budget already); this covers a resumed campaign that started in another mode."""
    return True, ""


def refuse_without_terminal(run: TrainingRun) -> tuple[bool, str]:
    """The answer when nobody can be asked (Policy mode, no terminal): refused with the
    reason, so the agent proposes what the policy approves instead of waiting forever."""
    why = run.status.message or "it needs a person's approval"
    return False, f"nobody can approve it here (kintern run has no terminal): {why}"


def record(store: CampaignStore, run: TrainingRun, approved: bool, reason: str) -> None:
    """Write the answer exactly as kubectl annotate would, plus who answered."""
    who = {APPROVED_BY_ANNOTATION: getpass.getuser()}
    if approved:
        store.annotate_run(run.metadata["name"], {APPROVE_ANNOTATION: "true", **who})
    else:
        store.annotate_run(run.metadata["name"], {REJECT_ANNOTATION: reason, **who})
