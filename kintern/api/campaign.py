"""The PostTrainingCampaign API (kintern.dev/v1alpha1): one person's post-training goal."""

from typing import Any, ClassVar, Literal

from pydantic import Field

from kintern.api.base import ApiModel
from kintern.api.conditions import Condition
from kintern.api.data import DatasetRef
from kintern.api.rules import CrossFieldRule
from kintern.api.times import DURATION_PATTERN

Direction = Literal["maximize", "minimize"]
ApprovalMode = Literal["Manual", "Policy", "Auto"]
CampaignPhase = Literal["Pending", "Running", "Suspended", "Succeeded", "Failed"]
EvalType = Literal["generative", "loglikelihood"]


class EvalSpec(ApiModel):
    """An evaluation suite given inline: a multiple-choice data set and how to score it."""

    dataset: str = Field(
        description="dataset: a Hugging Face data set id, or a local .jsonl/.parquet path."
    )
    config: str | None = Field(default=None, description="config: the data set configuration.")
    split: str = Field(default="test", description="split: the split to evaluate on.")
    question_column: str = Field(
        default="question", description="questionColumn: the column holding the question."
    )
    choices_column: str = Field(
        default="choices", description="choicesColumn: the column holding the list of choices."
    )
    answer_column: str = Field(
        default="answer",
        description="answerColumn: the column holding the correct choice (index or letter).",
    )
    type: EvalType = Field(
        default="generative",
        description="type: generative (chain of thought, then an 'Answer: X' line) or "
        "loglikelihood (the choice the model finds most likely).",
    )
    limit: int | None = Field(
        default=None, ge=1, description="limit: evaluate only the first N questions."
    )
    max_new_tokens: int = Field(
        default=1024, ge=1, le=32768, description="maxNewTokens: generation budget per answer."
    )
    shuffle_seed: int = Field(
        default=0, description="shuffleSeed: seed that fixes the order of the choices."
    )
    chat_template: bool = Field(
        default=False,
        description="chatTemplate: generative suites only: send each prompt as a user "
        "message through the model's chat template (for chat-tuned models); otherwise the "
        "plain prompt.",
    )


class Objective(ApiModel):
    """What the campaign optimises and when it is good enough."""

    benchmark: str = Field(
        description="benchmark: a built-in suite (gpqa-main, gpqa-diamond) or a name for the "
        "inline `eval` suite."
    )
    eval: EvalSpec | None = Field(
        default=None, description="eval: an inline evaluation suite; overrides the built-in one."
    )
    metric: str = Field(default="accuracy", description="metric: the metric to optimise.")
    direction: Direction = Field(
        default="maximize", description="direction: maximize or minimize the metric."
    )
    target: float | None = Field(
        default=None, description="target: reaching this score ends the campaign (optional)."
    )


class SearchSpace(ApiModel):
    """What builtin/sweep searches, in order: learning rate, then epochs, then data mix."""

    learning_rates: list[float] = Field(
        default_factory=lambda: [2e-5, 1e-4, 5e-4],
        min_length=1,
        max_length=16,
        description="learningRates: tried first, at the first epochs value.",
    )
    epochs: list[float] = Field(
        default_factory=lambda: [1.0, 2.0, 3.0],
        min_length=1,
        max_length=16,
        description="epochs: the first is used while searching learning rates; the rest are "
        "tried with the best one, stopping when more epochs stop helping.",
    )
    batch_size: int = Field(default=8, ge=1, le=4096, description="batchSize: per device.")


