"""The entry point's contract: exit codes, requests it cannot read, and SIGTERM (the Job's
deadline) still leaving a failed result with a diagnosis."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kintern.api.result import TrainingResult
from kintern_trainer.cli import train_main
from tests.trainer.builders import RequestBuilder


def test_no_request_at_all_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KINTERN_RUN_REQUEST", raising=False)
    assert train_main(None) == 2


def test_unparseable_request_reports_to_its_result_path(tmp_path: Path) -> None:
    result_path = tmp_path / "result.json"
    request = tmp_path / "request.yaml"
    request.write_text(f"resultPath: {result_path}\nrunName: x\n")
    assert train_main(request) == 2
    result = TrainingResult.from_termination_message(result_path.read_text())
    assert result.status == "failed" and "invalid run request" in (result.error or "")
    assert "campaign" in (result.error or ""), "the error names the missing fields"


@pytest.mark.slow
def test_sigterm_mid_training_leaves_a_failed_result(request_builder: RequestBuilder) -> None:
    request_builder.hyper(maxSteps=100000, learningRate=1e-4)
    command = [sys.executable, "-m", "kintern_trainer.cli", str(request_builder.write())]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        seen: list[str] = []
        for line in proc.stdout:  # the kill point: the first training step's loss is logged
            seen.append(line)
            if "'loss'" in line:
                break
        else:
            pytest.fail("the trainer ended before logging a training step:\n" + "".join(seen[-20:]))
        assert proc.poll() is None, "the trainer must still be training when it is killed"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
    assert proc.returncode == 1
    result = TrainingResult.from_termination_message(request_builder.result_path.read_text())
    assert result.status == "failed" and "SIGTERM" in (result.error or "")
    assert result.diagnosis.kind == "error" and "deadline" in result.diagnosis.evidence
