"""The publish recipe pushes a checkpoint and its model card to a local Hub server.

Two short SFT runs make a lineage (the second starts from the first's checkpoint, as
run:NAME resolves); the publish run, started as the Job starts it (`python -m
kintern_trainer.cli` with HF_ENDPOINT and HF_TOKEN), uploads the second's checkpoint. The
approval gate in front of it is tested in tests/unit/test_publish_plan.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kintern.api.result import TrainingResult
from kintern_trainer.record import RECORD_FILENAME
from tests.trainer.builders import RequestBuilder, run_train
from tests.trainer.fake_hub import FakeHub

pytestmark = pytest.mark.slow
REPO = "my-org/tiny-toy"
TOKEN = "hf_test_publish_token_not_a_secret_elsewhere"


@pytest.fixture(scope="module")
def lineage(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, toy_task):
    """(first run, second run started from the first's checkpoint)."""
    first = RequestBuilder(tmp_path_factory.mktemp("r1"), tiny_model, toy_task)
    first.set(runName="r1").hyper(maxSteps=10, learningRate=1e-3).eval(limit=50)
    _, one = run_train(first)
    second = RequestBuilder(tmp_path_factory.mktemp("r2"), Path(one.checkpoint or ""), toy_task)
    second.set(runName="r2").hyper(maxSteps=10, learningRate=5e-4, seed=7).eval(limit=50)
    _, two = run_train(second)
    assert one.status == two.status == "succeeded"
    return one, two


def publish(root: Path, checkpoint: str, toy_task, env: dict[str, str]) -> tuple[int, str]:
    builder = RequestBuilder(root, Path(checkpoint), toy_task).recipe("publish").datasets()
    builder.set(runName="demo-publish", hubRepo=REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "kintern_trainer.cli", str(builder.write())],
        env={**os.environ, "HF_HUB_OFFLINE": "0", "NO_PROXY": "127.0.0.1", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_the_best_checkpoint_goes_to_the_hub_with_its_model_card(
    tmp_path: Path, lineage, toy_task, tiny_model: Path
) -> None:
    one, two = lineage
    checkpoint = Path(two.checkpoint or "")
    with FakeHub() as hub:
        code, logs = publish(tmp_path, str(checkpoint), toy_task, _hub_env(hub))
    assert code == 0, logs
    result = TrainingResult.from_termination_message((tmp_path / "result.json").read_text())
    assert result.status == "succeeded"
    assert result.checkpoint == str(checkpoint), "the local path stays usable for run: refs"
    assert result.hub_url == f"{hub.endpoint}/{REPO}"
    repo = hub.repos[REPO]
    assert repo.private and len(repo.commits) == 1
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        assert repo.files[name] == (checkpoint / name).read_bytes(), name
    uploads = [(path, auth) for method, path, auth in hub.requests if method == "POST"]
    assert [path for path, _ in uploads] == [
        "/api/repos/create",
        "/api/validate-yaml",  # the card's metadata
        f"/api/models/{REPO}/preupload/main",
        f"/api/models/{REPO}/commit/main",
    ]
    assert {auth for _, auth in uploads} == {f"Bearer {TOKEN}"}
    card = repo.files["README.md"].decode()
    _check_card(card, one, two, tiny_model, toy_task)
    record = (tmp_path / "out" / RECORD_FILENAME).read_text()
    assert json.loads(record)["modelCard"] == card
    for text in (logs, record, (tmp_path / "result.json").read_text()):
        assert TOKEN not in text, "the token must never be logged or recorded"


def _check_card(card: str, one: TrainingResult, two: TrainingResult, base: Path, task) -> None:
    assert card.startswith(f"---\nbase_model: {base}\n")
    score = two.score
    assert score is not None and score.n == 50
    assert f"| toy | {score.value:.4f} | {score.ci_low:.4f} to {score.ci_high:.4f} | 50 |" in card
    assert f"| {task.train} | train | 1.0 | 4000 |" in card  # data: name, split, weight, rows
    assert "| learningRate | 0.0005 |" in card and "| seed | 7 |" in card
    assert "4000 rows checked, 0 overlapping, 0 dropped" in card  # decontamination
    assert one.score is not None
    lineage = card[card.index("## Lineage") :]
    assert lineage.index("run `r2`: `sft`") < lineage.index(
        f"run `r1`: `sft`, score {one.score.value:.4f}"
    )
    assert lineage.rstrip().endswith(f"1. base model `{base}`")


def test_publishing_without_a_token_fails_before_any_upload(
    tmp_path: Path, lineage, toy_task
) -> None:
    _, two = lineage
    with FakeHub() as hub:
        env = {k: v for k, v in _hub_env(hub).items() if k != "HF_TOKEN"}
        os.environ.pop("HF_TOKEN", None)
        code, _ = publish(tmp_path, two.checkpoint or "", toy_task, env)
    assert code == 1 and hub.requests == []
    result = TrainingResult.from_termination_message((tmp_path / "result.json").read_text())
    assert result.error and "needs HF_TOKEN" in result.error
    assert result.hub_url is None


def _hub_env(hub: FakeHub) -> dict[str, str]:
    return {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": TOKEN}