class AgentSpec(ApiModel):
    """The agent that plans the campaign."""

    model: str = Field(
        pattern=r"^[a-z0-9-]+/.+$",
        description="model: provider/model, e.g. anthropic/claude-opus-4-6, openai/gpt-5, "
        "hf/Qwen/Qwen3-32B, local/path, or builtin/sweep (no LLM needed).",
    )
    max_iterations: int = Field(
        default=300, ge=1, le=10000, description="maxIterations: most agent steps."
    )
    compact_at_tokens: int = Field(
        default=170000,
        ge=1000,
        description="compactAtTokens: history size in tokens at which it is summarised.",
    )
    credentials_secret: str | None = Field(
        default=None,
        description="credentialsSecret: Secret whose keys become the agent's environment "
        "(e.g. ANTHROPIC_API_KEY). Never copied into status or logs.",
    )
    image: str | None = Field(default=None, description="image: overrides the agent image.")
    endpoint: str | None = Field(
        default=None, description="endpoint: base URL for openai-compatible providers."
    )
    sweep: SearchSpace = Field(
        default_factory=SearchSpace, description="sweep: the search space of builtin/sweep."
    )
    mcp_servers: list[str] = Field(
        default_factory=list, description="mcpServers: MCP server commands or URLs to add as tools."
    )


class Budget(ApiModel):
    """The most the campaign may spend."""

    __rules__: ClassVar[list[CrossFieldRule]] = [
        CrossFieldRule(
            cel="self.maxConcurrentRuns <= self.maxRuns",
            message="maxConcurrentRuns must not exceed maxRuns",
            field_path=".maxConcurrentRuns",
            holds=lambda b: b.max_concurrent_runs <= b.max_runs,
        )
    ]

    gpu_hours: float = Field(
        gt=0, description="gpuHours: GPU-hours all runs together may use (GPUs x wall hours)."
    )
    max_concurrent_runs: int = Field(
        default=1, ge=1, le=1000, description="maxConcurrentRuns: runs that may run at once."
    )
    max_runs: int = Field(default=50, ge=1, le=100000, description="maxRuns: most runs in all.")
    deadline: str | None = Field(
        default=None,
        pattern=DURATION_PATTERN,
        description="deadline: wall time from the campaign's start, e.g. 12h or 1h30m.",
    )


class Toleration(ApiModel):
    """A Kubernetes toleration for the GPU node pool's taints."""

    key: str | None = Field(default=None, description="key: the taint key.")
    operator: Literal["Exists", "Equal"] = Field(
        default="Equal", description="operator: Exists or Equal."
    )
    value: str | None = Field(default=None, description="value: the taint value.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        default=None, description="effect: the taint effect to tolerate."
    )


QUANTITY_PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
RESOURCE_NAME_PATTERN = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$"


class Compute(ApiModel):
    """Where and how runs execute."""

    __rules__: ClassVar[list[CrossFieldRule]] = [
        CrossFieldRule(
            cel="!has(self.workloadPriorityClass) || has(self.queueName)",
            message="workloadPriorityClass needs queueName: only Kueue reads it; set "
            "compute.queueName to the namespace's LocalQueue, or remove workloadPriorityClass",
            field_path=".workloadPriorityClass",
            holds=lambda c: c.workload_priority_class is None or c.queue_name is not None,
        )
    ]

    gpus_per_run: int = Field(default=1, ge=0, le=64, description="gpusPerRun: GPUs per run.")
    gpu_resource: str = Field(
        default="nvidia.com/gpu",
        pattern=RESOURCE_NAME_PATTERN,
        description="gpuResource: the extended resource name of a GPU.",
    )
    node_selector: dict[str, str] = Field(
        default_factory=dict, description="nodeSelector: labels of the GPU node pool."
    )
    tolerations: list[Toleration] = Field(
        default_factory=list, description="tolerations: tolerations for the pool's taints."
    )
    queue_name: str | None = Field(
        default=None,
        description="queueName: a Kueue LocalQueue; Jobs are then created suspended and start "
        "when Kueue admits them.",
    )
    workload_priority_class: str | None = Field(
        default=None,
        description="workloadPriorityClass: a Kueue WorkloadPriorityClass for the runs' Jobs, "
        "which decides who Kueue preempts (needs queueName).",
    )
    on_preemption: Literal["Requeue", "Fail"] = Field(
        default="Requeue",
        description="onPreemption: when Kueue evicts a running run's Job (a higher priority, "
        "a quota change), Requeue waits for quota again and restarts the run; Fail ends it "
        "with reason Preempted. Either way the GPU time used is charged once.",
    )
    trainer_image: str | None = Field(
        default=None, description="trainerImage: overrides the trainer image."
    )
    cpu: str = Field(
        default="4", pattern=QUANTITY_PATTERN, description="cpu: CPU request of each run, e.g. 4."
    )
    memory: str = Field(
        default="32Gi",
        pattern=QUANTITY_PATTERN,
        description="memory: memory request of each run, e.g. 32Gi.",
    )
    checkpoint_volume_claim: str | None = Field(
        default=None,
        description="checkpointVolumeClaim: PersistentVolumeClaim mounted at /checkpoints.",
    )


