"""The TrainingRun state machine: one step of one run, given its campaign and workload.

Pure: it reads the run, the campaign, the ledger and the workload and returns the new
status, whether to launch or stop the workload, and the Events to record.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.conditions import Condition, ConditionType, Reason, is_true, set_condition
from kintern.api.result import Diagnosis, TrainingResult
from kintern.api.run import TERMINAL_RUN_PHASES, TrainingRun, TrainingRunStatus
from kintern.api.times import parse_time, rfc3339
from kintern.core import approvals
from kintern.core.budget import Ledger, gpu_hours_between, requested_gpu_hours, requested_gpus
from kintern.core.publish import is_publish, publish_decision, publish_violation
from kintern.core.redaction import redact_shapes
from kintern.core.workload import IMAGE_PULL_REASONS, Workload

IMAGE_PULL_GRACE_SECONDS = 300


@dataclass
class Event:
    type: str  # Normal | Warning
    reason: str
    message: str


@dataclass
class RunStep:
    """What to do about one run."""

    status: TrainingRunStatus
    launch: bool = False
    stop: bool = False
    events: list[Event] = field(default_factory=list)
    approval_wait_seconds: float | None = None


@dataclass
class RunContext:
    """What a run step needs to know about its campaign, shared across its runs."""

    campaign: PostTrainingCampaign
    ledger: Ledger
    active_workloads: int
    campaign_ended: bool
    deadline_passed: bool
    now: datetime
    queue: str | None = None  # the LocalQueue launched workloads wait in, if any


def _condition(run: TrainingRun, type_: str, status: str, reason: str, message: str) -> Condition:
    return Condition(
        type=type_,
        status=status,  # type: ignore[arg-type]
        reason=reason,
        message=message,
        observed_generation=run.metadata.get("generation"),
    )


def _set(step: RunStep, run: TrainingRun, type_: str, status: str, reason: str, msg: str) -> bool:
    return set_condition(step.status.conditions, _condition(run, type_, status, reason, msg))


def _finish(step: RunStep, run: TrainingRun, phase: str, reason: str, message: str) -> None:
    step.status.phase = phase  # type: ignore[assignment]
    step.status.message = message
    if phase == "Rejected":
        _set(step, run, ConditionType.APPROVED, "False", reason, message)
        step.events.append(Event("Warning", reason, message))
    elif phase == "Failed":
        step.status.failure_reason = reason
        _set(step, run, ConditionType.FAILED, "True", reason, message)
        step.events.append(Event("Warning", reason, message))
    else:
        _set(step, run, ConditionType.COMPLETE, "True", reason, message)
        step.events.append(Event("Normal", reason, message))


def fail(step: RunStep, run: TrainingRun, reason: str, message: str) -> None:
    """End the run Failed: its phase, failureReason, Failed condition and a Warning Event."""
    _finish(step, run, "Failed", reason, message)


def step_run(run: TrainingRun, workload: Workload | None, ctx: RunContext) -> RunStep:
    """Advance one run by one step."""
    step = RunStep(status=run.status.model_copy(deep=True))
    if step.status.phase in TERMINAL_RUN_PHASES:
        return step
    step.status.observed_generation = run.metadata.get("generation")
    if workload is not None:
        _follow_workload(step, run, workload, ctx)
    elif is_true(step.status.conditions, ConditionType.APPROVED):
        _launch_or_queue(step, run, ctx)
    else:
        _decide(step, run, ctx)
    return step


def _ended_for(run: TrainingRun, ctx: RunContext) -> bool:
    """Whether the campaign's end stops this run: it never stops publishing, which exists
    only once the campaign has ended."""
    return ctx.campaign_ended and not is_publish(run)


def _decide(step: RunStep, run: TrainingRun, ctx: RunContext) -> None:
    spec = ctx.campaign.spec
    if _ended_for(run, ctx):
        _finish(step, run, "Rejected", Reason.CAMPAIGN_NOT_RUNNING, "the campaign has ended")
        return
    if is_publish(run):
        violation = publish_violation(run, ctx.campaign)
    else:
        violation = approvals.policy_violation(run.spec, spec)
    if violation:
        _finish(step, run, "Rejected", violation.reason, violation.message)
        return
    person = approvals.from_annotations(run.metadata.get("annotations") or {})
    if person and person.verdict == "reject":
        _finish(step, run, "Rejected", person.reason, person.message)
        step.status.approved_by = _approver(run)
        return
    cost = requested_gpu_hours(run, spec)
    fit = ctx.ledger.fits(cost)
    if not fit.fits:
        _finish(step, run, "Rejected", Reason.BUDGET_EXCEEDED, fit.message)
        return
    if person and person.verdict == "invalid":
        if _set(step, run, ConditionType.APPROVED, "Unknown", person.reason, person.message):
            step.events.append(Event("Warning", person.reason, person.message))
        step.status.phase = "AwaitingApproval"
        return
    decision = person if person and person.verdict == "approve" else None
    if decision is None and is_publish(run):
        decision = publish_decision(ctx.campaign)
    decision = decision or approvals.from_mode(run.spec, spec, cost)
    if decision.verdict == "wait":
        step.status.phase = "AwaitingApproval"
        step.status.message = decision.message
        if _set(step, run, ConditionType.APPROVED, "False", decision.reason, decision.message):
            step.events.append(Event("Normal", Reason.AWAITING_APPROVAL, decision.message))
        return
    _set(step, run, ConditionType.APPROVED, "True", decision.reason, decision.message)
    step.events.append(Event("Normal", decision.reason, decision.message))
    step.status.approved_by = (
        _approver(run) if decision.reason == Reason.APPROVED_BY_USER else ("policy")
    )
    step.approval_wait_seconds = _seconds_since_creation(run, ctx.now)
    ctx.ledger.reserve(cost)
    _launch_or_queue(step, run, ctx)


def _approver(run: TrainingRun) -> str | None:
    return (run.metadata.get("annotations") or {}).get(approvals.APPROVED_BY_ANNOTATION)


def _seconds_since_creation(run: TrainingRun, now: datetime) -> float | None:
    created = parse_time(run.metadata.get("creationTimestamp"))
    return max(0.0, (now - created).total_seconds()) if created else None


def _launch_or_queue(step: RunStep, run: TrainingRun, ctx: RunContext) -> None:
    if _ended_for(run, ctx):
        _finish(step, run, "Rejected", Reason.CAMPAIGN_NOT_RUNNING, "the campaign has ended")
        return
    limit = ctx.campaign.spec.budget.max_concurrent_runs
    if ctx.campaign.spec.suspend or ctx.active_workloads >= limit:
        why = (
            "the campaign is suspended"
            if ctx.campaign.spec.suspend
            else (f"waiting for a slot: {ctx.active_workloads}/{limit} runs running")
        )
        step.status.phase = "Queued"
        step.status.message = why
        return
    ctx.active_workloads += 1
    step.launch = True
    step.events.append(Event("Normal", Reason.JOB_CREATED, "launching the run's workload"))
    if ctx.queue:
        _mark_waiting_for_quota(step, run, ctx.queue)
    else:
        step.status.phase = "Running"
        step.status.message = "Job created"


def _follow_workload(step: RunStep, run: TrainingRun, w: Workload, ctx: RunContext) -> None:
    status = step.status
    gpus = requested_gpus(run, ctx.campaign.spec)
    if w.held and w.held_since is None and status.start_time:
        return  # evicted, but when is not recorded yet: the Job's next update says
    _close_evicted_attempt(step, run, w, ctx, gpus)
    if status.phase in TERMINAL_RUN_PHASES:
        return
    if w.held:
        if not _stopped_by_deadline(step, run, ctx, None, "stopped while waiting for quota"):
            _mark_waiting_for_quota(step, run, ctx.queue or "its queue")
        return
    status.phase = "Running"
    if ctx.queue:
        admitted = f"admitted by {ctx.queue}"
        _set(step, run, ConditionType.ADMITTED, "True", Reason.ADMITTED_BY_QUEUE, admitted)
    status.pod_name = w.pod_name or status.pod_name
    if w.started_at and not status.start_time:
        status.start_time = rfc3339(w.started_at)
    if w.finished:
        _complete(step, run, w, gpus)
        return
    if w.started_at:
        live = live_gpu_hours(w.started_at, ctx.now, gpus)
        status.gpu_hours = round(status.preempted_gpu_hours + live, 6)
    if _stopped_by_deadline(step, run, ctx, w.started_at, "stopped", gpus):
        return
    if _stuck_pulling(w, ctx.now):
        step.stop = True
        msg = f"the trainer image cannot be pulled ({w.waiting_reason}); check compute.trainerImage"
        _finish(step, run, "Failed", Reason.IMAGE_PULL_ERROR, msg)
        _charge(status, w.started_at, ctx.now, gpus)


def _stopped_by_deadline(
    step: RunStep,
    run: TrainingRun,
    ctx: RunContext,
    started: datetime | None,
    what: str,
    gpus: int = 0,
) -> bool:
    """Whether the campaign's deadline ends this run now (never publishing): its workload
    is stopped, and it is charged from `started` (None: a run Kueue still holds)."""
    if not ctx.deadline_passed or is_publish(run):
        return False
    step.stop = True
    _finish(step, run, "Failed", Reason.DEADLINE_EXCEEDED, f"{what}: campaign deadline passed")
    _charge(step.status, started, ctx.now, gpus)
    return True


def _mark_waiting_for_quota(step: RunStep, run: TrainingRun, queue: str) -> None:
    step.status.phase = "Queued"
    step.status.message = f"waiting for quota in LocalQueue {queue}"
    msg = step.status.message
    if _set(step, run, ConditionType.ADMITTED, "False", Reason.WAITING_FOR_QUOTA, msg):
        step.events.append(Event("Normal", Reason.WAITING_FOR_QUOTA, msg))


def _close_evicted_attempt(
    step: RunStep, run: TrainingRun, w: Workload, ctx: RunContext, gpus: int
) -> None:
    """Charges an attempt the queue evicted (it was recorded as started, and the Job has
    been held since, or released again after a hold the operator never saw), once; then
    requeues the run or fails it with reason Preempted, as compute.onPreemption says."""
    status = step.status
    started = parse_time(status.start_time)
    if started is None:
        return
    # Timestamps have whole seconds: a hold in the second the attempt started ended it; a
    # release in that second is the admission that started it.
    ended = w.held_since if w.held else w.released_at
    if ended is None or ended < started or (ended == started and not w.held):
        return
    used = gpu_hours_between(started, ended, gpus)
    status.preempted_gpu_hours = round(status.preempted_gpu_hours + used, 6)
    status.preemptions += 1
    status.gpu_hours = status.preempted_gpu_hours
    queue = ctx.queue or "its queue"
    message = (
        f"{queue} preempted the run's Job after {used * 60 / max(gpus, 1):.1f} minutes "
        "(a higher-priority workload or a quota change): not a problem with the model, data "
        "or hyperparameters"
    )
    if ctx.campaign.spec.compute.on_preemption == "Fail":
        step.stop = True
        status.result = TrainingResult(
            status="failed",
            diagnosis=Diagnosis(
                kind="preempted", evidence=message, advice="propose the same run again unchanged"
            ),
        )
        _finish(step, run, "Failed", Reason.PREEMPTED, message)
        _charge(status, None, ended, 0)
        return
    status.start_time = status.pod_name = None  # the next attempt records its own
    step.events.append(
        Event("Warning", Reason.PREEMPTED, f"{message}; it waits for quota and starts again")
    )


def live_gpu_hours(start: datetime, now: datetime, gpus: int) -> float:
    """What a running run has used so far, in whole elapsed minutes: the figure people see
    moves once a minute, so a reconcile within the same minute has nothing to write (at
    thousands of running runs, rewriting every run's status on every reconcile would cost
    more API writes than everything else). Budgets use exact elapsed time (`ledger_of`),
    and a finished run is charged its exact pod time."""
    minutes = max(0.0, (now - start).total_seconds()) // 60
    return round(gpu_hours_between(start, start + timedelta(minutes=minutes), gpus), 6)


def _stuck_pulling(w: Workload, now: datetime) -> bool:
    if w.waiting_reason not in IMAGE_PULL_REASONS or w.waiting_since is None:
        return False
    return (now - w.waiting_since).total_seconds() >= IMAGE_PULL_GRACE_SECONDS


def _charge(status: TrainingRunStatus, start: datetime | None, end: datetime, gpus: int) -> None:
    """The run's final charge: its last attempt, from `start` to `end`, plus what any
    evicted attempts used."""
    last = gpu_hours_between(start, end, gpus) if start else 0.0
    status.gpu_hours = round(status.preempted_gpu_hours + last, 6)
    status.completion_time = rfc3339(end)
    status.charged = True


def _complete(step: RunStep, run: TrainingRun, w: Workload, gpus: int) -> None:
    start = _latest_start(w, step.status)
    end = w.finished_at or start
    if end:
        _charge(step.status, start, end, gpus)
    step.status.charged = True
    result = _parse_result(w.termination_message)
    step.status.result = result
    if w.succeeded and (result is None or result.status == "succeeded"):
        score = f" score {result.score.value:.4f}" if result and result.score else ""
        _finish(step, run, "Succeeded", Reason.JOB_SUCCEEDED, f"finished;{score}".rstrip(";"))
        return
    reason = w.failure_reason or Reason.TRAINING_FAILED
    detail = ""
    if result is not None:
        detail = result.error or result.diagnosis.evidence
    elif w.termination_message:
        tail = redact_shapes(w.termination_message[-2000:])  # a person and the agent read it
        step.status.log_tail = tail
        detail = tail.strip().splitlines()[-1] if tail.strip() else ""
    message = f"failed: {reason}" + (f": {detail}" if detail else "")
    _finish(step, run, "Failed", reason, message[:500])


def _latest_start(w: Workload, status: TrainingRunStatus) -> datetime | None:
    """When the run's workload started: the later of what the workload reports now and what
    the run recorded while it ran. A workload that lost its pod reports only its Job's start,
    which is earlier than the pod's start the run saw and recorded."""
    known = [t for t in (w.started_at, parse_time(status.start_time)) if t is not None]
    return max(known, default=None)


def _parse_result(text: str | None) -> TrainingResult | None:
    if not text:
        return None
    try:
        return TrainingResult.from_termination_message(text)
    except (ValidationError, ValueError):
        return None
