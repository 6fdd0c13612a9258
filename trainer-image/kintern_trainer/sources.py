"""Loads one table of rows from the Hugging Face Hub or a local file.

Shared by the training data loader (`data`) and the evaluation suites
(`evaluation.questions`), so both accept the same names: a Hub data set id with a
config and split, or a path to a .jsonl, .json, .parquet or .csv file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kintern_trainer.errors import DataError

if TYPE_CHECKING:
    from datasets import Dataset

LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


def is_local(name: str) -> bool:
    """Whether `name` names a local file rather than a Hub data set id."""
    return Path(name).suffix in LOCAL_FORMATS or Path(name).exists()


def load_table(
    name: str, config: str | None, split: str, error: type[Exception] = DataError
) -> Dataset:
    """Read a whole split into memory; a failure raises `error` saying how to fix it."""
    if is_local(name):
        return _load_local(Path(name), error)
    return _load_hub(name, config, split, error)


def _load_local(path: Path, error: type[Exception]) -> Dataset:
    from datasets import load_dataset

    builder = LOCAL_FORMATS.get(path.suffix)
    if builder is None:
        raise error(f"{path}: unsupported file type; use one of {', '.join(LOCAL_FORMATS)}")
    if not path.is_file():
        raise error(f"{path}: no such file (relative paths start at {Path.cwd()})")
    try:
        return load_dataset(builder, data_files=str(path), split="train")
    except Exception as exc:  # datasets raises many unrelated types for a bad file
        raise error(f"{path}: cannot be read as {builder}: {_short(exc)}") from exc


def _load_hub(name: str, config: str | None, split: str, error: type[Exception]) -> Dataset:
    from datasets import load_dataset

    where = f"data set '{name}'" + (f" (config {config})" if config else "") + f", split {split}"
    try:
        return load_dataset(name, config, split=split, token=os.environ.get("HF_TOKEN"))
    except Exception as exc:  # network, auth, missing config or split: all reach the user
        raise error(f"could not load {where}: {_short(exc)}. {_hint(name)}") from exc


def _hint(name: str) -> str:
    if os.environ.get("HF_HUB_OFFLINE") in {"1", "true", "True"}:
        return "HF_HUB_OFFLINE is set, so only data sets already in the local cache load."
    if not os.environ.get("HF_TOKEN"):
        return (
            "Check the id at https://huggingface.co/datasets/" + name + "; a gated or private "
            "data set also needs HF_TOKEN set to a token whose account accepted its terms."
        )
    return (
        "Check the id, config and split at https://huggingface.co/datasets/" + name + ", and "
        "that the HF_TOKEN account accepted the data set's terms if it is gated."
    )


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 300 else text[:297] + "..."
