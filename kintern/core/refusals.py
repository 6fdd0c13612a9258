"""Statuses of runs the state machine cannot step: a run whose spec does not parse, and a
run whose campaign does not exist. Each says why on its Approved condition."""

from datetime import datetime
from typing import Literal

from kintern.api.conditions import Condition, ConditionType, Reason
from kintern.api.run import RunPhase, TrainingRunStatus
from kintern.api.times import rfc3339


def invalid_run_status(generation: int | None, message: str, now: datetime) -> TrainingRunStatus:
    """A run refused because its spec is invalid: Rejected, for good."""
    return _status("Rejected", "False", Reason.INVALID_SPEC, generation, message, now)


def orphan_status(generation: int | None, message: str, now: datetime) -> TrainingRunStatus:
    """A run whose campaign does not exist (yet): Pending until the campaign appears."""
    return _status("Pending", "Unknown", Reason.CAMPAIGN_NOT_FOUND, generation, message, now)


def _status(
    phase: RunPhase,
    approved: Literal["False", "Unknown"],
    reason: Reason,
    generation: int | None,
    message: str,
    now: datetime,
) -> TrainingRunStatus:
    condition = Condition(
        type=ConditionType.APPROVED,
        status=approved,
        reason=reason,
        message=message,
        observed_generation=generation,
        last_transition_time=rfc3339(now),
    )
    return TrainingRunStatus(
        phase=phase,
        message=message,
        observed_generation=generation,
        conditions=[condition],
    )
