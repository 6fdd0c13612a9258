"""The agent's CampaignBackend over a campaign directory (local mode)."""

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.run import TrainingRun, TrainingRunSpec
from kintern.core.backend import BackendError
from kintern.local.store import CampaignStore


class LocalBackend:
    """Implements `kintern.core.backend.CampaignBackend`; approvals stay with the runner."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store

    def campaign(self) -> PostTrainingCampaign:
        return self.store.campaign()

    def create_run(self, name: str, spec: TrainingRunSpec) -> TrainingRun:
        if spec.campaign != self.store.campaign().metadata["name"]:
            raise BackendError(f"spec.campaign must be {self.store.campaign().metadata['name']!r}")
        if any(a in name for a in "/\\ ") or name.startswith("."):
            raise BackendError(f"invalid run name {name!r}: use letters, digits and dashes")
        return self.store.create_run(name, spec)

    def list_runs(self) -> list[TrainingRun]:
        return self.store.runs()

    def get_run(self, name: str) -> TrainingRun:
        run = self.store.run(name)
        if run is None:
            raise BackendError(f"run {name!r} not found")
        return run

    def run_logs(self, name: str, tail_lines: int = 50) -> str:
        path = self.store.run_dir(name) / "train.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-tail_lines:])

    def report_progress(
        self,
        iterations: int,
        tokens: int,
        cost_usd: float,
        summary: str | None = None,
        done: bool = False,
    ) -> None:
        fields: dict[str, object] = {
            "agent_iterations": iterations,
            "agent_tokens": tokens,
            "agent_cost_usd": cost_usd,
        }
        if summary is not None:
            fields["agent_summary"] = summary
        if done:
            fields["agent_done"] = True
        self.store.update_agent_fields(**fields)

    def load_state(self) -> str | None:
        return self.store.load_agent_state()

    def save_state(self, state: str) -> None:
        self.store.save_agent_state(state)
