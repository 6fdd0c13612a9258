"""Tool: the campaign's state: objective, budget left, deadline, runs by phase, best score."""

from datetime import UTC, datetime
from typing import Any

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.times import parse_duration, parse_time
from kintern.core.backend import BackendError
from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import CampaignContext


class GetCampaign(KinternTool):
    name = "get_campaign"
    description = (
        "The campaign as the cluster sees it now: objective and target, GPU-hours used and "
        "left, runs by phase, time left before the deadline, baseline and best score."
    )
    inputs: dict[str, dict[str, Any]] = {}

    def __init__(self, ctx: CampaignContext):
        super().__init__()
        self.ctx = ctx

    def forward(self) -> str:
        try:
            campaign = self.ctx.backend.campaign()
        except BackendError as e:
            raise ToolError(f"cannot read the campaign: {e}") from e
        return describe_campaign(campaign, datetime.now(UTC))


def describe_campaign(c: PostTrainingCampaign, now: datetime) -> str:
    spec, status = c.spec, c.status
    o, b, u = spec.objective, spec.budget, status.usage
    target = f", target {o.target}" if o.target is not None else ""
    runs = u.runs
    return "\n".join(
        [
            f"# {c.metadata.get('name')}: {status.phase}"
            + (f" ({status.message})" if status.message else ""),
            f"- objective: {o.direction} {o.metric} on {o.benchmark}{target}",
            f"- GPU-hours: {u.gpu_hours:.2f} used of {b.gpu_hours} "
            f"({max(0.0, b.gpu_hours - u.gpu_hours):.2f} left)",
            f"- runs: {runs.total} of at most {b.max_runs} ({runs.awaiting_approval} awaiting "
            f"approval, {runs.running} running, {runs.succeeded} succeeded, {runs.failed} "
            f"failed, {runs.rejected} rejected); {b.max_concurrent_runs} may run at once",
            f"- time left: {time_left(b.deadline, status.start_time, now)}",
            f"- baseline: {status.baseline.score} ({status.baseline.run or 'not measured yet'})",
            f"- best: {status.best.score} (run {status.best.run}, model {status.best.model})",
            f"- approvals: {spec.approvals.mode}",
        ]
    )


def time_left(deadline: str | None, start_time: str | None, now: datetime) -> str:
    if not deadline:
        return "no deadline"
    start = parse_time(start_time)
    if start is None:
        return f"{deadline} from the start (not started yet)"
    left = parse_duration(deadline) - (now - start).total_seconds()
    if left <= 0:
        return "none: the deadline has passed"
    return f"{int(left // 3600)}h{int(left % 3600 // 60):02d}m"
