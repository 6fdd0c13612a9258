"""The `dpo` recipe: direct preference optimisation with TRL's DPOTrainer.

Data: `prompt`, `chosen`, `rejected`. The reference model is the start model (a frozen
copy, or the base weights under the adapters with LoRA); `beta` sets the KL strength.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    from trl import DPOConfig, DPOTrainer


def build_config(ctx: RecipeContext) -> DPOConfig:
    from trl import DPOConfig

    return DPOConfig(**base_args(ctx), max_length=ctx.hp.max_length, beta=ctx.hp.beta)


def build_trainer(ctx: RecipeContext, config: DPOConfig | None = None) -> DPOTrainer:
    from trl import DPOTrainer

    from kintern_trainer.recipes.callbacks import StopOnNonFinite

    return DPOTrainer(
        model=load_policy(ctx),
        args=config or build_config(ctx),
        train_dataset=ctx.dataset,
        processing_class=tokenizer_for(ctx),
        peft_config=peft_config(ctx.hp),
        callbacks=[StopOnNonFinite()],
    )


def train(ctx: RecipeContext) -> TrainOutput:
    return run(build_trainer(ctx), ctx)
