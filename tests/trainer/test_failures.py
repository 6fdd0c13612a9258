"""Runs that go wrong end to end: each is diagnosed in the result, with a failed result and
a non-zero exit where the run cannot be trusted, and bad specs give clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kintern_trainer.evaluation.prompts import cloze_continuation, cloze_prompt
from kintern_trainer.toy import ToyTask
from tests.trainer.builders import RequestBuilder, run_train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def poisoned_model(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    """The tiny model with one weight set to NaN: every loss it computes is NaN."""
    import torch
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("poisoned")
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    with torch.no_grad():
        model.model.norm.weight[0] = float("nan")
    model.save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_model / name, out / name)
    return out


def test_huge_learning_rate_is_diagnosed_as_divergence(request_builder: RequestBuilder) -> None:
    request_builder.hyper(learningRate=1.0, warmupRatio=0, maxSteps=40)
    code, result = run_train(request_builder)
    assert result.diagnosis.kind == "divergence", result.diagnosis
    assert "loss" in result.diagnosis.evidence and "learningRate" in result.diagnosis.advice
    assert code == 0 and result.status == "succeeded", "a diverged run still has a score"
    assert result.score is not None


def test_nan_loss_fails_the_run_early(
    request_builder: RequestBuilder, poisoned_model: Path
) -> None:
    request_builder.set(baseModel=str(poisoned_model)).hyper(maxSteps=50)
    code, result = run_train(request_builder)
    assert (code, result.status, result.diagnosis.kind) == (1, "failed", "nan_loss")
    assert "step 1" in result.diagnosis.evidence and "nan" in result.diagnosis.evidence
    assert result.checkpoint is None and result.score is None
    assert result.error and "nan_loss" in result.error
    record = json.loads((request_builder.output_dir / "kintern-record.json").read_text())
    assert len([e for e in record["history"] if "loss" in e]) == 1, "training stopped at once"


def test_constant_reward_is_diagnosed_as_reward_collapse(
    request_builder: RequestBuilder, toy_task: ToyTask
) -> None:
    request_builder.recipe("grpo").datasets({"name": str(toy_task.train), "limit": 8})
    request_builder.hyper(
        maxSteps=3,
        batchSize=4,
        numGenerations=4,
        maxCompletionLength=4,
        rewards=["tests.trainer.test_rewards:constant_reward"],
    )
    code, result = run_train(request_builder)
    assert result.diagnosis.kind == "reward_collapse", result.diagnosis
    assert "frac_reward_zero_std 1" in result.diagnosis.evidence
    assert code == 0


def contaminated_file(task: ToyTask, path: Path, planted: int) -> Path:
    """The toy training rows plus `planted` held-out questions with their answers."""
    held_out = [json.loads(line) for line in task.eval.read_text().splitlines()[:planted]]
    leaked = [
        {
            "prompt": cloze_prompt(r["question"]),
            "completion": cloze_continuation(r["choices"][r["answer"]]),
        }
        for r in held_out
    ]
    clean = [
        {"prompt": r["prompt"], "completion": r["completion"]}
        for r in map(json.loads, task.train.read_text().splitlines()[:40])
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in clean + leaked))
    return path


def test_contaminated_data_fails_in_fail_mode(
    request_builder: RequestBuilder, toy_task: ToyTask, tmp_path: Path
) -> None:
    data = contaminated_file(toy_task, tmp_path / "leaky.jsonl", planted=5)
    request_builder.datasets({"name": str(data)}).spec(decontamination={"mode": "fail"})
    code, result = run_train(request_builder)
    assert (code, result.status, result.diagnosis.kind) == (1, "failed", "contamination")
    assert result.decontamination and result.decontamination.overlapping_rows == 5
    assert "5 of 45 training rows" in (result.error or "")
    assert result.score is None, "a contaminated run never reports a score"


def test_contaminated_rows_are_dropped_in_drop_mode(
    request_builder: RequestBuilder, toy_task: ToyTask, tmp_path: Path
) -> None:
    data = contaminated_file(toy_task, tmp_path / "leaky.jsonl", planted=5)
    request_builder.datasets({"name": str(data)}).hyper(maxSteps=2)
    code, result = run_train(request_builder)
    assert code == 0 and result.decontamination is not None
    assert (result.decontamination.mode, result.decontamination.dropped_rows) == ("drop", 5)
    record = json.loads((request_builder.output_dir / "kintern-record.json").read_text())
    assert len(record["decontamination"]["examples"]) == 5


CUSTOM_SCRIPT = (
    "import json, os, shutil\n"
    "shutil.copytree(os.environ['KINTERN_MODEL'], os.environ['KINTERN_CHECKPOINT_DIR'])\n"
    "with open(os.environ['KINTERN_RESULT_FILE'], 'w') as f:\n"
    "    json.dump({'metrics': {'custom_metric': 1.5}, 'history': [{'loss': 2.0}]}, f)\n"
)


@pytest.mark.parametrize("source", ["path", "inline"])
def test_custom_script_follows_the_result_protocol(
    request_builder: RequestBuilder, tmp_path: Path, source: str
) -> None:
    script = tmp_path / "train.py"
    script.write_text(CUSTOM_SCRIPT)
    given = {"path": str(script)} if source == "path" else {"inline": CUSTOM_SCRIPT}
    request_builder.recipe("custom").spec(script=given).eval(limit=20)
    code, result = run_train(request_builder)
    assert code == 0, result.error
    assert result.metrics["custom_metric"] == 1.5
    assert result.score is not None and result.score.n == 20


def test_failing_custom_script_reports_its_output(
    request_builder: RequestBuilder, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text("print('loading data')\nraise SystemExit('boom: no GPU found')\n")
    request_builder.recipe("custom").spec(script={"path": str(script)})
    code, result = run_train(request_builder)
    assert (code, result.status) == (1, "failed")
    assert "exited with code 1" in (result.error or "") and "boom: no GPU found" in (
        result.error or ""
    )


BAD_SPECS = [
    ("unknown recipe", lambda b: b.recipe("ppo"), 2, "recipe"),
    (
        "missing column",
        lambda b: b.recipe("dpo").datasets({"name": b.data["eval"]["dataset"]}),
        1,
        "has no column 'prompt' for the dpo recipe",
    ),
    (
        "unknown dataset",
        lambda b: b.datasets({"name": "kintern-tests/no-such-set"}),
        1,
        "could not load data set 'kintern-tests/no-such-set'",
    ),
    (
        "unknown benchmark",
        lambda b: b.set(eval=None, benchmark="mmlu"),
        1,
        "unknown benchmark 'mmlu'",
    ),
    ("missing model", lambda b: b.set(baseModel="/nonexistent/model"), 1, "cannot load model"),
    ("publish without repo", lambda b: b.spec(pushToHub=True), 1, "no output.hubRepo"),
    (
        "publish without token",
        lambda b: b.spec(pushToHub=True).set(hubRepo="org/model"),
        1,
        "needs HF_TOKEN",
    ),
    ("unresolved run reference", lambda b: b.set(baseModel="run:r001"), 1, "names another run"),
    (
        "grpo groups",
        lambda b: b.recipe("grpo").hyper(batchSize=6, numGenerations=4),
        1,
        "multiple of",
    ),
]


@pytest.mark.parametrize(
    ("change", "code", "message"), [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS]
)
def test_bad_specs_fail_with_clear_errors(
    request_builder: RequestBuilder, change, code, message
) -> None:
    change(request_builder)
    got_code, result = run_train(request_builder)
    assert (got_code, result.status) == (code, "failed")
    assert message in (result.error or ""), result.error
    assert result.diagnosis.kind == "error"


def test_out_of_memory_outside_training_is_diagnosed(
    request_builder: RequestBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from kintern_trainer import runner

    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(runner, "evaluate", out_of_memory)
    code, result = run_train(request_builder.recipe("eval"))
    assert (code, result.status, result.diagnosis.kind) == (1, "failed", "out_of_memory")
    assert "Tried to allocate" in result.diagnosis.evidence
    record = json.loads((request_builder.output_dir / "kintern-record.json").read_text())
    assert "OutOfMemoryError" in record["traceback"]


def test_publishing_a_model_that_is_no_local_checkpoint_fails_clearly(
    request_builder: RequestBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_not_used")
    request_builder.recipe("publish").datasets().set(hubRepo="org/model", baseModel="org/base")
    code, result = run_train(request_builder)
    assert (code, result.status) == (1, "failed")
    assert "publishes a local checkpoint" in (result.error or "")
    assert result.hub_url is None
