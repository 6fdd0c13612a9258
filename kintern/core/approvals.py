"""Approval decisions: the annotations people write, and the campaign's policy.

Pure functions shared by the operator and local mode. The operator turns a Decision into
the run's `Approved` condition and an Event.
"""

from dataclasses import dataclass

from kintern.api.annotations import APPROVE_ANNOTATION, APPROVED_BY_ANNOTATION, REJECT_ANNOTATION
from kintern.api.campaign import CampaignSpec
from kintern.api.conditions import Reason
from kintern.api.run import TrainingRunSpec

__all__ = [
    "APPROVED_BY_ANNOTATION",
    "APPROVE_ANNOTATION",
    "REJECT_ANNOTATION",
    "Decision",
    "from_annotations",
    "from_mode",
    "policy_violation",
]


@dataclass(frozen=True)
class Decision:
    """The outcome of looking at a run: approved, rejected, waiting, or a bad annotation."""

    verdict: str  # "approve" | "reject" | "wait" | "invalid"
    reason: Reason
    message: str


def policy_violation(spec: TrainingRunSpec, campaign: CampaignSpec) -> Decision | None:
    """What the campaign forbids outright, whatever the mode and whoever approves."""
    policy = campaign.approvals.policy
    if spec.recipe == "custom" and not policy.allow_custom_code:
        return Decision(
            "reject",
            Reason.REJECTED_BY_POLICY,
            "custom code is not allowed: set spec.approvals.policy.allowCustomCode=true "
            "on the campaign to permit custom runs",
        )
    if spec.recipe not in policy.allowed_recipes:
        allowed = ", ".join(policy.allowed_recipes)
        return Decision(
            "reject",
            Reason.REJECTED_BY_POLICY,
            f"recipe {spec.recipe!r} is not allowed by the campaign (allowed: {allowed})",
        )
    if spec.push_to_hub and not policy.allow_publish:
        return Decision(
            "reject",
            Reason.REJECTED_BY_POLICY,
            "publishing is not allowed: the campaign's policy has allowPublish=false",
        )
    return None


def from_annotations(annotations: dict[str, str]) -> Decision | None:
    """A person's approve/reject annotation, or None when there is none."""
    if REJECT_ANNOTATION in annotations:
        why = annotations[REJECT_ANNOTATION].strip() or "no reason given"
        return Decision("reject", Reason.REJECTED_BY_USER, f"rejected: {why}")
    if APPROVE_ANNOTATION not in annotations:
        return None
    value = annotations[APPROVE_ANNOTATION].strip().lower()
    if value == "true":
        return Decision("approve", Reason.APPROVED_BY_USER, "approved by a person")
    if value == "false":
        return None
    return Decision(
        "invalid",
        Reason.INVALID_ANNOTATION,
        f"annotation {APPROVE_ANNOTATION}={annotations[APPROVE_ANNOTATION]!r} is neither "
        f'"true" nor "false"; to reject, use {REJECT_ANNOTATION}="why"',
    )


def from_mode(spec: TrainingRunSpec, campaign: CampaignSpec, gpu_hours: float) -> Decision:
    """What the campaign's approval mode says about a run that already fits the budget."""
    mode = campaign.approvals.mode
    if mode == "Auto":
        return Decision("approve", Reason.APPROVED_BY_POLICY, "approved: Auto mode, fits budget")
    if mode == "Policy":
        limit = campaign.approvals.policy.max_gpu_hours_per_run
        if gpu_hours <= limit:
            return Decision(
                "approve",
                Reason.APPROVED_BY_POLICY,
                f"approved by policy: {gpu_hours:g} GPU-hours <= maxGpuHoursPerRun {limit:g}",
            )
        return Decision(
            "wait",
            Reason.AWAITING_USER,
            f"waits for a person: {gpu_hours:g} GPU-hours > maxGpuHoursPerRun {limit:g}",
        )
    return Decision("wait", Reason.AWAITING_USER, "waits for a person (Manual mode)")
