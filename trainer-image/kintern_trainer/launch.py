"""`kintern train --processes N`: one worker process per GPU, and one result for the run.

The launcher starts N workers running `python -m kintern_trainer.cli` with torch's elastic
launcher (what torchrun runs: RANK, LOCAL_RANK, WORLD_SIZE and a rendezvous on this
machine; no restarts). Each worker writes its result to its own file in a scratch folder
named by KINTERN_WORKER_RESULTS, never the run's result path. When the workers are done the
launcher writes the run's one result: rank 0's when every worker succeeded, else the
result of the worker that failed first, labelled with its rank, since the others' failures
(a closed connection, the launcher's SIGTERM) are its consequences. A worker that ended
without a result (killed from outside, such as by the kernel's OOM killer) is taken as the
cause. Called by `cli.train_main`; `runner` writes the worker results.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kintern.api.request import RunRequest
from kintern.api.result import Diagnosis, TrainingResult
from kintern_trainer import record

WORKER_RESULTS_ENV = "KINTERN_WORKER_RESULTS"
KILLED_ADVICE = (
    "a worker killed by SIGKILL was most likely out of host memory: lower batchSize, "
    "turn on gradientCheckpointing or lora, or ask for more memory"
)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerResult:
    """What one worker reported, and when it ended (wall clock, for ordering failures)."""

    rank: int
    result: TrainingResult
    ended_at: float


def write_worker_result(result: TrainingResult, rank: int) -> None:
    """A worker's result, into the launcher's scratch folder."""
    folder = Path(os.environ[WORKER_RESULTS_ENV])
    body = {"rank": rank, "endedAt": time.time(), "result": result.to_dict()}
    (folder / f"rank-{rank}.json").write_text(json.dumps(body))


def launched_worker() -> bool:
    """Whether this process is one of the launcher's workers."""
    return WORKER_RESULTS_ENV in os.environ


def launch(request: RunRequest, request_path: Path | None, processes: int) -> TrainingResult:
    """Run the request on `processes` workers; returns the result it wrote for the run."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    scratch = Path(tempfile.mkdtemp(prefix="kintern-workers-"))
    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=processes,
        run_id=f"kintern-{uuid.uuid4().hex[:12]}",
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",  # a free port on this machine, as torchrun --standalone
        max_restarts=0,
        monitor_interval=0.5,
    )
    args = ["-m", "kintern_trainer.cli", *([str(request_path)] if request_path else [])]
    exit_codes: dict[int, int] = {}
    log.info("launching %d workers", processes)
    try:
        with _worker_environment(scratch):
            elastic_launch(config, sys.executable)(*args)
    except ChildFailedError as exc:
        exit_codes = {rank: failure.exitcode for rank, failure in exc.failures.items()}
    except SignalException as exc:  # the Job's deadline or a cancel: workers were signalled
        log.warning("the launcher got %s; the workers were stopped", exc.sigval.name)
    try:
        workers = read_worker_results(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = combine(workers, exit_codes, processes)
    record.write_result(result, request.result_path)
    record.update_record(request, result, {w.rank: w.result for w in workers})
    return result


@contextmanager
def _worker_environment(scratch: Path) -> Iterator[None]:
    """The variables the workers inherit, set only while they start (the launcher may be
    a long-lived process, such as a test)."""
    saved = dict(os.environ)
    os.environ[WORKER_RESULTS_ENV] = str(scratch)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as torchrun: the workers share the cores
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def read_worker_results(folder: Path) -> list[WorkerResult]:
    workers = []
    for path in sorted(folder.glob("rank-*.json")):
        body = json.loads(path.read_text())
        result = TrainingResult.model_validate(body["result"])
        workers.append(WorkerResult(int(body["rank"]), result, float(body["endedAt"])))
    return workers


def combine(
    workers: list[WorkerResult], exit_codes: dict[int, int], processes: int
) -> TrainingResult:
    """The run's one result from its workers' results (see the module docstring)."""
    by_rank = {w.rank: w for w in workers}
    silent = sorted(r for r in range(processes) if r not in by_rank)
    if silent:
        rank = silent[0]
        return _no_result(rank, exit_codes.get(rank), processes, by_rank.get(0))
    failed = sorted((w for w in workers if w.result.status == "failed"), key=lambda w: w.ended_at)
    if not failed:
        return by_rank[0].result
    return _labelled(failed[0], processes)


def _labelled(worker: WorkerResult, processes: int) -> TrainingResult:
    """A worker's failed result, its error and evidence naming the worker."""
    label = f"worker {worker.rank} of {processes}: "
    result = worker.result
    diagnosis = result.diagnosis.model_copy(update={"evidence": label + result.diagnosis.evidence})
    return result.model_copy(
        update={"error": label + (result.error or "failed"), "diagnosis": diagnosis}
    )


def _no_result(
    rank: int, exit_code: int | None, processes: int, main: WorkerResult | None
) -> TrainingResult:
    how = _describe_exit(exit_code)
    message = f"worker {rank} of {processes} {how} before writing a result"
    killed = exit_code == -signal.SIGKILL
    base = main.result if main else TrainingResult(status="failed")
    return base.model_copy(
        update={
            "status": "failed",
            "error": message,
            "diagnosis": Diagnosis(
                kind="out_of_memory" if killed else "error",
                evidence=message,
                advice=KILLED_ADVICE if killed else "read the worker's log lines in the run's log",
            ),
        }
    )


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "ended"
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"
