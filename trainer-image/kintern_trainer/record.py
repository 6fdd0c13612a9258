"""Writes what a run leaves behind: the small result (termination message) and the full
record beside the checkpoint (result, request, package versions, data, decontamination
details, training logs), plus one line per evaluated question.

Called by `runner` once, at the end of every run, failed or not.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import platform
from pathlib import Path
from typing import Any

from kintern.api.request import RunRequest
from kintern.api.result import TrainingResult

log = logging.getLogger(__name__)

RECORD_FILENAME = "kintern-record.json"
SAMPLES_FILENAME = "eval-samples.jsonl"
PACKAGES = (
    "kintern", "torch", "transformers", "trl", "datasets", "peft", "accelerate",
    "tokenizers", "trackio", "vllm",
)  # fmt: skip


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that decide what a run computes."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_result(result: TrainingResult, path: str) -> None:
    """The termination message: compact JSON of at most 4 KiB."""
    target = Path(path)
    if not target.parent.exists():
        target.parent.mkdir(parents=True)
    target.write_text(result.to_termination_message())


def write_record(
    request: RunRequest,
    result: TrainingResult,
    details: dict[str, Any],
    samples: list[dict[str, Any]] | None,
) -> Path:
    """The full record (and the evaluation samples) in the run's output directory."""
    out = Path(request.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if samples:
        lines = "".join(json.dumps(sample) + "\n" for sample in samples)
        (out / SAMPLES_FILENAME).write_text(lines)
        details = details | {"evalSamples": SAMPLES_FILENAME}
    record = {
        "result": result.to_dict(),
        "request": request.to_dict(),
        "packages": package_versions(),
        **details,
    }
    path = out / RECORD_FILENAME
    path.write_text(json.dumps(record, indent=2, default=str))
    log.info("wrote the full record to %s", path)
    return path


def update_record(
    request: RunRequest, result: TrainingResult, workers: dict[int, TrainingResult]
) -> None:
    """After a multi-worker run: the record (written by worker 0) gets the run's result and
    each worker's outcome, so it agrees with the result the launcher wrote."""
    path = Path(request.output_dir) / RECORD_FILENAME
    body = json.loads(path.read_text()) if path.exists() else {"request": request.to_dict()}
    body["result"] = result.to_dict()
    body["workers"] = {
        str(rank): {"status": r.status, "error": r.error, "diagnosis": r.diagnosis.to_dict()}
        for rank, r in sorted(workers.items())
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2, default=str))
