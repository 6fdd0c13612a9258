"""The live terminal view of a local campaign: runs, scores, GPU-hours, approvals."""

from rich.console import Group
from rich.table import Table
from rich.text import Text

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.run import TrainingRun

PHASE_STYLE = {
    "Succeeded": "green",
    "Failed": "red",
    "Rejected": "red",
    "Running": "cyan",
    "AwaitingApproval": "yellow",
    "Queued": "blue",
}


def render(campaign: PostTrainingCampaign, runs: list[TrainingRun]) -> Group:
    status = campaign.status
    head = Text.assemble(
        (campaign.metadata["name"], "bold"), "  ", (status.phase, "bold"), "  ", status.message
    )
    table = Table(expand=False)
    for column in ("RUN", "RECIPE", "PHASE", "SCORE", "GPU-H", "MESSAGE"):
        table.add_column(column)
    for run in runs:
        result = run.status.result
        score = f"{result.score.value:.3f}" if result and result.score else ""
        phase = run.status.phase
        table.add_row(
            run.metadata["name"],
            run.spec.recipe,
            Text(phase, PHASE_STYLE.get(phase, "")),
            score,
            f"{run.status.gpu_hours:.3f}",
            run.status.message[:60],
        )
    return Group(head, table)
