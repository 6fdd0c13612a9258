"""The TrainingRun API (kintern.dev/v1alpha1): one training or evaluation job an agent proposes."""

from typing import Any, ClassVar, Final, Literal

from pydantic import Field

from kintern.api.base import ApiModel
from kintern.api.campaign import AgentRecipe, EvalSpec
from kintern.api.conditions import Condition
from kintern.api.data import DatasetRef
from kintern.api.result import TrainingResult
from kintern.api.rules import CrossFieldRule

Recipe = Literal[AgentRecipe, "publish"]
# Proposed by the campaign itself once it ends, never by the agent.
PUBLISH_RECIPE: Final = "publish"
RunPhase = Literal[
    "Pending", "AwaitingApproval", "Queued", "Running", "Succeeded", "Failed", "Rejected"
]
TERMINAL_RUN_PHASES: frozenset[str] = frozenset({"Succeeded", "Failed", "Rejected"})


class Hyperparameters(ApiModel):
    """Training settings; the trainer's defaults are sound for a first run."""

    learning_rate: float = Field(default=2e-5, gt=0, le=1, description="learningRate.")
    epochs: float = Field(default=1, gt=0, le=100, description="epochs: passes over the data.")
    max_steps: int | None = Field(default=None, ge=1, description="maxSteps: overrides epochs.")
    batch_size: int = Field(default=8, ge=1, le=4096, description="batchSize: per device.")
    gradient_accumulation_steps: int = Field(
        default=1, ge=1, le=1024, description="gradientAccumulationSteps."
    )
    max_length: int = Field(default=1024, ge=16, le=262144, description="maxLength: tokens.")
    warmup_ratio: float = Field(default=0.03, ge=0, le=1, description="warmupRatio.")
    weight_decay: float = Field(default=0.0, ge=0, le=1, description="weightDecay.")
    lora: bool = Field(default=False, description="lora: train LoRA adapters instead of all.")
    lora_rank: int = Field(default=16, ge=1, le=1024, description="loraRank: LoRA r.")
    gradient_checkpointing: bool = Field(default=False, description="gradientCheckpointing.")
    packing: bool = Field(default=False, description="packing: pack sequences (SFT).")
    seed: int = Field(default=42, description="seed: makes the run repeatable.")
    beta: float = Field(default=0.1, gt=0, description="beta: DPO/GRPO KL strength.")
    num_generations: int = Field(
        default=4, ge=2, le=256, description="numGenerations: GRPO samples per prompt."
    )
    max_completion_length: int = Field(
        default=256, ge=1, le=65536, description="maxCompletionLength: GRPO sampling length."
    )
    rewards: list[str] = Field(
        default_factory=lambda: ["accuracy", "format"],
        description="rewards: GRPO rewards: accuracy, format, or module:function import paths.",
    )


class RunResources(ApiModel):
    """What the run asks of the budget."""

    gpus: int | None = Field(
        default=None, ge=0, le=64, description="gpus: GPUs (default: campaign gpusPerRun)."
    )
    hours: float = Field(
        default=1, gt=0, le=720, description="hours: wall-time limit; the Job's deadline."
    )
    parallelism: Literal["ddp", "fsdp"] = Field(
        default="ddp",
        description="parallelism: how a run on more than one GPU (one process each) shares "
        "the work: ddp keeps a whole copy of the model on every GPU (fastest when it fits); "
        "fsdp shards parameters, gradients and optimizer state across the GPUs, for models "
        "too large for one.",
    )


class Decontamination(ApiModel):
    """How training data is checked against the evaluation questions."""

    mode: Literal["fail", "drop", "off"] = Field(
        default="drop",
        description="mode: fail the run on overlap, drop overlapping rows, or off (recorded).",
    )
    ngram: int = Field(default=13, ge=3, le=64, description="ngram: n-gram length in words.")


class CustomScript(ApiModel):
    """A user script that follows the result protocol; exactly one source is given."""

    __rules__: ClassVar[list[CrossFieldRule]] = [
        CrossFieldRule(
            cel="[has(self.configMap), has(self.path), has(self.inline)].filter(x, x).size() == 1",
            message="give exactly one of configMap, path or inline",
            holds=lambda s: sum(x is not None for x in (s.config_map, s.path, s.inline)) == 1,
        )
    ]

    config_map: str | None = Field(
        default=None, description="configMap: ConfigMap holding the script (key script.py)."
    )
    path: str | None = Field(default=None, description="path: script path (local mode).")
    inline: str | None = Field(
        default=None,
        max_length=65536,
        description="inline: the script itself (at most 64 KiB), e.g. an agent's data "
        "preparation; it travels with the run and needs no ConfigMap.",
    )
    args: list[str] = Field(default_factory=list, description="args: script arguments.")
    hub_token: bool = Field(
        default=False,
        description="hubToken: give the script HF_TOKEN (the campaign's "
        "output.hubTokenSecret); without it the script sees no secret at all, only the "
        "result protocol's variables and what Python and torch need.",
    )


