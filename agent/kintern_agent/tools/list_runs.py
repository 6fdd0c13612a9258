"""Tool: all runs of the campaign, one line each."""

from typing import Any

from kintern.core.backend import BackendError
from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import CampaignContext
from kintern_agent.tools.run_view import run_line


class ListRuns(KinternTool):
    name = "list_runs"
    description = (
        "List every run of this campaign, oldest first: name, recipe, phase, and the score "
        "or the reason it waits or was refused. Read one in full with get_run."
    )
    inputs: dict[str, dict[str, Any]] = {}

    def __init__(self, ctx: CampaignContext):
        super().__init__()
        self.ctx = ctx

    def forward(self) -> str:
        try:
            runs = self.ctx.backend.list_runs()
        except BackendError as e:
            raise ToolError(f"cannot list runs: {e}") from e
        return "\n".join(run_line(r) for r in runs) or "(no runs yet)"
