"""Local mode end to end: the quickstart improves a tiny model for real, and a campaign
killed in the middle of a run resumes without redoing finished runs."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kintern.local import quickstart
from tests.support.wait import eventually

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _kintern(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kintern", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _status(campaign_dir: Path) -> dict:
    return json.loads((campaign_dir / "status.json").read_text())


def _run(campaign_dir: Path, name: str) -> dict:
    return json.loads((campaign_dir / "runs" / name / "run.json").read_text())


def test_quickstart_improves_the_tiny_model_by_a_real_margin(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    shutil.copy(REPO / "examples" / "quickstart.yaml", tmp_path / "examples")
    done = _kintern("quickstart", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    campaign_dir = tmp_path / quickstart.CAMPAIGN_DIR
    status = _status(campaign_dir)
    baseline = _run(campaign_dir, status["baseline"]["run"])["status"]["result"]["score"]
    best = _run(campaign_dir, status["best"]["run"])["status"]["result"]["score"]
    assert baseline["n"] == best["n"] == 200
    assert best["value"] - baseline["value"] >= 0.25
    assert best["ciLow"] > baseline["ciHigh"], "the improvement must not be noise"
    report = (campaign_dir / "report.md").read_text()
    assert f"best: {status['best']['score']}" in report
    assert "started from the base model `.kintern/quickstart/model`" in report
    # The target ends the campaign while the sweep plans: it says so (or, had it seen the
    # best run finish just before the campaign ended, gives its own summary).
    summary = next(line for line in report.splitlines() if line.startswith("- agent summary:"))
    assert summary.startswith(
        ("- agent summary: builtin/sweep stopped: the campaign ended (target 0.95 reached",
         "- agent summary: baseline 0.2300; best")
    ), summary  # fmt: skip
    assert (campaign_dir / "report.png").stat().st_size > 10_000


def test_killed_campaign_resumes_without_redoing_finished_runs(tmp_path: Path) -> None:
    quickstart.prepare(tmp_path)
    spec = yaml.safe_load((REPO / "examples" / "quickstart.yaml").read_text())
    spec["metadata"]["name"] = "resume"
    spec["spec"]["agent"]["sweep"] = {"learningRates": [0.0003], "epochs": [1, 2]}
    spec["spec"]["approvals"]["mode"] = "Auto"
    del spec["spec"]["objective"]["target"]  # so that the sweep runs to its final evaluation
    (tmp_path / "resume.yaml").write_text(yaml.safe_dump(spec))
    campaign_dir = tmp_path / "state"
    argv = [sys.executable, "-m", "kintern", "run", "resume.yaml", "--dir", "state", "--yes"]
    first = subprocess.Popen(
        argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    lr1 = campaign_dir / "runs" / "resume-lr1"

    def mid_training() -> bool:
        """resume-lr1 runs, its trainer has logged a training step, and it has no result."""
        try:
            running = _run(campaign_dir, "resume-lr1")["status"]["phase"] == "Running"
            stepped = "'loss'" in (lr1 / "train.log").read_text(errors="replace")
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            return False
        return running and stepped and not (lr1 / "result.json").exists()

    eventually(mid_training, "the first SFT run to log a training step", timeout=300)
    first.send_signal(signal.SIGKILL)  # no cleanup at all: the trainer child is orphaned
    first.wait()
    baseline_result = campaign_dir / "runs" / "resume-baseline" / "result.json"
    finished_at = baseline_result.stat().st_mtime
    assert _run(campaign_dir, "resume-baseline")["status"]["phase"] == "Succeeded"

    done = _kintern("run", "resume.yaml", "--dir", "state", "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert baseline_result.stat().st_mtime == finished_at, "a finished run was redone"
    names = {p.name for p in (campaign_dir / "runs").iterdir()}
    assert {"resume-baseline", "resume-lr1", "resume-final"} <= names
    assert names <= {"resume-baseline", "resume-lr1", "resume-lr1-ep2", "resume-final"}
    launches = (campaign_dir / "trace" / "events.log").read_text()
    assert launches.count("resume-baseline JobCreated") == 1
    assert all(_run(campaign_dir, n)["status"]["phase"] == "Succeeded" for n in names)
    assert not (campaign_dir / "runs" / "resume-lr1" / "pid").exists()
    assert _status(campaign_dir)["phase"] == "Succeeded"
    assert os.path.exists(campaign_dir / "report.md")
