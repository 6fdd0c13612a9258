"""Publishing the best model: the run a campaign proposes when it ends, and its rules.

When a campaign has ended with a best run and `spec.output.hubRepo` is set, `plan_campaign`
proposes one TrainingRun with recipe `publish` whose model is `run:<best>`. It goes through
the same approval path as every run (a person's annotations, then the policy: approved by
policy only when `approvals.policy.allowPublish` is true and the mode is not Manual,
otherwise it waits for a person). Unlike other runs it may start after the campaign ended,
asks for no GPU and does not count against `maxRuns`. Pure functions, shared by the
operator and local mode.
"""

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.conditions import Reason
from kintern.api.run import PUBLISH_RECIPE, RunResources, TrainingRun, TrainingRunSpec
from kintern.core.approvals import Decision

PUBLISH_HOURS = 1.0  # the Job's deadline; an upload of a few GB takes minutes


def publish_run_name(campaign: str) -> str:
    return f"{campaign}-publish"


def is_publish(run: TrainingRun) -> bool:
    return run.spec.recipe == PUBLISH_RECIPE


def proposed_publish_run(
    campaign: PostTrainingCampaign, runs: list[TrainingRun]
) -> TrainingRun | None:
    """The publish run an ended campaign asks for, or None (nothing to publish, no hubRepo,
    or already proposed)."""
    status, spec = campaign.status, campaign.spec
    best = status.best.run
    ended_well = status.phase == "Succeeded"
    if not (ended_well and best and spec.output.hub_repo) or any(is_publish(r) for r in runs):
        return None
    name = campaign.metadata["name"]
    score = f" (score {status.best.score:.4f})" if status.best.score is not None else ""
    run_spec = TrainingRunSpec(
        campaign=name,
        recipe=PUBLISH_RECIPE,
        model=f"run:{best}",
        rationale=f"publish the campaign's best model, run {best}{score}, to "
        f"{spec.output.hub_repo} with a model card",
        resources=RunResources(gpus=0, hours=PUBLISH_HOURS),
    )
    metadata = {"name": publish_run_name(name), "namespace": campaign.metadata.get("namespace")}
    return TrainingRun(metadata=metadata, spec=run_spec)


def publish_violation(run: TrainingRun, campaign: PostTrainingCampaign) -> Decision | None:
    """A publish run that is not the campaign's own proposal for its best run is refused."""
    best = campaign.status.best.run
    if not campaign.spec.output.hub_repo:
        why = "the campaign has no spec.output.hubRepo to publish to"
    elif run.spec.model != f"run:{best}":
        why = f"a publish run may only publish the campaign's best run (run:{best})"
    else:
        return None
    return Decision("reject", Reason.REJECTED_BY_POLICY, f"publishing refused: {why}")


def publish_decision(campaign: PostTrainingCampaign) -> Decision:
    """What the policy says about publishing, when no person has decided."""
    approvals = campaign.spec.approvals
    if approvals.policy.allow_publish and approvals.mode != "Manual":
        return Decision(
            "approve", Reason.APPROVED_BY_POLICY, "publishing approved by policy (allowPublish)"
        )
    return Decision(
        "wait",
        Reason.AWAITING_USER,
        "publishing waits for a person: annotate kintern.dev/approve=true, or set "
        "approvals.policy.allowPublish=true to let the policy approve it",
    )
