"""Tool: propose a TrainingRun (sft, dpo, grpo or eval) for approval."""

from typing import Any

from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import CampaignContext
from kintern_agent.tools.submit import build_spec, submit

DATASET_ITEM = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Hub data set id or a .jsonl/.parquet path"},
        "config": {"type": "string"},
        "split": {"type": "string", "description": "default train"},
        "weight": {"type": "number", "description": "share in the mixture, default 1"},
        "limit": {"type": "integer", "description": "use at most this many rows"},
        "columns": {
            "type": "object",
            "description": "trainer column -> data set column, e.g. {prompt: question}",
        },
    },
    "required": ["name"],
}


class CreateTrainingRun(KinternTool):
    name = "create_training_run"
    description = (
        "Propose a run: recipe sft, dpo, grpo (post-training) or eval (evaluate a model on the "
        "benchmark). The operator checks it against the budget and the approval rules; it "
        "may wait for a person or be rejected with a reason. Hyperparameters (all optional): "
        "learningRate, epochs, maxSteps, batchSize, gradientAccumulationSteps, maxLength, "
        "warmupRatio, weightDecay, lora, loraRank, gradientCheckpointing, packing, seed, "
        "beta, numGenerations, maxCompletionLength, rewards. The evaluation set is checked "
        "against the training data and overlapping rows are dropped."
    )
    inputs = {
        "recipe": {
            "type": "string",
            "enum": ["sft", "dpo", "grpo", "eval"],
            "description": "sft, dpo, grpo or eval.",
        },
        "rationale": {
            "type": "string",
            "description": "Why this run, in a few sentences: what the approver reads.",
        },
        "datasets": {
            "type": "array",
            "items": DATASET_ITEM,
            "nullable": True,
            "description": "Training data, mixed by weight (not needed for eval).",
        },
        "model": {
            "type": "string",
            "nullable": True,
            "description": "Start from: a Hub id, or run:NAME for another run's checkpoint "
            "(default: the base model).",
        },
        "hyperparameters": {
            "type": "object",
            "nullable": True,
            "description": "Training settings in camelCase, e.g. "
            "{learningRate: 1e-5, epochs: 2, lora: true}.",
        },
        "gpus": {
            "type": "integer",
            "nullable": True,
            "description": "GPUs (default: the campaign's gpusPerRun).",
        },
        "hours": {
            "type": "number",
            "nullable": True,
            "description": "Wall-time limit in hours (default 1); GPUs x hours is reserved.",
        },
    }

    def __init__(self, ctx: CampaignContext):
        super().__init__()
        self.ctx = ctx

    def forward(
        self,
        recipe: str,
        rationale: str,
        datasets: list[Any] | None = None,
        model: str | None = None,
        hyperparameters: dict[str, Any] | None = None,
        gpus: int | None = None,
        hours: float | None = None,
    ) -> str:
        if recipe == "custom":
            raise ToolError("custom runs are proposed with propose_data_prep")
        resources: dict[str, Any] = {"gpus": gpus} if gpus is not None else {}
        if hours is not None:
            resources["hours"] = hours
        body: dict[str, Any] = {
            "campaign": self.ctx.runs.campaign,
            "recipe": recipe,
            "rationale": rationale,
            "datasets": datasets or [],
            "hyperparameters": hyperparameters or {},
            "resources": resources,
        }
        if model:
            body["model"] = model
        return submit(self.ctx, build_spec(body))
