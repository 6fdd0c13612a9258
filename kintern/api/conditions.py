"""Status conditions (the metav1.Condition shape) and every reason Kintern writes."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from kintern.api.base import ApiModel


class ConditionType(StrEnum):
    # TrainingRun
    APPROVED = "Approved"
    ADMITTED = "Admitted"
    JOB_CREATED = "JobCreated"
    # PostTrainingCampaign
    AGENT_RUNNING = "AgentRunning"
    AWAITING_APPROVAL = "AwaitingApproval"
    BUDGET_EXHAUSTED = "BudgetExhausted"
    TARGET_REACHED = "TargetReached"
    # Both
    COMPLETE = "Complete"
    FAILED = "Failed"
    SUSPENDED = "Suspended"


class Reason(StrEnum):
    """PascalCase reasons, shared by conditions and Events."""

    APPROVED_BY_USER = "ApprovedByUser"
    APPROVED_BY_POLICY = "ApprovedByPolicy"
    REJECTED_BY_USER = "RejectedByUser"
    REJECTED_BY_POLICY = "RejectedByPolicy"
    AWAITING_USER = "AwaitingUser"
    AWAITING_APPROVAL = "AwaitingApproval"
    RUNS_AWAITING_APPROVAL = "RunsAwaitingApproval"
    NONE_AWAITING = "NoneAwaiting"
    BUDGET_EXCEEDED = "BudgetExceeded"
    INVALID_SPEC = "InvalidSpec"
    CHECKPOINTS_NOT_SHARED = "CheckpointsNotShared"
    INVALID_ANNOTATION = "InvalidAnnotation"
    CAMPAIGN_NOT_FOUND = "CampaignNotFound"
    CAMPAIGN_NOT_RUNNING = "CampaignNotRunning"
    JOB_CREATED = "JobCreated"
    JOB_SUCCEEDED = "JobSucceeded"
    JOB_CONFLICT = "JobConflict"
    OOM_KILLED = "OOMKilled"
    DEADLINE_EXCEEDED = "DeadlineExceeded"
    IMAGE_PULL_ERROR = "ImagePullError"
    TRAINING_FAILED = "TrainingFailed"
    # A local trainer process's end, named as the kubelet names a container's.
    TERMINATED = "Terminated"
    ERROR = "Error"
    AGENT_STARTED = "AgentStarted"
    AGENT_FINISHED = "AgentFinished"
    AGENT_FAILED = "AgentFailed"
    AGENT_CONFLICT = "AgentConflict"
    TARGET_REACHED = "TargetReached"
    GPU_HOURS_SPENT = "GpuHoursSpent"
    MAX_RUNS_REACHED = "MaxRunsReached"
    DEADLINE_PASSED = "DeadlinePassed"
    SUSPENDED = "Suspended"
    RESUMED = "Resumed"
    RUNNING = "Running"
    PUBLISH_PROPOSED = "PublishProposed"
    WAITING_FOR_QUOTA = "WaitingForQuota"
    ADMITTED_BY_QUEUE = "AdmittedByQueue"
    PREEMPTED = "Preempted"


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Condition(ApiModel):
    """One condition, as metav1.Condition: the latest observation of one aspect."""

    type: str = Field(description="type of the condition, e.g. Approved or Complete.")
    status: Literal["True", "False", "Unknown"] = Field(
        description="status: True, False or Unknown."
    )
    reason: str = Field(description="reason: a PascalCase word for programs, e.g. ApprovedByUser.")
    message: str = Field(default="", description="message: a sentence for people.")
    observed_generation: int | None = Field(
        default=None, description="observedGeneration: the spec generation this reflects."
    )
    last_transition_time: str = Field(
        default_factory=now_rfc3339,
        description="lastTransitionTime: when status last changed (RFC 3339).",
    )


def set_condition(conditions: list[Condition], new: Condition) -> bool:
    """Insert or update `new` by type, keeping lastTransitionTime if status is unchanged.

    Returns True when something a reader would see changed.
    """
    for i, old in enumerate(conditions):
        if old.type != new.type:
            continue
        same = (old.status, old.reason, old.message, old.observed_generation) == (
            new.status,
            new.reason,
            new.message,
            new.observed_generation,
        )
        if same:
            return False
        if old.status == new.status:
            new = new.model_copy(update={"last_transition_time": old.last_transition_time})
        conditions[i] = new
        return True
    conditions.append(new)
    return True


def find_condition(conditions: list[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)


def is_true(conditions: list[Condition], type_: str) -> bool:
    c = find_condition(conditions, type_)
    return c is not None and c.status == "True"
