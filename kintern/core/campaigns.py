"""The PostTrainingCampaign state machine: admits its runs and derives its status.

`plan_campaign` is the whole reconcile as a pure function: given a snapshot of the
campaign, its runs, their workloads and the agent, it returns what to launch or stop, the
new run statuses, and the campaign's status. The operator and local mode both call it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from kintern.api.campaign import CampaignStatus, PostTrainingCampaign, ScoreRef
from kintern.api.conditions import Condition, ConditionType, Reason, find_condition, set_condition
from kintern.api.run import TERMINAL_RUN_PHASES, TrainingRun
from kintern.api.times import parse_duration, parse_time, rfc3339
from kintern.core.budget import Ledger, gpu_hours_between, requested_gpu_hours, requested_gpus
from kintern.core.publish import is_publish, proposed_publish_run
from kintern.core.runs import Event, RunContext, RunStep, step_run
from kintern.core.workload import AgentState, Workload


@dataclass
class Snapshot:
    campaign: PostTrainingCampaign
    runs: list[TrainingRun]  # oldest first
    workloads: dict[str, Workload]  # by run name
    agent: AgentState
    now: datetime
    # Whether launched workloads go through compute.queueName (Kueue, on a cluster); local
    # mode runs at once whatever the campaign names.
    queues: bool = False


@dataclass
class CampaignPlan:
    steps: dict[str, RunStep]  # by run name, every run
    status: CampaignStatus
    events: list[Event] = field(default_factory=list)
    agent_should_run: bool = True
    creates: list[TrainingRun] = field(default_factory=list)  # runs the campaign proposes

    @property
    def launches(self) -> list[str]:
        return [name for name, s in self.steps.items() if s.launch]

    @property
    def stops(self) -> list[str]:
        return [name for name, s in self.steps.items() if s.stop]


def ledger_of(snapshot: Snapshot) -> Ledger:
    """Spending from the runs' own records: charged hours, live elapsed hours, reservations."""
    spec = snapshot.campaign.spec
    used = reserved = 0.0
    for run in snapshot.runs:
        if run.status.charged:
            used += run.status.gpu_hours
            continue
        if run.status.phase not in ("Queued", "Running"):
            continue
        workload = snapshot.workloads.get(run.metadata["name"])
        elapsed = run.status.preempted_gpu_hours  # attempts a queue evicted
        if workload and workload.started_at:
            end = workload.finished_at or snapshot.now
            elapsed += gpu_hours_between(workload.started_at, end, requested_gpus(run, spec))
        used += elapsed
        reserved += max(0.0, requested_gpu_hours(run, spec) - elapsed)
    return Ledger(spec.budget.gpu_hours, used, reserved, 0, spec.budget.max_runs)


def _deadline_passed(campaign: PostTrainingCampaign, now: datetime) -> bool:
    start = parse_time(campaign.status.start_time)
    deadline = campaign.spec.budget.deadline
    if start is None or not deadline:
        return False
    return (now - start).total_seconds() >= parse_duration(deadline)


def plan_campaign(snapshot: Snapshot) -> CampaignPlan:
    campaign = snapshot.campaign
    status = campaign.status.model_copy(deep=True)
    status.start_time = status.start_time or rfc3339(snapshot.now)
    campaign = campaign.model_copy(update={"status": status})
    ended = status.phase in ("Succeeded", "Failed")
    deadline = _deadline_passed(campaign, snapshot.now)
    ctx = RunContext(
        campaign=campaign,
        ledger=ledger_of(snapshot),
        active_workloads=sum(1 for w in snapshot.workloads.values() if not w.finished),
        campaign_ended=ended or deadline,
        deadline_passed=deadline,
        now=snapshot.now,
        queue=campaign.spec.compute.queue_name if snapshot.queues else None,
    )
    steps: dict[str, RunStep] = {}
    for run in snapshot.runs:
        name = run.metadata["name"]
        counts = not is_publish(run)  # against maxRuns, unless rejected
        ctx.ledger.admitted_runs += counts
        steps[name] = step_run(run, snapshot.workloads.get(name), ctx)
        if steps[name].status.phase == "Rejected":
            ctx.ledger.admitted_runs -= counts
    runs_after = [
        r.model_copy(update={"status": steps[r.metadata["name"]].status}) for r in snapshot.runs
    ]
    plan = CampaignPlan(steps=steps, status=status)
    _derive_status(plan, campaign, runs_after, snapshot, deadline)
    with_status = campaign.model_copy(update={"status": plan.status})
    publish = proposed_publish_run(with_status, snapshot.runs)
    if publish is not None:
        plan.creates.append(publish)
        message = f"proposed {publish.metadata['name']}: {publish.spec.rationale}"
        plan.events.append(Event("Normal", Reason.PUBLISH_PROPOSED, message))
    return plan


