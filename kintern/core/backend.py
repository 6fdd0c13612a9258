"""The agent's window onto its campaign: a protocol with a Kubernetes and a local side.

The agent reaches the world only through this interface. On a cluster it is backed by
TrainingRun objects created with the agent's own ServiceAccount token; in local mode by
the campaign directory. Either way the operator side, never the agent, decides
approvals and budgets.
"""

from typing import Protocol

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.run import TrainingRun, TrainingRunSpec


class CampaignBackend(Protocol):
    """What an agent may do. Every method may raise `BackendError` with a readable text."""

    def campaign(self) -> PostTrainingCampaign:
        """The campaign as it is now (spec and status)."""
        ...

    def create_run(self, name: str, spec: TrainingRunSpec) -> TrainingRun:
        """Create the run called `name`; if it exists already, return it unchanged."""
        ...

    def list_runs(self) -> list[TrainingRun]:
        """All runs of this campaign, oldest first."""
        ...

    def get_run(self, name: str) -> TrainingRun: ...

    def run_logs(self, name: str, tail_lines: int = 50) -> str:
        """The last log lines of a run ('' when it has none yet)."""
        ...

    def report_progress(
        self,
        iterations: int,
        tokens: int,
        cost_usd: float,
        summary: str | None = None,
        done: bool = False,
    ) -> None:
        """Record agent iterations, tokens and cost; `done` marks the agent finished."""
        ...

    def load_state(self) -> str | None:
        """The agent's saved memory (opaque text), or None on a first start."""
        ...

    def save_state(self, state: str) -> None: ...


class BackendError(Exception):
    """An expected failure the agent should read and adapt to (not found, forbidden, ...)."""
