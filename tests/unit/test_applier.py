"""The one applier of a campaign's plan (kintern.core.applier), through a target that
records what each mode would do: the order of writes, and how a launch that cannot happen
fails its run (phase, failureReason, Failed condition, Warning Event, no workload)."""

from typing import Any

from kintern.api.campaign import CampaignStatus, PostTrainingCampaign
from kintern.api.conditions import Reason, find_condition
from kintern.api.request import RunRequest
from kintern.api.run import TrainingRun, TrainingRunStatus
from kintern.core.applier import LaunchRefused, Placement, apply_plan
from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.runs import Event
from kintern.core.workload import AgentState
from tests.support.builders import T0, campaign, run


class Recorder:
    """A PlanTarget that records each call, in order."""

    def __init__(self, refuse: LaunchRefused | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.refuse = refuse
        self.statuses: dict[str, TrainingRunStatus] = {}

    def placement(self, campaign: PostTrainingCampaign, run: TrainingRun) -> Placement:
        return Placement(output_dir="/ck", job_name=f"trun-{run.metadata['name']}")

    def write_run_status(self, run: TrainingRun, status: TrainingRunStatus) -> None:
        self.statuses[run.metadata["name"]] = status.model_copy(deep=True)
        self.calls.append(("status", (run.metadata["name"], status.phase)))

    def run_events(self, run: TrainingRun, events: list[Event]) -> None:
        self.calls += [("event", (run.metadata["name"], e.type, e.reason)) for e in events]

    def launch(
        self, run: TrainingRun, campaign: PostTrainingCampaign, request: RunRequest
    ) -> LaunchRefused | None:
        self.calls.append(("launch", run.metadata["name"]))
        return self.refuse

    def stop(self, run: TrainingRun) -> None:
        self.calls.append(("stop", run.metadata["name"]))

    def create_run(self, run: TrainingRun) -> None:
        self.calls.append(("create", run.metadata["name"]))

    def write_campaign_status(self, status: CampaignStatus) -> None:
        self.calls.append(("campaign status", status.phase))

    def campaign_events(self, events: list[Event]) -> None:
        self.calls += [("campaign event", e.reason) for e in events]


def _apply(runs: list[TrainingRun], target: Recorder, **spec: Any) -> None:
    c = campaign(**{"approvals.mode": "Auto", **spec})
    agent = AgentState(exists=True, active=True)
    plan = plan_campaign(Snapshot(c, runs, {}, agent, T0, queues=True))
    apply_plan(plan, c, runs, target)


def _failed_as(status: TrainingRunStatus, reason: str, message: str) -> None:
    assert (status.phase, status.failure_reason, status.message) == ("Failed", reason, message)
    failed = find_condition(status.conditions, "Failed")
    assert failed is not None
    assert (failed.status, failed.reason, failed.message) == ("True", reason, message)
    assert failed.observed_generation == status.observed_generation == 1
    assert status.job_name is None


def test_a_launch_writes_the_run_status_with_its_job_before_launching():
    target = Recorder()
    _apply([run("demo-r001")], target)
    names = [c[0] for c in target.calls]
    assert names.index("status") < names.index("launch") < names.index("campaign status")
    assert target.statuses["demo-r001"].job_name == "trun-demo-r001"
    assert target.statuses["demo-r001"].observed_generation == 1


def test_an_unresolved_start_model_fails_the_run_before_anything_is_launched():
    target = Recorder()
    _apply([run("demo-r001", recipe="eval", model="run:nope")], target)
    message = "spec.model 'run:nope': run 'nope' has no checkpoint"
    _failed_as(target.statuses["demo-r001"], Reason.INVALID_SPEC, message)
    assert ("launch", "demo-r001") not in target.calls
    assert [c for c in target.calls if c[0] == "status"] == [("status", ("demo-r001", "Failed"))]
    assert ("event", ("demo-r001", "Warning", Reason.INVALID_SPEC)) in target.calls
    assert ("event", ("demo-r001", "Normal", Reason.JOB_CREATED)) not in target.calls


def test_a_refused_launch_fails_the_run_after_its_status_was_written():
    refused = LaunchRefused(Reason.JOB_CONFLICT, "a Job named trun-demo-r001 already exists")
    target = Recorder(refuse=refused)
    _apply([run("demo-r001")], target)
    statuses = [c for c in target.calls if c[0] == "status"]
    assert statuses == [("status", ("demo-r001", "Running")), ("status", ("demo-r001", "Failed"))]
    _failed_as(target.statuses["demo-r001"], Reason.JOB_CONFLICT, refused.message)
    assert ("event", ("demo-r001", "Warning", Reason.JOB_CONFLICT)) in target.calls


def test_under_a_queue_a_run_that_cannot_launch_is_not_said_to_wait_for_quota():
    target = Recorder()
    unresolved = run("demo-r001", recipe="eval", model="run:nope")
    _apply([unresolved], target, **{"compute.queueName": "team-a"})
    status = target.statuses["demo-r001"]
    _failed_as(status, Reason.INVALID_SPEC, "spec.model 'run:nope': run 'nope' has no checkpoint")
    assert find_condition(status.conditions, "Admitted") is None
    assert not [c for c in target.calls if c[0] == "event" and c[1][2] == Reason.WAITING_FOR_QUOTA]