def _derive_status(
    plan: CampaignPlan,
    campaign: PostTrainingCampaign,
    runs: list[TrainingRun],
    snapshot: Snapshot,
    deadline_passed: bool,
) -> None:
    status, spec = plan.status, campaign.spec
    status.observed_generation = campaign.metadata.get("generation")
    _count(status, runs)
    status.usage.gpu_hours = round(sum(r.status.gpu_hours for r in runs), 4)
    status.usage.gpu_hours_summary = f"{status.usage.gpu_hours:.2f}/{spec.budget.gpu_hours:g}"
    status.best = _best(runs, spec.objective.direction, spec.base_model) or status.best
    status.baseline = _baseline(runs, spec.base_model) or status.baseline
    gen = campaign.metadata.get("generation")

    def cond(type_: str, ok: bool, reason: str, message: str, announce: bool = True) -> None:
        changed = set_condition(
            status.conditions,
            Condition(
                type=type_,
                status="True" if ok else "False",
                reason=reason,
                message=message,
                observed_generation=gen,
            ),
        )
        if changed and ok and announce:
            plan.events.append(Event("Normal", reason, message))

    awaiting = status.usage.runs.awaiting_approval
    cond(
        ConditionType.AWAITING_APPROVAL,
        awaiting > 0,
        Reason.RUNS_AWAITING_APPROVAL if awaiting else Reason.NONE_AWAITING,
        f"{awaiting} run(s) await approval",
    )
    already_complete = _is_true(status, ConditionType.COMPLETE)
    if not already_complete:
        ending = _ending(status, campaign, runs, snapshot, deadline_passed)
        if ending:
            reason, message = ending
            if reason == Reason.TARGET_REACHED:
                cond(ConditionType.TARGET_REACHED, True, reason, message, announce=False)
            if reason in (Reason.GPU_HOURS_SPENT, Reason.MAX_RUNS_REACHED):
                cond(ConditionType.BUDGET_EXHAUSTED, True, reason, message, announce=False)
            cond(ConditionType.COMPLETE, True, reason, message)
            status.completion_time = rfc3339(snapshot.now)
            status.phase = "Succeeded" if status.best.score is not None else "Failed"
            if status.phase == "Failed":
                cond(ConditionType.FAILED, True, reason, f"{message}; no run succeeded")
    complete = _is_true(status, ConditionType.COMPLETE)
    if not complete:
        status.phase = "Suspended" if spec.suspend else "Running"
    cond(
        ConditionType.SUSPENDED,
        spec.suspend and not complete,
        Reason.SUSPENDED if spec.suspend else Reason.RESUMED,
        "suspended" if spec.suspend else "not suspended",
    )
    plan.agent_should_run = not complete and not spec.suspend
    agent_ok = snapshot.agent.active and plan.agent_should_run
    cond(
        ConditionType.AGENT_RUNNING,
        agent_ok,
        Reason.RUNNING if agent_ok else Reason.AGENT_FINISHED,
        snapshot.agent.message or ("agent running" if agent_ok else "agent not running"),
    )
    status.message = _message(status, spec.budget.gpu_hours, spec.compute.queue_name or "")


def _ending(
    status: CampaignStatus,
    campaign: PostTrainingCampaign,
    runs: list[TrainingRun],
    snapshot: Snapshot,
    deadline_passed: bool,
) -> tuple[str, str] | None:
    spec = campaign.spec
    best, target = status.best.score, spec.objective.target
    if best is not None and target is not None and _meets(best, target, spec.objective.direction):
        return Reason.TARGET_REACHED, f"target {target:g} reached: {best:.4f} by {status.best.run}"
    if deadline_passed:
        return Reason.DEADLINE_PASSED, f"deadline {spec.budget.deadline} passed"
    live = [r for r in runs if r.status.phase in ("Running", "Queued")]
    if live:
        return None
    if status.usage.gpu_hours >= spec.budget.gpu_hours - 1e-9:
        return Reason.GPU_HOURS_SPENT, f"GPU-hour budget {spec.budget.gpu_hours:g} spent"
    finished = [r for r in runs if r.status.phase in TERMINAL_RUN_PHASES - {"Rejected"}]
    if len(finished) >= spec.budget.max_runs:
        return Reason.MAX_RUNS_REACHED, f"maxRuns {spec.budget.max_runs} reached"
    awaiting = any(r.status.phase in ("AwaitingApproval", "Pending") for r in runs)
    if (status.agent_done or snapshot.agent.succeeded) and not awaiting:
        return Reason.AGENT_FINISHED, "the agent finished: " + (status.agent_summary or "done")[
            :200
        ]
    if snapshot.agent.failed:
        return Reason.AGENT_FAILED, f"the agent failed: {snapshot.agent.message}"
    return None


