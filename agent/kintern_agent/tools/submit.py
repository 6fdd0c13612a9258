"""Creating a run, shared by create_training_run and propose_data_prep.

The spec is validated here first (the same pydantic models and cross-field rules the
apiserver enforces), so the model gets field-level errors without a round trip. The
name comes from the run book; when that name exists already (a step replayed after a
restart), the existing run is reported instead of creating a second one.
"""

from typing import Any

from pydantic import ValidationError

from kintern.api.rules import rules_of
from kintern.api.run import TrainingRunSpec
from kintern.core.backend import BackendError
from kintern.core.budget import requested_gpu_hours
from kintern_agent.tools.base import ToolError
from kintern_agent.tools.context import CampaignContext
from kintern_agent.tools.run_view import describe_run


def build_spec(body: dict[str, Any]) -> TrainingRunSpec:
    """A valid spec from the model's arguments, or a ToolError naming each bad field."""
    try:
        spec = TrainingRunSpec.model_validate(body)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}" for err in e.errors()
        )
        raise ToolError(f"the run spec is invalid: {problems}") from e
    broken = [rule.message for rule in rules_of(TrainingRunSpec) if not rule.holds(spec)]
    if broken:
        raise ToolError("the run spec is invalid: " + "; ".join(broken))
    return spec


def submit(ctx: CampaignContext, spec: TrainingRunSpec) -> str:
    """Create the run under the next name and say what happens next."""
    name = ctx.runs.next_name()
    try:
        run = ctx.backend.create_run(name, spec)
        campaign = ctx.backend.campaign()
    except BackendError as e:
        raise ToolError(f"the run was not created: {e}") from e
    ctx.runs.record(name)
    if run.spec != spec:
        return (
            f"A run named {name} already existed with another spec (created before a restart) "
            f"and was left as it is:\n{describe_run(run)}\nCall the tool again to create yours "
            "under the next name."
        )
    cost = requested_gpu_hours(run, campaign.spec)
    return (
        f"Created run {name} ({spec.recipe}), asking {cost:g} GPU-hours; phase {run.status.phase}. "
        f"The campaign's approval mode is {campaign.spec.approvals.mode}: the operator approves "
        "it, leaves it awaiting a person, or rejects it with a reason. Follow it with "
        "wait_for_runs."
    )
