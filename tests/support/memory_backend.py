"""An in-memory campaign backend whose runs follow a script: the agent tests' double.

Runs are created for real (validated, named, idempotent) but their fate is scripted:

    backend = MemoryBackend(campaign, [
        rejected("too expensive: ask for 2 GPU-hours at most"),
        succeeded(0.31, diagnosis=Diagnosis(kind="reward_collapse", evidence="reward_std 0.0")),
    ])

The n-th run created gets the n-th outcome (then `default`). An outcome shows after the
run has been read `after_reads` times (get_run, list_runs); until then the run is
Pending, or Running when it will finish, so waiting for runs can be tested.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.conditions import Condition, ConditionType, Reason, now_rfc3339
from kintern.api.names import CAMPAIGN_LABEL
from kintern.api.result import Diagnosis, Score, TrainingResult
from kintern.api.run import RunPhase, TrainingRun, TrainingRunSpec, TrainingRunStatus
from kintern.core.backend import BackendError


@dataclass(frozen=True)
class RunOutcome:
    """What becomes of a run: its final phase, the approval reason, result and logs."""

    phase: RunPhase
    reason: str = Reason.APPROVED_BY_POLICY
    message: str = ""
    result: TrainingResult | None = None
    logs: str = ""
    after_reads: int = 0
    gpu_hours: float = 0.0


def awaiting_approval(message: str = "waiting for a person to approve") -> RunOutcome:
    return RunOutcome("AwaitingApproval", Reason.AWAITING_USER, message)


def rejected(message: str, reason: str = Reason.REJECTED_BY_USER) -> RunOutcome:
    return RunOutcome("Rejected", reason, message)


def budget_exceeded(message: str) -> RunOutcome:
    return RunOutcome("Rejected", Reason.BUDGET_EXCEEDED, message)


def succeeded(
    score: float,
    *,
    n: int = 448,
    diagnosis: Diagnosis | None = None,
    metrics: dict[str, float] | None = None,
    after_reads: int = 1,
    gpu_hours: float = 0.5,
) -> RunOutcome:
    half = 1.96 * (score * (1 - score) / n) ** 0.5
    result = TrainingResult(
        status="succeeded",
        score=Score(
            value=score, ci_low=max(0.0, score - half), ci_high=min(1.0, score + half), n=n
        ),
        metrics=metrics or {},
        diagnosis=diagnosis or Diagnosis(),
        checkpoint="/checkpoints/final",
    )
    return RunOutcome("Succeeded", result=result, after_reads=after_reads, gpu_hours=gpu_hours)


def failed(diagnosis: Diagnosis, logs: str = "", after_reads: int = 1) -> RunOutcome:
    result = TrainingResult(status="failed", diagnosis=diagnosis, error=diagnosis.evidence)
    return RunOutcome(
        "Failed",
        message=diagnosis.evidence,
        result=result,
        logs=logs,
        after_reads=after_reads,
        gpu_hours=0.2,
    )


@dataclass
class _Run:
    run: TrainingRun
    outcome: RunOutcome
    reads: int = 0


@dataclass
class Progress:
    iterations: int
    tokens: int
    cost_usd: float
    summary: str | None
    done: bool


@dataclass
class MemoryBackend:
    """A CampaignBackend held in memory; `create_calls` records every create_run call."""

    campaign_object: PostTrainingCampaign
    outcomes: Iterable[RunOutcome] = ()
    default: RunOutcome = field(default_factory=awaiting_approval)
    state: str | None = None
    progress: list[Progress] = field(default_factory=list)
    create_calls: list[str] = field(default_factory=list)
    _runs: dict[str, _Run] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._outcomes = iter(self.outcomes)

    @property
    def name(self) -> str:
        return str(self.campaign_object.metadata["name"])

    def campaign(self) -> PostTrainingCampaign:
        return self.campaign_object.model_copy(deep=True)

    def create_run(self, name: str, spec: TrainingRunSpec) -> TrainingRun:
        self.create_calls.append(name)
        if name in self._runs:
            return self._runs[name].run.model_copy(deep=True)
        if spec.campaign != self.name:
            raise BackendError(f"spec.campaign must be {self.name}, not {spec.campaign}")
        metadata = {
            "name": name,
            "namespace": self.campaign_object.metadata.get("namespace", "default"),
            "labels": {CAMPAIGN_LABEL: self.name},
            "creationTimestamp": now_rfc3339(),
        }
        run = TrainingRun(metadata=metadata, spec=spec.model_copy(deep=True))
        self._runs[name] = _Run(run, next(self._outcomes, self.default))
        _show(self._runs[name])
        return run.model_copy(deep=True)

    def list_runs(self) -> list[TrainingRun]:
        return [self._read(name) for name in self._runs]

    def get_run(self, name: str) -> TrainingRun:
        if name not in self._runs:
            raise BackendError(f"trainingruns {name!r} not found")
        return self._read(name)

    def run_logs(self, name: str, tail_lines: int = 50) -> str:
        if name not in self._runs:
            raise BackendError(f"trainingruns {name!r} not found")
        entry = self._runs[name]
        if entry.run.status.phase not in ("Running", "Succeeded", "Failed"):
            return ""
        return "\n".join(entry.outcome.logs.splitlines()[-tail_lines:])

    def report_progress(
        self,
        iterations: int,
        tokens: int,
        cost_usd: float,
        summary: str | None = None,
        done: bool = False,
    ) -> None:
        self.progress.append(Progress(iterations, tokens, cost_usd, summary, done))
        usage = self.campaign_object.status.usage
        usage.agent_iterations, usage.agent_tokens, usage.agent_cost_usd = (
            iterations,
            tokens,
            cost_usd,
        )
        if summary is not None:
            self.campaign_object.status.agent_summary = summary
        self.campaign_object.status.agent_done = done

    def load_state(self) -> str | None:
        return self.state

    def save_state(self, state: str) -> None:
        self.state = state

    def _read(self, name: str) -> TrainingRun:
        entry = self._runs[name]
        entry.reads += 1
        _show(entry)
        return entry.run.model_copy(deep=True)


def _show(entry: _Run) -> None:
    """Set the run's status to what its outcome says at this number of reads."""
    o = entry.outcome
    if entry.reads < o.after_reads:
        ends = o.phase in ("Succeeded", "Failed")
        entry.run.status = TrainingRunStatus(phase="Running" if ends else "Pending")
        return
    entry.run.status = _final_status(o)


def _final_status(o: RunOutcome) -> TrainingRunStatus:
    waiting = o.phase in ("AwaitingApproval", "Rejected")
    conditions = [
        Condition(
            type=ConditionType.APPROVED,
            status="False" if waiting else "True",
            reason=o.reason if waiting else Reason.APPROVED_BY_POLICY,
            message=o.message if waiting else "approved by the campaign's policy",
        )
    ]
    if o.phase == "Failed":
        conditions.append(
            Condition(
                type=ConditionType.FAILED,
                status="True",
                reason=Reason.TRAINING_FAILED,
                message=o.message,
            )
        )
    return TrainingRunStatus(
        phase=o.phase,
        conditions=conditions,
        message=o.message,
        result=o.result,
        gpu_hours=o.gpu_hours,
        failure_reason=Reason.TRAINING_FAILED if o.phase == "Failed" else None,
        pod_name="pod-0" if o.result is not None else None,
    )
