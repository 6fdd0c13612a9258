"""Tool: block until a run changes phase (approved, started, finished, rejected) or a timeout."""

from kintern.api.run import TERMINAL_RUN_PHASES, TrainingRun
from kintern.core.backend import BackendError
from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import CampaignContext
from kintern_agent.tools.run_view import name_of, run_line

DEFAULT_MINUTES = 30.0
MAX_MINUTES = 240.0


class WaitForRuns(KinternTool):
    name = "wait_for_runs"
    description = (
        "Wait until one of the runs changes phase (approved, started, finished, rejected) or "
        "until the timeout, then report them. By default it waits on every unfinished run. "
        "Use it instead of asking get_run again and again."
    )
    inputs = {
        "names": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Runs to wait on (default: all unfinished runs).",
            "nullable": True,
        },
        "timeout_minutes": {
            "type": "number",
            "description": "Longest wait in minutes (default 30, at most 240).",
            "nullable": True,
        },
    }

    def __init__(self, ctx: CampaignContext):
        super().__init__()
        self.ctx = ctx

    def forward(self, names: list[str] | None = None, timeout_minutes: float | None = None) -> str:
        minutes = max(0.0, min(timeout_minutes or DEFAULT_MINUTES, MAX_MINUTES))
        runs = self._read(names)
        if not runs:
            return self._nothing_to_wait_for()
        clock = self.ctx.clock
        start, first = clock.now(), {name_of(r): r.status.phase for r in runs}
        while True:
            changed = [name_of(r) for r in runs if r.status.phase != first[name_of(r)]]
            done = all(r.status.phase in TERMINAL_RUN_PHASES for r in runs)
            waited = clock.now() - start
            if changed or done or waited >= minutes * 60:
                return _report(runs, changed, done, waited)
            clock.sleep(min(self.ctx.poll_s, minutes * 60 - waited))
            runs = self._read([name_of(r) for r in runs])

    def _nothing_to_wait_for(self) -> str:
        try:
            runs = self.ctx.backend.list_runs()
        except BackendError as e:
            raise ToolError(f"cannot read the runs: {e}") from e
        if not runs:
            raise ToolError("nothing to wait for: no run has been created yet")
        lines = "\n".join(run_line(r) for r in runs)
        return f"nothing to wait for: no run is pending, queued or running. All runs:\n{lines}"

    def _read(self, names: list[str] | None) -> list[TrainingRun]:
        backend = self.ctx.backend
        try:
            if names:
                return [backend.get_run(n) for n in names]
            return [r for r in backend.list_runs() if r.status.phase not in TERMINAL_RUN_PHASES]
        except BackendError as e:
            raise ToolError(f"cannot read the runs: {e}") from e


def _report(runs: list[TrainingRun], changed: list[str], done: bool, waited: float) -> str:
    after = f"after {waited / 60:.1f} minutes"
    if changed:
        head = f"{', '.join(changed)} changed phase {after}."
    elif done:
        head = f"all of these runs have finished ({after})."
    else:
        head = f"nothing changed {after} (timeout); still waiting on them."
    return head + "\n" + "\n".join(run_line(r) for r in runs)
