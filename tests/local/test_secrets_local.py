"""Local mode with an API key and an HF token in the environment, as a researcher's shell
has them: the real trainer runs (an evaluation that succeeds and a training run that
fails), the agent's trace and memory, the report, the runs' results and logs and the
command's own output hold neither secret anywhere, in any file of the campaign directory.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kintern.local import quickstart

pytestmark = pytest.mark.slow
PLANTED = {
    "ANTHROPIC_API_KEY": f"sk-ant-api03-{secrets.token_urlsafe(32)}",
    "HF_TOKEN": f"hf_{secrets.token_hex(17)}",
}
SCRIPT = [
    {"call": "create_training_run", "arguments": {"recipe": "eval", "rationale": "Baseline."}},
    {
        "call": "create_training_run",
        "arguments": {
            "recipe": "sft",
            "rationale": "Train on data that is not there.",
            "datasets": [{"name": ".kintern/quickstart/data/missing.jsonl"}],
        },
    },
    {"call": "wait_for_runs", "arguments": {"timeout_minutes": 10}},
    {"call": "get_run", "arguments": {"name": "secrets-r002"}},
    {"call": "finish", "arguments": {"summary": "Baseline measured; the SFT data was missing."}},
]


def _campaign(tmp_path: Path) -> Path:
    (tmp_path / "script.yaml").write_text(yaml.safe_dump(SCRIPT))
    spec = {
        "goal": "Measure the tiny model.",
        "baseModel": str(quickstart.MODEL_DIR),
        "objective": {
            "benchmark": "toy-categories",
            "eval": {"dataset": str(quickstart.DATA_DIR / "eval.jsonl"), "type": "loglikelihood"},
        },
        "agent": {"model": "scripted/script.yaml", "maxIterations": 10},
        "budget": {"gpuHours": 1, "maxConcurrentRuns": 1, "maxRuns": 3},
        "approvals": {"mode": "Auto"},
        "output": {"hubRepo": "my-org/tiny", "hubTokenSecret": "hf-token"},
    }
    doc = {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "PostTrainingCampaign",
        "metadata": {"name": "secrets"},
        "spec": spec,
    }
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_local_mode_keeps_secrets_out_of_everything_it_writes(tmp_path: Path) -> None:
    quickstart.prepare(tmp_path)
    campaign = _campaign(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "kintern", "run", campaign.name, "--dir", "state", "--yes"],
        cwd=tmp_path,
        env={**os.environ, **PLANTED, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        timeout=600,
        check=False,
    )
    state = tmp_path / "state"
    status = json.loads((state / "status.json").read_text())
    # Only the baseline succeeded, so the campaign ends Failed and `kintern run` exits 1.
    assert (status["phase"], done.returncode) == ("Failed", 1), done.stdout[-3000:]
    runs = {p.name for p in (state / "runs").iterdir()}
    assert runs == {"secrets-r001", "secrets-r002"}
    assert (state / "runs" / "secrets-r001" / "result.json").exists()  # the trainer's result
    assert b"missing.jsonl" in (state / "runs" / "secrets-r002" / "run.json").read_bytes()
    written = {"stdout": done.stdout, "stderr": done.stderr}
    written |= {str(p.relative_to(state)): p.read_bytes() for p in state.rglob("*") if p.is_file()}
    assert len(written) > 10  # status, runs, results, logs, trace, memory, report, trackio
    for where, content in written.items():
        for name, value in PLANTED.items():
            assert value.encode() not in content, f"{name} leaked into {where}"