class TrainingRunSpec(ApiModel):
    """spec of a TrainingRun."""

    __rules__: ClassVar[list[CrossFieldRule]] = [
        CrossFieldRule(
            cel="self.recipe != 'custom' || has(self.script)",
            message="a custom run needs spec.script",
            field_path=".script",
            holds=lambda s: s.recipe != "custom" or s.script is not None,
        ),
        CrossFieldRule(
            cel="self.recipe in ['eval', 'publish'] || size(self.datasets) > 0",
            message="a training run needs at least one entry in spec.datasets",
            field_path=".datasets",
            holds=lambda s: s.recipe in ("eval", "publish") or len(s.datasets) > 0,
        ),
        CrossFieldRule(
            cel="self.campaign == oldSelf.campaign",
            message="campaign is immutable",
            field_path=".campaign",
            holds=lambda s: True,  # a transition rule: only the apiserver sees oldSelf
        ),
    ]

    campaign: str = Field(min_length=1, description="campaign: the PostTrainingCampaign it serves.")
    recipe: Recipe = Field(
        description="recipe: sft, dpo, grpo, eval or custom; publish is the run a campaign "
        "proposes when it ends, to push its best checkpoint to output.hubRepo."
    )
    rationale: str = Field(
        default="", max_length=4000, description="rationale: why, shown to whoever approves."
    )
    model: str | None = Field(
        default=None,
        description="model: the model to start from: a Hub id, a checkpoint path, or "
        "run:NAME for another run's checkpoint (default: the campaign's baseModel).",
    )
    datasets: list[DatasetRef] = Field(
        default_factory=list, description="datasets: training data, mixed by weight."
    )
    hyperparameters: Hyperparameters = Field(
        default_factory=Hyperparameters, description="hyperparameters: training settings."
    )
    resources: RunResources = Field(
        default_factory=RunResources, description="resources: GPUs and hours asked for."
    )
    eval: EvalSpec | None = Field(
        default=None, description="eval: evaluation suite (default: the campaign's objective)."
    )
    decontamination: Decontamination = Field(
        default_factory=Decontamination, description="decontamination: test-set overlap check."
    )
    script: CustomScript | None = Field(default=None, description="script: for custom runs.")
    push_to_hub: bool = Field(
        default=False, description="pushToHub: publish the checkpoint (needs allowPublish)."
    )


class TrainingRunStatus(ApiModel):
    """status of a TrainingRun, written by the operator."""

    phase: RunPhase = Field(default="Pending", description="phase: derived from conditions.")
    conditions: list[Condition] = Field(default_factory=list, description="conditions.")
    observed_generation: int | None = Field(default=None, description="observedGeneration.")
    message: str = Field(default="", description="message: one line for people.")
    approved_by: str | None = Field(
        default=None, description="approvedBy: who approved or rejected, as the cluster saw it."
    )
    job_name: str | None = Field(default=None, description="jobName: the batch Job.")
    pod_name: str | None = Field(
        default=None, description="podName: the Job's latest pod (its logs are the run's logs)."
    )
    start_time: str | None = Field(default=None, description="startTime: when the pod started.")
    completion_time: str | None = Field(default=None, description="completionTime.")
    gpu_hours: float = Field(default=0, description="gpuHours: GPU-hours charged to the budget.")
    preemptions: int = Field(
        default=0, description="preemptions: times Kueue evicted the run's Job while it ran."
    )
    preempted_gpu_hours: float = Field(
        default=0,
        description="preemptedGpuHours: GPU-hours the evicted attempts used (part of gpuHours).",
    )
    charged: bool = Field(
        default=False, description="charged: GPU-hours were added to the campaign once."
    )
    failure_reason: str | None = Field(
        default=None, description="failureReason: OOMKilled, DeadlineExceeded, ..."
    )
    log_tail: str | None = Field(default=None, description="logTail: last log lines on failure.")
    result: TrainingResult | None = Field(default=None, description="result: what it measured.")


class TrainingRun(ApiModel):
    """A TrainingRun object."""

    api_version: Literal["kintern.dev/v1alpha1"] = "kintern.dev/v1alpha1"
    kind: Literal["TrainingRun"] = "TrainingRun"
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: TrainingRunSpec
    status: TrainingRunStatus = Field(default_factory=TrainingRunStatus)
