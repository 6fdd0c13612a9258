"""The training recipes, one module each, imported only when a run uses them.

`train(name, ctx)` runs the recipe `name` (sft, dpo, grpo or custom); `eval` has no
training step and is handled by `runner`.
"""

from __future__ import annotations

import importlib

from kintern_trainer.errors import SpecError
from kintern_trainer.recipes.common import RecipeContext, TrainOutput

TRAINING_RECIPES = ("sft", "dpo", "grpo", "custom")


def train(name: str, ctx: RecipeContext) -> TrainOutput:
    """Run recipe `name`; raises SpecError for a name that is not a training recipe."""
    if name not in TRAINING_RECIPES:
        raise SpecError(
            f"unknown recipe '{name}': use one of {', '.join(TRAINING_RECIPES)} or eval"
        )
    module = importlib.import_module(f"kintern_trainer.recipes.{name}")
    output: TrainOutput = module.train(ctx)
    return output
