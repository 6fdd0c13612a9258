"""Local mode's side of applying a plan: a campaign directory, child processes, and an
events log (trace/events.log) where the operator would record Kubernetes Events."""

from datetime import UTC, datetime

from kintern.api.campaign import CampaignStatus, PostTrainingCampaign
from kintern.api.request import RunRequest
from kintern.api.run import TrainingRun, TrainingRunStatus
from kintern.core.applier import LaunchRefused, Placement
from kintern.core.budget import requested_gpus
from kintern.core.runs import Event
from kintern.local.executor import LocalExecutor
from kintern.local.store import CampaignStore

EVENTS_LOG = "events.log"


class LocalTarget:
    """Implements `kintern.core.applier.PlanTarget` over one campaign directory."""

    def __init__(self, store: CampaignStore, executor: LocalExecutor) -> None:
        self.store, self.executor = store, executor

    def placement(self, campaign: PostTrainingCampaign, run: TrainingRun) -> Placement:
        run_dir = self.store.run_dir(run.metadata["name"])
        return Placement(
            output_dir=str(run_dir / "checkpoint"), result_path=str(run_dir / "result.json")
        )

    def write_run_status(self, run: TrainingRun, status: TrainingRunStatus) -> None:
        self.store.write_run_status(run.metadata["name"], status)

    def run_events(self, run: TrainingRun, events: list[Event]) -> None:
        self._trace(run.metadata["name"], events)

    def launch(
        self, run: TrainingRun, campaign: PostTrainingCampaign, request: RunRequest
    ) -> LaunchRefused | None:
        self.executor.launch(request, requested_gpus(run, campaign.spec))
        return None

    def stop(self, run: TrainingRun) -> None:
        self.executor.stop(run.metadata["name"])

    def create_run(self, run: TrainingRun) -> None:
        self.store.create_run(run.metadata["name"], run.spec)

    def write_campaign_status(self, status: CampaignStatus) -> None:
        self.store.write_status(status)

    def campaign_events(self, events: list[Event]) -> None:
        self._trace(self.store.campaign().metadata["name"], events)

    def _trace(self, subject: str, events: list[Event]) -> None:
        if not events:
            return
        moment = datetime.now(UTC).isoformat(timespec="seconds")
        lines = [f"{moment} {e.type} {subject} {e.reason}: {e.message}\n" for e in events]
        path = self.store.trace_dir / EVENTS_LOG
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.writelines(lines)
