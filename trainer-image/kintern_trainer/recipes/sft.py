"""The `sft` recipe: supervised fine-tuning with TRL's SFTTrainer.

Data: `messages` (chat), `prompt` + `completion` (loss on the completion only) or `text`.
Throughput choices over TRL's defaults: no gradient checkpointing unless asked (it costs
about a quarter of the step time), fp32 on the CPU (bf16 autocast is slow on most CPUs),
one thread for small models on the CPU, and with `packing` best-fit packing whose rows
do not attend to each other (position ids restart per row).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    from trl import SFTConfig, SFTTrainer


def build_config(ctx: RecipeContext) -> SFTConfig:
    from trl import SFTConfig

    hp = ctx.hp
    extra: dict[str, Any] = {"max_length": hp.max_length, "packing": hp.packing}
    if hp.packing:
        extra["packing_strategy"] = "bfd"
    return SFTConfig(**base_args(ctx), **extra)


def build_trainer(ctx: RecipeContext, config: SFTConfig | None = None) -> SFTTrainer:
    from trl import SFTTrainer

    from kintern_trainer.recipes.callbacks import StopOnNonFinite

    return SFTTrainer(
        model=load_policy(ctx),
        args=config or build_config(ctx),
        train_dataset=ctx.dataset,
        processing_class=tokenizer_for(ctx),
        peft_config=peft_config(ctx.hp),
        callbacks=[StopOnNonFinite()],
    )


def train(ctx: RecipeContext) -> TrainOutput:
    return run(build_trainer(ctx), ctx)
