"""`kintern run` publishes the campaign's best model when it ends, as the operator does.

A scripted agent proposes one short SFT run and finishes; the campaign ends with that run as
its best, proposes the publish run, the policy approves it (allowPublish), and the real
trainer pushes the checkpoint and its model card to a local Hub server. `kintern run` ends
only once the publish run has finished.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kintern.local import quickstart
from tests.trainer.fake_hub import FakeHub

pytestmark = pytest.mark.slow
REPO = "my-org/tiny-local"
SCRIPT = [
    {
        "call": "create_training_run",
        "arguments": {
            "recipe": "sft",
            "rationale": "A short SFT run.",
            "datasets": [{"name": str(quickstart.DATA_DIR / "train.jsonl")}],
            "hyperparameters": {"maxSteps": 5, "learningRate": 1e-3},
        },
    },
    {"call": "wait_for_runs", "arguments": {"timeout_minutes": 10}},
    {"call": "finish", "arguments": {"summary": "One SFT run."}},
]


def _campaign(tmp_path: Path) -> Path:
    (tmp_path / "script.yaml").write_text(yaml.safe_dump(SCRIPT))
    spec = {
        "goal": "Improve the tiny model and publish it.",
        "baseModel": str(quickstart.MODEL_DIR),
        "objective": {
            "benchmark": "toy-categories",
            "eval": {
                "dataset": str(quickstart.DATA_DIR / "eval.jsonl"),
                "type": "loglikelihood",
                "limit": 50,
            },
        },
        "agent": {"model": "scripted/script.yaml", "maxIterations": 10},
        "budget": {"gpuHours": 1, "maxConcurrentRuns": 1, "maxRuns": 3},
        "approvals": {"mode": "Auto", "policy": {"allowPublish": True}},
        "output": {"hubRepo": REPO, "hubTokenSecret": "hf-token"},
    }
    doc = {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "PostTrainingCampaign",
        "metadata": {"name": "pub"},
        "spec": spec,
    }
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_kintern_run_publishes_the_best_model_when_the_campaign_ends(tmp_path: Path) -> None:
    quickstart.prepare(tmp_path)
    campaign = _campaign(tmp_path)
    with FakeHub() as hub:
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "0",
            "HF_ENDPOINT": hub.endpoint,
            "HF_TOKEN": "hf_local_publish_test",
            "NO_PROXY": "127.0.0.1",
        }
        done = subprocess.run(
            [sys.executable, "-m", "kintern", "run", campaign.name, "--dir", "state", "--yes"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    state = tmp_path / "state"
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status = json.loads((state / "status.json").read_text())
    best = status["best"]["run"]
    assert status["phase"] == "Succeeded" and best == "pub-r001"
    publish = json.loads((state / "runs" / "pub-publish" / "run.json").read_text())
    assert publish["spec"]["model"] == f"run:{best}"
    assert publish["status"]["phase"] == "Succeeded", publish["status"]
    result = json.loads((state / "runs" / "pub-publish" / "result.json").read_text())
    checkpoint = json.loads((state / "runs" / best / "result.json").read_text())["checkpoint"]
    local = tmp_path / checkpoint  # local mode's paths are relative to where it runs
    assert result["checkpoint"] == checkpoint and (local / "config.json").is_file()
    assert result["hubUrl"] == f"{hub.endpoint}/{REPO}"
    files = hub.repos[REPO].files
    assert files["config.json"] == (local / "config.json").read_bytes()
    assert f"run `{best}`: `sft`" in files["README.md"].decode()