# The recipes an agent may propose and a policy may allow; kintern.api.run.Recipe adds
# `publish`, which only the campaign itself proposes.
AgentRecipe = Literal["sft", "dpo", "grpo", "eval", "custom"]


def _recipes_without_custom_code() -> list[AgentRecipe]:
    return ["sft", "dpo", "grpo", "eval"]


class ApprovalPolicy(ApiModel):
    """What the Policy mode approves without a person."""

    max_gpu_hours_per_run: float = Field(
        default=1, ge=0, description="maxGpuHoursPerRun: largest run (GPU-hours) approved alone."
    )
    allowed_recipes: list[AgentRecipe] = Field(
        default_factory=_recipes_without_custom_code,
        description="allowedRecipes: recipes runs may use at all.",
    )
    allow_custom_code: bool = Field(
        default=False, description="allowCustomCode: whether custom-script runs may exist."
    )
    allow_publish: bool = Field(
        default=False,
        description="allowPublish: whether runs may push to the Hub, and whether the policy "
        "approves publishing the best model when the campaign ends (otherwise a person "
        "approves that run).",
    )


class Approvals(ApiModel):
    """Who approves runs."""

    mode: ApprovalMode = Field(
        default="Manual",
        description="mode: Manual (a person approves each run), Policy (the policy approves "
        "what it allows, a person the rest) or Auto (whatever fits the budget).",
    )
    policy: ApprovalPolicy = Field(
        default_factory=ApprovalPolicy, description="policy: the rules for Policy mode."
    )


class Tracking(ApiModel):
    """Where metrics over time go."""

    trackio_project: str | None = Field(
        default=None, description="trackioProject: Trackio project (default: campaign name)."
    )
    trackio_space: str | None = Field(
        default=None, description="trackioSpace: a Hugging Face Space to log to instead of disk."
    )


class Output(ApiModel):
    """Where the best model goes."""

    hub_repo: str | None = Field(default=None, description="hubRepo: Hub repo for the best model.")
    hub_token_secret: str | None = Field(
        default=None, description="hubTokenSecret: Secret with key HF_TOKEN for the Hub."
    )


def _policy_limit_fits_budget(spec: "CampaignSpec") -> bool:
    approvals = spec.approvals
    if approvals.mode != "Policy" or "policy" not in approvals.model_fields_set:
        return True  # as the CEL rule: no policy object given, nothing to check
    return approvals.policy.max_gpu_hours_per_run <= spec.budget.gpu_hours


