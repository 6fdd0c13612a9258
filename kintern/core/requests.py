"""Resolve a TrainingRun against its campaign into the RunRequest a trainer executes."""

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.conditions import Reason
from kintern.api.request import RunRequest
from kintern.api.run import TrainingRun
from kintern.core.publish import is_publish

RUN_REF_PREFIX = "run:"
PROCESSES_FLAG = "--processes"


def train_arguments(gpus: int) -> list[str]:
    """The `kintern train` arguments for a run on `gpus` GPUs: with more than one, the
    trainer launches one worker process per GPU (torch's elastic launcher, as torchrun)."""
    args = ["train"]
    if gpus > 1:
        args += [PROCESSES_FLAG, str(gpus)]
    return args


class UnresolvedModel(ValueError):
    """spec.model names a run that has no checkpoint (yet)."""

    reason = Reason.INVALID_SPEC


class CheckpointsNotShared(UnresolvedModel):
    """spec.model names another run's checkpoint, but the runs share no volume."""

    reason = Reason.CHECKPOINTS_NOT_SHARED


def resolve_model(
    run: TrainingRun,
    campaign: PostTrainingCampaign,
    checkpoints: dict[str, str],
    shared_checkpoints: bool = True,
) -> str:
    """The model to start from: the base model, a path or id, or another run's checkpoint.
    Without `shared_checkpoints` (a cluster campaign with no checkpoint volume claim, so
    each run's checkpoint dies with its pod) a run reference cannot be honoured."""
    model = run.spec.model or campaign.spec.base_model
    if not model.startswith(RUN_REF_PREFIX):
        return model
    source = model.removeprefix(RUN_REF_PREFIX)
    if not shared_checkpoints:
        raise CheckpointsNotShared(
            f"spec.model {model!r} reads run {source!r}'s checkpoint, but the campaign's runs "
            "share no volume, so that checkpoint went with its pod: set "
            "spec.compute.checkpointVolumeClaim to a ReadWriteMany PersistentVolumeClaim"
        )
    if source not in checkpoints:
        raise UnresolvedModel(f"spec.model {model!r}: run {source!r} has no checkpoint")
    return checkpoints[source]


def build_request(
    run: TrainingRun,
    campaign: PostTrainingCampaign,
    output_dir: str,
    checkpoints: dict[str, str],
    result_path: str | None = None,
    shared_checkpoints: bool = True,
) -> RunRequest:
    spec = campaign.spec
    extra = {"result_path": result_path} if result_path else {}
    return RunRequest(
        run_name=run.metadata["name"],
        campaign=campaign.metadata["name"],
        base_model=resolve_model(run, campaign, checkpoints, shared_checkpoints),
        benchmark=spec.objective.benchmark,
        eval=run.spec.eval or spec.objective.eval,
        spec=run.spec,
        output_dir=output_dir,
        trackio_project=spec.tracking.trackio_project or campaign.metadata["name"],
        trackio_space=spec.tracking.trackio_space,
        hub_repo=spec.output.hub_repo if run.spec.push_to_hub or is_publish(run) else None,
        **extra,
    )