def _meets(score: float, target: float, direction: str) -> bool:
    return score >= target if direction == "maximize" else score <= target


def _score(run: TrainingRun) -> float | None:
    result = run.status.result
    return result.score.value if result and result.score else None


def _on_base(run: TrainingRun, base_model: str) -> bool:
    """An evaluation of the untrained base model: a baseline, never a candidate for best."""
    return run.spec.recipe == "eval" and run.spec.model in (None, base_model)


def _best(runs: list[TrainingRun], direction: str, base_model: str) -> ScoreRef | None:
    """The best scored run: neither a baseline nor the publish run (which re-reports the
    best's score and makes no model of its own)."""
    scored = [
        r
        for r in runs
        if r.status.phase == "Succeeded"
        and _score(r) is not None
        and not _on_base(r, base_model)
        and not is_publish(r)
    ]
    if not scored:
        return None
    pick = max if direction == "maximize" else min
    best = pick(scored, key=lambda r: _score(r))  # type: ignore[arg-type,return-value]
    checkpoint = best.status.result.checkpoint if best.status.result else None
    return ScoreRef(score=_score(best), run=best.metadata["name"], model=checkpoint)


def _baseline(runs: list[TrainingRun], base_model: str) -> ScoreRef | None:
    for run in runs:
        if _on_base(run, base_model) and _score(run) is not None:
            return ScoreRef(score=_score(run), run=run.metadata["name"], model=base_model)
    return None


def _count(status: CampaignStatus, runs: list[TrainingRun]) -> None:
    counts = status.usage.runs
    phases = [r.status.phase for r in runs]
    counts.total = len(runs)
    counts.awaiting_approval = phases.count("AwaitingApproval")
    counts.running = phases.count("Running") + phases.count("Queued")
    counts.waiting_for_quota = sum(1 for r in runs if _waits_for_quota(r))
    counts.succeeded = phases.count("Succeeded")
    counts.failed = phases.count("Failed")
    counts.rejected = phases.count("Rejected")


def _waits_for_quota(run: TrainingRun) -> bool:
    admitted = find_condition(run.status.conditions, ConditionType.ADMITTED)
    return run.status.phase == "Queued" and admitted is not None and admitted.status == "False"


def _is_true(status: CampaignStatus, type_: str) -> bool:
    c = find_condition(status.conditions, type_)
    return c is not None and c.status == "True"


def _message(status: CampaignStatus, budget: float, queue: str) -> str:
    runs = status.usage.runs
    parts = [f"{runs.total} runs ({runs.succeeded} ok, {runs.running} running)"]
    if status.best.score is not None:
        parts.append(f"best {status.best.score:.4f} ({status.best.run})")
    if status.baseline.score is not None:
        parts.append(f"baseline {status.baseline.score:.4f}")
    parts.append(f"{status.usage.gpu_hours:.2f}/{budget:g} GPU-hours")
    if runs.awaiting_approval:
        parts.append(f"{runs.awaiting_approval} awaiting approval")
    if runs.waiting_for_quota:
        parts.append(f"{runs.waiting_for_quota} waiting for quota in LocalQueue {queue}")
    complete = find_condition(status.conditions, ConditionType.COMPLETE)
    if complete and complete.status == "True":
        parts.insert(0, f"ended: {complete.message}")
    return "; ".join(parts)


def stopped_by_end(status: CampaignStatus) -> str | None:
    """An agent's summary when it stops because its campaign ended (target, budget,
    deadline), saying why; None while the campaign goes on."""
    complete = find_condition(status.conditions, ConditionType.COMPLETE)
    if complete is None or complete.status != "True":
        return None
    return f"stopped: the campaign ended ({complete.message or complete.reason})"
