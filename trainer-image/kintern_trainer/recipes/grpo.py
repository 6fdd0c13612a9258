"""The `grpo` recipe: group relative policy optimisation with TRL's GRPOTrainer.

Data: `prompt` (plain or chat) and, for the `accuracy` reward, `answer`; every column
reaches the reward functions. Generation uses vLLM (colocated) when it is installed and a
GPU is there, transformers otherwise.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from kintern_trainer import rewards
from kintern_trainer.errors import SpecError
from kintern_trainer.recipes.common import (
    RecipeContext,
    TrainOutput,
    base_args,
    load_policy,
    peft_config,
    run,
    tokenizer_for,
)

if TYPE_CHECKING:
    from trl import GRPOConfig, GRPOTrainer


def required_columns(reward_names: list[str]) -> tuple[str, ...]:
    """Data columns the chosen rewards need beyond `prompt`."""
    return ("answer",) if "accuracy" in reward_names else ()


def build_config(ctx: RecipeContext) -> GRPOConfig:
    from trl import GRPOConfig

    hp = ctx.hp
    per_step = hp.batch_size * hp.gradient_accumulation_steps
    if per_step % hp.num_generations:
        raise SpecError(
            f"grpo: batchSize x gradientAccumulationSteps ({per_step}) must be a multiple of "
            f"numGenerations ({hp.num_generations}), so every prompt's group fits in a step"
        )
    use_vllm = ctx.device == "cuda" and importlib.util.find_spec("vllm") is not None
    return GRPOConfig(
        **base_args(ctx),
        beta=hp.beta,
        num_generations=hp.num_generations,
        max_completion_length=hp.max_completion_length,
        use_vllm=use_vllm,
        vllm_mode="colocate",
    )


def build_trainer(ctx: RecipeContext, config: GRPOConfig | None = None) -> GRPOTrainer:
    from trl import GRPOTrainer

    from kintern_trainer.recipes.callbacks import StopOnNonFinite

    reward_funcs: list[Any] = rewards.resolve(ctx.hp.rewards)
    return GRPOTrainer(
        model=load_policy(ctx),
        reward_funcs=reward_funcs,
        args=config or build_config(ctx),
        train_dataset=ctx.dataset,
        processing_class=tokenizer_for(ctx),
        peft_config=peft_config(ctx.hp),
        callbacks=[StopOnNonFinite()],
    )


def train(ctx: RecipeContext) -> TrainOutput:
    return run(build_trainer(ctx), ctx)