class CampaignSpec(ApiModel):
    """spec of a PostTrainingCampaign."""

    __rules__: ClassVar[list[CrossFieldRule]] = [
        CrossFieldRule(
            cel="!has(self.approvals) || !has(self.approvals.policy) "
            "|| self.approvals.mode != 'Policy' "
            "|| self.approvals.policy.maxGpuHoursPerRun <= self.budget.gpuHours",
            message="maxGpuHoursPerRun is more than the whole budget (budget.gpuHours), so "
            "this limit can never apply: a run that large never fits the budget. Set "
            "approvals.policy.maxGpuHoursPerRun to at most budget.gpuHours",
            field_path=".approvals.policy.maxGpuHoursPerRun",
            holds=_policy_limit_fits_budget,
        )
    ]

    goal: str = Field(min_length=1, description="goal: the task for the agent, in words.")
    base_model: str = Field(
        min_length=1, description="baseModel: Hub id or path of the model to improve."
    )
    objective: Objective = Field(description="objective: the benchmark and target.")
    datasets: list[DatasetRef] = Field(
        default_factory=list,
        description="datasets: training data the campaign offers; builtin/sweep needs at least "
        "one, an LLM agent takes them as a starting point.",
    )
    agent: AgentSpec = Field(description="agent: the planning agent.")
    budget: Budget = Field(description="budget: GPU-hours, run counts and deadline.")
    compute: Compute = Field(default_factory=Compute, description="compute: the GPU node pool.")
    approvals: Approvals = Field(
        default_factory=Approvals, description="approvals: Manual, Policy or Auto."
    )
    tracking: Tracking = Field(default_factory=Tracking, description="tracking: Trackio settings.")
    output: Output = Field(default_factory=Output, description="output: where the best model goes.")
    suspend: bool = Field(
        default=False,
        description="suspend: true stops the agent and starts no new runs; running runs finish.",
    )


class ScoreRef(ApiModel):
    """A score and where it came from."""

    score: float | None = Field(default=None, description="score: the objective metric.")
    run: str | None = Field(default=None, description="run: the TrainingRun that measured it.")
    model: str | None = Field(default=None, description="model: the checkpoint it measured.")


class RunCounts(ApiModel):
    """Runs by phase."""

    total: int = Field(default=0, description="total: runs created.")
    awaiting_approval: int = Field(default=0, description="awaitingApproval: runs waiting.")
    running: int = Field(default=0, description="running: runs with a live Job.")
    waiting_for_quota: int = Field(
        default=0,
        description="waitingForQuota: of those, runs whose Job waits for Kueue to admit it.",
    )
    succeeded: int = Field(default=0, description="succeeded: runs that finished well.")
    failed: int = Field(default=0, description="failed: runs that failed.")
    rejected: int = Field(default=0, description="rejected: runs refused.")


class Usage(ApiModel):
    """What the campaign has spent."""

    gpu_hours: float = Field(default=0, description="gpuHours: GPU-hours used by all runs.")
    gpu_hours_summary: str = Field(
        default="0/0", description="gpuHoursSummary: used/budget, for kubectl get."
    )
    runs: RunCounts = Field(default_factory=RunCounts, description="runs: runs by phase.")
    agent_iterations: int = Field(default=0, description="agentIterations: agent steps so far.")
    agent_tokens: int = Field(default=0, description="agentTokens: model tokens used so far.")
    agent_cost_usd: float = Field(default=0, description="agentCostUSD: estimated model cost.")


class CampaignStatus(ApiModel):
    """status of a PostTrainingCampaign, written by the operator (and the agent's fields)."""

    phase: CampaignPhase = Field(default="Pending", description="phase: derived from conditions.")
    conditions: list[Condition] = Field(default_factory=list, description="conditions.")
    observed_generation: int | None = Field(default=None, description="observedGeneration.")
    message: str = Field(default="", description="message: one line for people.")
    start_time: str | None = Field(default=None, description="startTime: when it started.")
    completion_time: str | None = Field(default=None, description="completionTime.")
    agent_job: str | None = Field(default=None, description="agentJob: the agent's Job.")
    baseline: ScoreRef = Field(default_factory=ScoreRef, description="baseline: the base model.")
    best: ScoreRef = Field(default_factory=ScoreRef, description="best: the best run so far.")
    usage: Usage = Field(default_factory=Usage, description="usage: what was spent.")
    agent_summary: str | None = Field(
        default=None, description="agentSummary: the agent's final summary."
    )
    agent_done: bool = Field(default=False, description="agentDone: the agent has finished.")


class PostTrainingCampaign(ApiModel):
    """A PostTrainingCampaign object."""

    api_version: Literal["kintern.dev/v1alpha1"] = "kintern.dev/v1alpha1"
    kind: Literal["PostTrainingCampaign"] = "PostTrainingCampaign"
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: CampaignSpec
    status: CampaignStatus = Field(default_factory=CampaignStatus)
