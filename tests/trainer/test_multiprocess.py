"""Two worker processes on the CPU (gloo), through the launcher a multi-GPU Job uses.

`kintern train --processes 2` trains the toy task with DDP: the loss must match one
process at the same global batch, one result is written for the run (by the launcher),
one record (by worker 0), and a crash in worker 1 fails the run with worker 1's diagnosis,
not with the consequences the other worker saw. SIGTERM to the launcher (the Job's deadline)
stops the workers and still leaves one failed result.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kintern.api.result import TrainingResult
from kintern_trainer.record import RECORD_FILENAME
from tests.trainer.builders import RequestBuilder

pytestmark = pytest.mark.slow
STEPS = 40
GLOBAL_BATCH = 16


def train(builder: RequestBuilder, processes: int) -> tuple[int, TrainingResult]:
    from kintern_trainer.cli import train_main

    code = train_main(builder.write(), processes)
    return code, TrainingResult.from_termination_message(builder.result_path.read_text())


def sft(root: Path, tiny_model: Path, toy_task, processes: int) -> RequestBuilder:
    builder = RequestBuilder(root, tiny_model, toy_task).set(runName=f"sft-{processes}p")
    builder.hyper(maxSteps=STEPS, batchSize=GLOBAL_BATCH // processes, learningRate=1e-3)
    return builder.eval(limit=100)


@pytest.fixture(scope="module")
def one_and_two(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, toy_task):
    one = sft(tmp_path_factory.mktemp("one"), tiny_model, toy_task, processes=1)
    two = sft(tmp_path_factory.mktemp("two"), tiny_model, toy_task, processes=2)
    return train(one, 1), train(two, 2), two


def test_two_workers_train_to_the_loss_of_one_process(one_and_two) -> None:
    (code_one, one), (code_two, two), _ = one_and_two
    assert (code_one, code_two) == (0, 0), two.error
    assert one.status == two.status == "succeeded"
    mean_one, mean_two = one.metrics["train_loss"], two.metrics["train_loss"]
    assert mean_two == pytest.approx(mean_one, rel=1e-3)  # the same 16 rows per step
    final_one, final_two = one.metrics["final_loss"], two.metrics["final_loss"]
    assert final_two == pytest.approx(final_one, rel=1e-3)
    assert one.score is not None and two.score is not None and two.score.n == 100
    assert two.score.ci_low <= one.score.value <= two.score.ci_high


def test_two_workers_leave_one_result_and_one_record(one_and_two) -> None:
    _, (_, result), builder = one_and_two
    root = builder.root
    assert sorted(p.name for p in root.iterdir()) == ["out", "request.yaml", "result.json"]
    records = list(builder.output_dir.rglob(RECORD_FILENAME))
    assert records == [builder.output_dir / RECORD_FILENAME]
    record = json.loads(records[0].read_text())
    assert record["result"] == result.to_dict()
    assert set(record["workers"]) == {"0", "1"}
    assert {w["status"] for w in record["workers"].values()} == {"succeeded"}
    assert result.checkpoint and (Path(result.checkpoint) / "config.json").is_file()


def test_a_crash_in_worker_1_fails_the_run_with_worker_1s_diagnosis(
    request_builder: RequestBuilder, toy_task
) -> None:
    request_builder.recipe("grpo").datasets(
        {"name": str(toy_task.train), "columns": {"answer": "completion"}, "limit": 16}
    )
    request_builder.hyper(
        maxSteps=2,
        batchSize=4,
        numGenerations=4,
        maxCompletionLength=4,
        rewards=["tests.trainer.failing_reward:fails_in_worker_1"],
    )
    code, result = train(request_builder, processes=2)
    assert code == 1 and result.status == "failed"
    assert result.error and result.error.startswith("worker 1 of 2: training failed: RuntimeError")
    assert result.diagnosis.kind == "error"
    assert "worker 1 of 2" in result.diagnosis.evidence
    assert "reward service is unreachable from worker 1" in result.diagnosis.evidence
    root = request_builder.root
    assert sorted(p.name for p in root.iterdir()) == ["out", "request.yaml", "result.json"]
    record = json.loads((request_builder.output_dir / RECORD_FILENAME).read_text())
    assert record["result"]["error"] == result.error
    assert "unreachable" in record["workers"]["1"]["error"]


def test_sigterm_to_the_launcher_stops_the_workers_and_leaves_one_failed_result(
    request_builder: RequestBuilder,
) -> None:
    request_builder.hyper(maxSteps=100000, learningRate=1e-4, batchSize=8)
    command = [sys.executable, "-m", "kintern", "train", "--request"]
    command += [str(request_builder.write()), "--processes", "2"]  # as the Job runs it
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        for line in proc.stdout:  # the workers are training once a step's loss is logged
            if "'loss'" in line or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGTERM)  # what the kubelet sends at the Job's deadline
        proc.communicate(timeout=120)
    assert proc.returncode == 1
    result = TrainingResult.from_termination_message(request_builder.result_path.read_text())
    assert result.status == "failed" and "SIGTERM" in (result.error or "")
    assert result.error and result.error.startswith("worker ")
    root = request_builder.root
    assert sorted(p.name for p in root.iterdir()) == ["out", "request.yaml", "result.json"]
