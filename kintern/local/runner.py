"""`kintern run`: the campaign loop on one machine.

The same state machine as the operator (`kintern.core.campaigns.plan_campaign`) decides
approvals, budgets and endings, and the same applier (`kintern.core.applier`) carries
the decisions out; runs are local processes; the agent works in a thread
through `LocalBackend`. Ctrl-C stops cleanly, and a second `kintern run` on the same
directory resumes: finished runs stay finished, interrupted ones start again.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.live import Live

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.run import TrainingRun
from kintern.core.applier import apply_plan
from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.publish import is_publish
from kintern.core.workload import AgentState
from kintern.local import approvals, view
from kintern.local.backend import LocalBackend
from kintern.local.executor import LocalExecutor
from kintern.local.store import CampaignStore
from kintern.local.target import LocalTarget

log = logging.getLogger(__name__)
# How long a stopped agent gets to report its last words (its summary) before the report.
AGENT_STOP_WAIT_S = 10.0
AgentFactory = Callable[[LocalBackend, threading.Event], Callable[[], str]]


class AgentThread:
    """Runs the agent's loop in a thread; records how it ended."""

    def __init__(self, work: Callable[[], str], stop: threading.Event) -> None:
        self.stop = stop
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=True, name="agent")

    def _run(self, work: Callable[[], str]) -> None:
        try:
            work()
        except BaseException as err:  # reported in the campaign status, not lost
            log.exception("the agent failed")
            self.error = err

    def state(self) -> AgentState:
        alive = self.thread.is_alive()
        return AgentState(
            exists=True,
            active=alive,
            succeeded=not alive and self.error is None,
            failed=not alive and self.error is not None,
            message=f"{type(self.error).__name__}: {self.error}" if self.error else "",
        )


class LocalRunner:
    def __init__(
        self,
        campaign: PostTrainingCampaign,
        directory: Path,
        agent_factory: AgentFactory,
        ask: approvals.Asker | None,
        console: Console | None = None,
        poll_seconds: float = 0.5,
        gpus: list[int] | None = None,
    ) -> None:
        self.store = CampaignStore(directory)
        self.store.init(campaign)
        self.backend = LocalBackend(self.store)
        self.executor = LocalExecutor(self.store, gpus)
        self.target = LocalTarget(self.store, self.executor)
        self.ask = ask
        self.console = console or Console()
        self.poll_seconds = poll_seconds
        self.agent_stop = threading.Event()
        self.agent = AgentThread(agent_factory(self.backend, self.agent_stop), self.agent_stop)
        self._asked: set[str] = set()

    def run(self) -> PostTrainingCampaign:
        """Run to the end (or until Ctrl-C); returns the campaign as it ended."""
        self.executor.kill_stale([r.metadata["name"] for r in self.store.runs()])
        if self.store.campaign().status.phase not in ("Succeeded", "Failed"):
            self.agent.thread.start()
        try:
            with Live(console=self.console, refresh_per_second=2, transient=False) as live:
                while not self._step(live):
                    time.sleep(self.poll_seconds)
        except KeyboardInterrupt:
            self.console.print("[yellow]interrupted: stopping runs; run again to resume[/yellow]")
            raise
        finally:
            self.agent_stop.set()
            self.executor.stop_all()
            if self.agent.thread.ident is not None:
                self.agent.thread.join(AGENT_STOP_WAIT_S)
        return self.store.campaign()

    def _step(self, live: Live) -> bool:
        """One reconcile; True when the campaign has ended and nothing runs."""
        campaign = self.store.campaign()
        runs = self.store.runs()
        state = self.agent.state() if self.agent.thread.ident else AgentState(exists=True)
        snapshot = Snapshot(campaign, runs, self.executor.workloads(), state, datetime.now(UTC))
        plan = plan_campaign(snapshot)
        apply_plan(plan, campaign, runs, self.target)
        campaign = self.store.campaign()
        runs = self.store.runs()
        live.update(view.render(campaign, runs))
        if not plan.agent_should_run:
            self.agent_stop.set()
        ended = campaign.status.phase in ("Succeeded", "Failed")
        self._prompt(live, runs)  # after the end too: publishing the best model asks
        return ended and self.executor.live == 0 and not _publishing(runs, self.ask is not None)

    def _prompt(self, live: Live, runs: list[TrainingRun]) -> None:
        if self.ask is None:
            return
        for run in runs:
            name = run.metadata["name"]
            if run.status.phase != "AwaitingApproval" or name in self._asked:
                continue
            self._asked.add(name)
            live.stop()
            try:
                approved, reason = self.ask(run)
            finally:
                live.start()
            approvals.record(self.store, run, approved, reason)


def _publishing(runs: list[TrainingRun], can_ask: bool) -> bool:
    """Whether a publish run still has to finish (or be asked about) before `kintern run`
    may end; one awaiting a person with nobody to ask waits for the next `kintern run`."""
    waiting = ("Pending", "Queued", "Running") + (("AwaitingApproval",) if can_ask else ())
    return any(is_publish(r) and r.status.phase in waiting for r in runs)
