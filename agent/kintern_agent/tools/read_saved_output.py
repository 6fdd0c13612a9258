"""Tool: read the rest of a tool output that was cut because it was too long."""

from kintern_agent.tools.base import KinternTool, ToolError, page
from kintern_agent.tools.context import CampaignContext


class ReadSavedOutput(KinternTool):
    name = "read_saved_output"
    description = (
        "Read a page of a tool output that was cut for length; the cut output names it and "
        "the offset to continue from."
    )
    inputs = {
        "name": {"type": "string", "description": "The saved output's name."},
        "offset": {
            "type": "integer",
            "description": "Character offset (default 0).",
            "nullable": True,
        },
    }

    def __init__(self, ctx: CampaignContext):
        super().__init__()
        self.ctx = ctx

    def forward(self, name: str, offset: int | None = None) -> str:
        text = self.ctx.outputs.read(name)
        if text is None:
            raise ToolError(f"no saved output is called {name!r} (it may be from before a restart)")
        return page(text, offset or 0)
