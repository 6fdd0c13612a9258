"""`kintern train`: reads a RunRequest from a file or KINTERN_RUN_REQUEST and runs it.

`kintern.cli.main` calls `train_main`; it is also `python -m kintern_trainer.cli [FILE]`, which
is how `launch` starts each worker of a run with more than one process.
The exit code is 0 for a succeeded run and 1 for a failed one, after the result is written
either way; 2 means the request itself is unreadable (the failed result then goes to the
request's resultPath if that much can be read, else to an existing termination-log file).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from pydantic import ValidationError

from kintern.api.request import RunRequest
from kintern.api.result import DEFAULT_TERMINATION_PATH, Diagnosis, TrainingResult
from kintern_trainer.errors import TrainerError

REQUEST_ENV = "KINTERN_RUN_REQUEST"
log = logging.getLogger("kintern_trainer")


class Terminated(TrainerError):
    """The process got SIGTERM: the Job's deadline passed or the run was cancelled."""


def read_request_data(path: Path | None) -> dict[str, Any]:
    """The request as a mapping, from a YAML (or JSON) file or the KINTERN_RUN_REQUEST variable."""
    if path is not None:
        text = path.read_text()
    elif os.environ.get(REQUEST_ENV):
        text = os.environ[REQUEST_ENV]
    else:
        raise TrainerError(f"no run request: pass --request FILE or set {REQUEST_ENV}")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise TrainerError("the run request must be a YAML mapping")
    return data


def train_main(request: Path | None = None, processes: int = 1) -> int:
    """Run one TrainingRun, on `processes` worker processes (one per GPU); returns the
    process exit code."""
    _setup_logging()
    data: dict[str, Any] = {}
    try:
        data = read_request_data(request)
        run_request = RunRequest.model_validate(data)
    except (OSError, TrainerError, ValidationError, yaml.YAMLError) as exc:
        log.error("cannot read the run request: %s", exc)
        _report_unreadable(data, f"invalid run request: {exc}")
        return 2
    if processes > 1:
        from kintern_trainer.launch import launch

        result = launch(run_request, request, processes)
    else:
        signal.signal(signal.SIGTERM, _on_sigterm)
        from kintern_trainer.runner import execute

        result = execute(run_request)
    return 0 if result.status == "succeeded" else 1


def _report_unreadable(data: dict[str, Any], message: str) -> None:
    path = data.get("resultPath") or data.get("result_path")
    if not isinstance(path, str):
        path = DEFAULT_TERMINATION_PATH if Path(DEFAULT_TERMINATION_PATH).exists() else None
    if path is None:
        return
    result = TrainingResult(
        status="failed",
        error=message,
        diagnosis=Diagnosis(kind="error", evidence=message[:1000], advice="fix the run request"),
    )
    Path(path).write_text(result.to_termination_message())


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated("terminated by SIGTERM: the run's deadline passed or it was cancelled")


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


if __name__ == "__main__":
    raise SystemExit(train_main(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
