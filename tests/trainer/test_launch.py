"""How the launcher turns its workers' results into the run's one result (no processes).

The real launch is tested in test_multiprocess.py; these are the cases it cannot stage on a
CPU, such as a worker killed by the kernel before it could write anything.
"""

from __future__ import annotations

import signal

import pytest

from kintern.api.result import Diagnosis, Score, TrainingResult
from kintern_trainer.launch import WorkerResult, combine

SCORED = TrainingResult(
    status="succeeded", score=Score(value=0.7, ci_low=0.6, ci_high=0.8, n=100), checkpoint="/c"
)


def failed(message: str, kind: str = "error") -> TrainingResult:
    return TrainingResult(
        status="failed", error=message, diagnosis=Diagnosis(kind=kind, evidence=message)
    )


def test_every_worker_succeeded_gives_worker_0s_result() -> None:
    other = SCORED.model_copy(update={"checkpoint": None})
    workers = [WorkerResult(1, other, 10.0), WorkerResult(0, SCORED, 11.0)]
    assert combine(workers, {}, 2) == SCORED


def test_the_first_failure_is_the_cause_whatever_its_rank() -> None:
    workers = [
        WorkerResult(0, failed("Connection closed by peer"), 20.0),
        WorkerResult(2, failed("terminated by SIGTERM"), 21.0),
        WorkerResult(1, failed("CUDA out of memory", "out_of_memory"), 19.5),
    ]
    result = combine(workers, {1: 1, 0: 1, 2: -15}, 3)
    assert result.error == "worker 1 of 3: CUDA out of memory"
    assert result.diagnosis.kind == "out_of_memory"
    assert result.diagnosis.evidence == "worker 1 of 3: CUDA out of memory"


@pytest.mark.parametrize(
    ("exit_code", "kind", "words"),
    [
        (-signal.SIGKILL, "out_of_memory", "was killed by SIGKILL"),
        (3, "error", "exited with code 3"),
        (None, "error", "ended"),
    ],
    ids=["killed-by-the-oom-killer", "exited", "unknown"],
)
def test_a_worker_that_left_no_result_is_the_cause(exit_code, kind, words) -> None:
    workers = [WorkerResult(0, failed("Connection closed by peer"), 5.0)]
    codes = {} if exit_code is None else {1: exit_code}
    result = combine(workers, codes, 2)
    assert result.status == "failed" and result.diagnosis.kind == kind
    assert result.error == f"worker 1 of 2 {words} before writing a result"


def test_no_worker_wrote_anything() -> None:
    result = combine([], {0: -signal.SIGKILL, 1: -signal.SIGKILL}, 2)
    assert result.status == "failed"
    assert result.error == "worker 0 of 2 was killed by SIGKILL before writing a result"
