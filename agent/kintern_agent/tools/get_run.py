"""Tool: one run in full: spec, phase, approval, result, diagnosis and the tail of its log."""

from kintern.core.backend import BackendError
from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import CampaignContext
from kintern_agent.tools.run_view import describe_run

DEFAULT_LOG_LINES = 40


class GetRun(KinternTool):
    name = "get_run"
    description = (
        "Read one run: its settings, phase, approval decision, GPU-hours, result (score with "
        "its 95% interval, metrics), diagnosis with evidence and advice, and its last log lines."
    )
    inputs = {
        "name": {"type": "string", "description": "The run's name, e.g. qwen3-gpqa-r003."},
        "log_lines": {
            "type": "integer",
            "description": "Log lines to show (default 40, 0 for none).",
            "nullable": True,
        },
    }

    def __init__(self, ctx: CampaignContext):
        super().__init__()
        self.ctx = ctx

    def forward(self, name: str, log_lines: int | None = None) -> str:
        backend = self.ctx.backend
        try:
            run = backend.get_run(name)
        except BackendError as e:
            raise ToolError(f"cannot read run {name}: {e}") from e
        text = describe_run(run)
        lines = DEFAULT_LOG_LINES if log_lines is None else max(0, min(log_lines, 500))
        if lines:
            text += "\n\n## Log tail\n" + self._logs(name, lines, run.status.log_tail)
        return text

    def _logs(self, name: str, lines: int, saved_tail: str | None) -> str:
        try:
            logs = self.ctx.backend.run_logs(name, lines)
        except BackendError as e:
            logs = saved_tail or f"(logs unavailable: {e})"
        return logs or saved_tail or "(no log lines yet)"
