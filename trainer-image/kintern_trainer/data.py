"""Training data: loads each DatasetRef, maps its columns to what the recipe's TRL trainer
expects, checks them, and mixes several sources by weight.

Called by `runner` before decontamination and training. A missing column is an error that
names the column, the columns the data set has, and the `columns` mapping that fixes it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kintern.api.data import DatasetRef
from kintern_trainer.errors import DataError, SpecError
from kintern_trainer.sources import load_table

if TYPE_CHECKING:
    from datasets import Dataset

# For each recipe, the column sets TRL accepts, in order of preference.
FORMATS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sft": (("messages",), ("prompt", "completion"), ("text",)),
    "dpo": (("prompt", "chosen", "rejected"),),
    "grpo": (("prompt",),),
}
KEEP_EXTRA_COLUMNS = {"grpo"}  # GRPO passes every column to the reward functions


@dataclass
class TrainingData:
    """The mixed training set and what went into it."""

    dataset: Dataset
    columns: tuple[str, ...]
    sources: list[dict[str, Any]] = field(default_factory=list)


def load_training_data(
    refs: list[DatasetRef], recipe: str, seed: int, extra_required: tuple[str, ...] = ()
) -> TrainingData:
    """Load, map, check and mix `refs` for `recipe` (sft, dpo or grpo)."""
    if recipe not in FORMATS:
        raise SpecError(f"recipe '{recipe}' does not train on data sets")
    if not refs:
        raise SpecError(f"a {recipe} run needs at least one entry in spec.datasets")
    tables = [_load_mapped(ref, index) for index, ref in enumerate(refs)]
    columns = _choose_format(tables, refs, recipe, extra_required)
    keep = _common_columns(tables) if recipe in KEEP_EXTRA_COLUMNS else columns
    tables = [table.select_columns(list(keep)) for table in tables]
    dataset, used = _mix(tables, [ref.weight for ref in refs], seed)
    sources = [
        {"name": ref.name, "config": ref.config, "split": ref.split, "rows": len(t), "used": n}
        for ref, t, n in zip(refs, tables, used, strict=True)
    ]
    return TrainingData(dataset=dataset, columns=tuple(keep), sources=sources)


def _load_mapped(ref: DatasetRef, index: int) -> Dataset:
    table = load_table(ref.name, ref.config, ref.split)
    if ref.limit is not None:
        table = table.select(range(min(ref.limit, len(table))))
    missing = [theirs for theirs in ref.columns.values() if theirs not in table.column_names]
    if missing:
        raise DataError(
            f"spec.datasets[{index}] ({ref.name}): columns maps to '{missing[0]}', but the "
            f"data set has no such column (it has: {', '.join(table.column_names)})"
        )
    renames = {theirs: ours for ours, theirs in ref.columns.items() if theirs != ours}
    clashing = [ours for ours in renames.values() if ours in table.column_names]
    table = table.remove_columns(clashing)
    return table.rename_columns(renames) if renames else table


def _choose_format(
    tables: list[Dataset], refs: list[DatasetRef], recipe: str, extra: tuple[str, ...]
) -> tuple[str, ...]:
    options = [option + extra for option in FORMATS[recipe]]
    first = tables[0].column_names
    chosen = next((o for o in options if all(c in first for c in o)), None)
    if chosen is None:
        raise DataError(_missing_message(refs[0], 0, first, recipe, options))
    for index, table in enumerate(tables[1:], start=1):
        if not all(c in table.column_names for c in chosen):
            raise DataError(
                _missing_message(refs[index], index, table.column_names, recipe, [chosen])
            )
    return chosen


def _missing_message(
    ref: DatasetRef, index: int, have: list[str], recipe: str, options: list[tuple[str, ...]]
) -> str:
    wanted = " or ".join("(" + ", ".join(o) + ")" for o in options)
    lacking = [c for c in options[0] if c not in have]
    return (
        f"spec.datasets[{index}] ({ref.name}) has no column '{lacking[0]}' for the {recipe} "
        f"recipe, which needs columns {wanted}; the data set has: {', '.join(have)}. Map its "
        f"columns with spec.datasets[{index}].columns, e.g. {{{lacking[0]}: <its column>}}"
    )


def _common_columns(tables: list[Dataset]) -> tuple[str, ...]:
    first = tables[0].column_names
    return tuple(c for c in first if all(c in t.column_names for t in tables[1:]))


def _mix(tables: list[Dataset], weights: list[float], seed: int) -> tuple[Dataset, list[int]]:
    """One source is used as is; several are resampled to their weight's share of the total
    (sampled down without replacement, or repeated up) and shuffled together."""
    from datasets import concatenate_datasets

    if len(tables) == 1:
        return tables[0], [len(tables[0])]
    total, weight_sum = sum(len(t) for t in tables), sum(weights)
    rng = random.Random(seed)
    parts, used = [], []
    for table, weight in zip(tables, weights, strict=True):
        want = round(total * weight / weight_sum)
        parts.append(table.select(_indices(len(table), want, rng)))
        used.append(want)
    try:
        mixed = concatenate_datasets(parts)
    except ValueError as exc:
        raise DataError(f"the data sets cannot be mixed, their column types differ: {exc}") from exc
    return mixed.shuffle(seed=seed), used


def _indices(size: int, want: int, rng: random.Random) -> list[int]:
    if size == 0:
        return []
    repeats, rest = divmod(want, size)
    return list(range(size)) * repeats + rng.sample(range(size), rest)
