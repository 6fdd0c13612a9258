"""Carrying out a campaign's plan: the one order of writes the operator and local mode share.

`plan_campaign` decides; `apply_plan` does what it decided through a `PlanTarget`, which
knows only the I/O of its mode (the apiserver, or a campaign directory and its processes).
The order makes a kill safe at any moment: a run's status is written before its workload
is launched, and the runs the campaign proposes exist before the status announcing them.
A launch that cannot happen (its start model cannot be resolved, or the workload is
refused) fails its run the same way in both modes: phase Failed, failureReason, a Failed
condition and a Warning Event.
"""

from dataclasses import dataclass
from typing import Protocol

from kintern.api.campaign import CampaignStatus, PostTrainingCampaign
from kintern.api.conditions import ConditionType, Reason
from kintern.api.request import RunRequest
from kintern.api.run import TrainingRun, TrainingRunStatus
from kintern.core.campaigns import CampaignPlan
from kintern.core.requests import UnresolvedModel, build_request
from kintern.core.runs import Event, RunStep, fail

FAILURE_MESSAGE_CHARS = 500
# What a step announces about a launch; a launch that fails before any write never happened.
LAUNCH_EVENTS = frozenset({Reason.JOB_CREATED, Reason.WAITING_FOR_QUOTA})


@dataclass(frozen=True)
class Placement:
    """Where a mode puts a run's workload."""

    output_dir: str  # its checkpoint
    job_name: str | None = None  # recorded on the run when it launches (None: no Job)
    result_path: str | None = None  # where the trainer writes its result, if not a message
    shared_checkpoints: bool = True  # whether one run's checkpoint outlives its workload


@dataclass(frozen=True)
class LaunchRefused:
    """The workload was refused for good: retrying cannot help."""

    reason: Reason
    message: str


class PlanTarget(Protocol):
    """The I/O of one mode; `apply_plan` decides the order and the statuses."""

    def placement(self, campaign: PostTrainingCampaign, run: TrainingRun) -> Placement: ...

    def write_run_status(self, run: TrainingRun, status: TrainingRunStatus) -> None: ...

    def run_events(self, run: TrainingRun, events: list[Event]) -> None: ...

    def launch(
        self, run: TrainingRun, campaign: PostTrainingCampaign, request: RunRequest
    ) -> LaunchRefused | None: ...

    def stop(self, run: TrainingRun) -> None: ...

    def create_run(self, run: TrainingRun) -> None: ...

    def write_campaign_status(self, status: CampaignStatus) -> None: ...

    def campaign_events(self, events: list[Event]) -> None: ...


def apply_plan(
    plan: CampaignPlan,
    campaign: PostTrainingCampaign,
    runs: list[TrainingRun],
    target: PlanTarget,
) -> None:
    """Do what `plan` says, through `target`; a failed launch updates `plan` to match."""
    by_name = {r.metadata["name"]: r for r in runs}
    checkpoints = checkpoints_of(plan)
    for name, step in plan.steps.items():
        _apply_step(step, by_name[name], campaign, checkpoints, target)
    for run in plan.creates:
        target.create_run(run)
    target.write_campaign_status(plan.status)
    target.campaign_events(plan.events)


def _apply_step(
    step: RunStep,
    run: TrainingRun,
    campaign: PostTrainingCampaign,
    checkpoints: dict[str, str],
    target: PlanTarget,
) -> None:
    request = _request(step, run, campaign, checkpoints, target) if step.launch else None
    if step.status != run.status:
        target.write_run_status(run, step.status)
    target.run_events(run, step.events)
    if request is not None:
        refused = target.launch(run, campaign, request)
        if refused is not None:
            step.events = []
            fail_launch(step, run, refused.reason, refused.message)
            target.write_run_status(run, step.status)
            target.run_events(run, step.events)
    if step.stop:
        target.stop(run)


def _request(
    step: RunStep,
    run: TrainingRun,
    campaign: PostTrainingCampaign,
    checkpoints: dict[str, str],
    target: PlanTarget,
) -> RunRequest | None:
    """The launching run's request, or None when it cannot be built: then the step fails
    the run instead, before anything is written (no Job is named, none is created)."""
    where = target.placement(campaign, run)
    step.status.job_name = where.job_name  # known before the launch, written with it
    try:
        return build_request(
            run,
            campaign,
            where.output_dir,
            checkpoints,
            result_path=where.result_path,
            shared_checkpoints=where.shared_checkpoints,
        )
    except UnresolvedModel as err:
        step.events = [e for e in step.events if e.reason not in LAUNCH_EVENTS]
        fail_launch(step, run, err.reason, str(err))
        return None


def fail_launch(step: RunStep, run: TrainingRun, reason: Reason, message: str) -> None:
    """The run's launch failed for good: it ends Failed, with no workload (so none waits
    for a queue's admission either)."""
    step.launch = False
    step.status.job_name = None
    step.status.conditions = [c for c in step.status.conditions if c.type != ConditionType.ADMITTED]
    fail(step, run, reason, message[:FAILURE_MESSAGE_CHARS])


def checkpoints_of(plan: CampaignPlan) -> dict[str, str]:
    """Each finished run's checkpoint, by run name: what `run:NAME` resolves to."""
    return {
        name: step.status.result.checkpoint
        for name, step in plan.steps.items()
        if step.status.result and step.status.result.checkpoint
    }
