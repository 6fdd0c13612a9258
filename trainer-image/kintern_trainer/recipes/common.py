"""What every training recipe shares: the context it runs in, the TrainingArguments that
come from the run's hyperparameters, the model, LoRA, and training-then-saving.

Each recipe module (`sft`, `dpo`, `grpo`) builds its TRL config from `base_args` plus its
own fields, and its TRL trainer from `load_policy`/`peft_config`, then calls `run`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kintern.api.request import RunRequest
from kintern.api.run import Hyperparameters
from kintern_trainer import distributed
from kintern_trainer.modeling import (
    hub_kwargs,
    load_tokenizer,
    model_dtype,
    model_error,
    tune_cpu_threads,
    use_bf16,
)

if TYPE_CHECKING:
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, Trainer

log = logging.getLogger(__name__)
CHECKPOINT_DIRNAME = "checkpoint"
RESULT_METRICS = ("train_loss", "train_runtime")  # of the trainer's final metrics


@dataclass
class RecipeContext:
    """One run's inputs, resolved: the request, the device, the start model and the data."""

    request: RunRequest
    device: str
    model_path: str
    dataset: Dataset | None = None

    @property
    def hp(self) -> Hyperparameters:
        return self.request.spec.hyperparameters

    @property
    def output_dir(self) -> Path:
        return Path(self.request.output_dir)

    @property
    def checkpoint_dir(self) -> Path:
        return self.output_dir / CHECKPOINT_DIRNAME


@dataclass
class TrainOutput:
    """A finished training: where the model is and what the trainer logged."""

    checkpoint: Path | None
    history: list[dict[str, float]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    data_files: list[str] = field(default_factory=list)  # a custom run's data output


class TrainingCrashed(Exception):
    """Training raised; carries the log history up to the crash for the diagnosis."""

    def __init__(self, cause: BaseException, history: list[dict[str, float]]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.history = history


def base_args(ctx: RecipeContext) -> dict[str, Any]:
    """TrainingArguments fields every recipe sets the same way."""
    hp, request = ctx.hp, ctx.request
    args: dict[str, Any] = {
        "output_dir": str(ctx.output_dir / "trainer"),
        "learning_rate": hp.learning_rate,
        "num_train_epochs": hp.epochs,
        "max_steps": hp.max_steps or -1,
        "per_device_train_batch_size": hp.batch_size,
        "gradient_accumulation_steps": hp.gradient_accumulation_steps,
        "warmup_steps": min(hp.warmup_ratio, 0.999),  # a float below 1 is a ratio
        "weight_decay": hp.weight_decay,
        "activation_checkpointing": hp.gradient_checkpointing,
        "seed": hp.seed,
        "data_seed": hp.seed,
        "bf16": use_bf16(ctx.device),
        "use_cpu": ctx.device == "cpu",
        "logging_steps": 1,
        "logging_nan_inf_filter": False,  # a NaN must reach the logs and the diagnosis
        "save_strategy": "no",
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "run_name": request.run_name,
        "report_to": "none",
    }
    args |= parallelism_args(request.spec.resources.parallelism, hp.gradient_checkpointing)
    if request.trackio_project:
        args |= {
            "report_to": ["trackio"],
            "project": request.trackio_project,
            "trackio_space_id": request.trackio_space,
            "trackio_static_space_id": False,
        }
    return args


def parallelism_args(parallelism: str, checkpointing: bool) -> dict[str, Any]:
    """How several workers share a run: DDP needs nothing (the Trainer wraps the model when
    the launcher started it as one of several workers); FSDP shards every decoder layer
    (the model's own no-split modules) and checkpoints activations itself, since the
    Trainer's own checkpointing would gather every layer's weights once more."""
    if parallelism != "fsdp" or distributed.world_size() == 1:
        return {}
    return {
        "fsdp": "full_shard auto_wrap",
        "fsdp_config": {"activation_checkpointing": checkpointing},
        "activation_checkpointing": False,
    }


def load_policy(ctx: RecipeContext) -> PreTrainedModel:
    """The model to train: fp32 master weights for full training (bf16 autocast on a GPU),
    the GPU's bf16 for LoRA, whose base weights stay frozen."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = model_dtype(ctx.device) if ctx.hp.lora else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(ctx.model_path, dtype=dtype, **hub_kwargs())
    except OSError as exc:
        raise model_error(ctx.model_path, exc) from exc
    tune_cpu_threads(model, ctx.device)
    model.config.use_cache = False  # training: no KV cache (it also disables packed masks)
    return model


def tokenizer_for(ctx: RecipeContext) -> PreTrainedTokenizerBase:
    return load_tokenizer(ctx.model_path)


def peft_config(hp: Hyperparameters) -> LoraConfig | None:
    """LoRA on every linear layer when the run asks for it."""
    if not hp.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=hp.lora_rank,
        lora_alpha=2 * hp.lora_rank,
        lora_dropout=0.05,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )


def run(trainer: Trainer, ctx: RecipeContext) -> TrainOutput:
    """Train, then save the model (LoRA merged in) and tokenizer as a normal HF directory.
    A run that logged a non-finite loss is not saved: its weights are garbage."""
    try:
        result = trainer.train()
    except Exception as exc:
        raise TrainingCrashed(exc, list(trainer.state.log_history)) from exc
    history = list(trainer.state.log_history)
    metrics = {k: float(v) for k, v in result.metrics.items() if k in RESULT_METRICS}
    if not _finite_history(history):
        return TrainOutput(checkpoint=None, history=history, metrics=metrics)
    _save(trainer, ctx)
    distributed.barrier()  # the other workers evaluate the checkpoint rank 0 just saved
    return TrainOutput(checkpoint=ctx.checkpoint_dir, history=history, metrics=metrics)


def _save(trainer: Trainer, ctx: RecipeContext) -> None:
    if trainer.is_fsdp_enabled:
        _save_sharded(trainer, ctx)
    elif distributed.is_main():
        _save_whole(trainer, ctx)


def _save_sharded(trainer: Trainer, ctx: RecipeContext) -> None:
    """FSDP: every worker takes part in gathering the full weights; rank 0 writes them."""
    trainer.save_model(str(ctx.checkpoint_dir))
    if distributed.is_main():
        tokenizer_for(ctx).save_pretrained(ctx.checkpoint_dir)


def _save_whole(trainer: Trainer, ctx: RecipeContext) -> None:
    model: Any = trainer.model  # a PreTrainedModel, or a PeftModel around one
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model = model.to(model_dtype(ctx.device))
    model.config.use_cache = True
    model.save_pretrained(ctx.checkpoint_dir)
    tokenizer_for(ctx).save_pretrained(ctx.checkpoint_dir)
    log.info("saved the trained model to %s", ctx.checkpoint_dir)


def _finite_history(history: list[dict[str, float]]) -> bool:
    return all(
        math.isfinite(entry[key])
        for entry in history
        for key in ("loss", "grad_norm")
        if isinstance(entry.get(key), int | float)
    )
