"""Every recipe end to end through the real entry point, on the tiny model and toy task.

The SFT test is the one that matters most: training must raise held-out accuracy far
above the untrained model's, with enough questions (200) that the gap is not noise. DPO
and GRPO are held to the same standard: what they optimise must rise on held-out
questions, with intervals that do not overlap.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kintern.api.result import Score, TrainingResult
from kintern.cli.main import app
from kintern_trainer.evaluation.stats import accuracy_score
from kintern_trainer.record import RECORD_FILENAME, SAMPLES_FILENAME
from kintern_trainer.toy import generate_category_task
from tests.trainer import preferences
from tests.trainer.builders import RequestBuilder, run_train

pytestmark = pytest.mark.slow
# What the quickstart's sweep tries at its highest learning rate; otherwise the defaults.
SFT_SETTINGS = {"learningRate": 1e-3, "epochs": 1, "batchSize": 8}
# DPO of the untrained model: 2,400 of the training pairs, a strong beta (the model starts
# with no preference at all, and a weak beta needs many more steps to move it).
DPO_SETTINGS = {"learningRate": 5e-3, "maxSteps": 150, "batchSize": 16, "beta": 1.0}
# GRPO on the category task (two categories): a short SFT teaches only the answer format
# (it names one category for every word, so half right), then GRPO with the accuracy reward
# learns which words belong where, from one sampled word per completion.
WARM_START = {"learningRate": 5e-3, "maxSteps": 20, "batchSize": 16}
GRPO_SETTINGS = {
    "learningRate": 3e-3,
    "maxSteps": 120,
    "batchSize": 32,
    "numGenerations": 8,
    "maxCompletionLength": 1,
    "rewards": ["accuracy"],
}
HELD_OUT = 300


@pytest.fixture(scope="module")
def baseline(
    tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, toy_task
) -> TrainingResult:
    """The untrained model's held-out score."""
    base = RequestBuilder(tmp_path_factory.mktemp("baseline"), tiny_model, toy_task).recipe("eval")
    code, result = run_train(base.set(runName="baseline"))
    assert code == 0
    return result


@pytest.fixture(scope="module")
def baseline_and_sft(
    tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, toy_task, baseline
) -> tuple[TrainingResult, TrainingResult, RequestBuilder]:
    sft = RequestBuilder(tmp_path_factory.mktemp("sft"), tiny_model, toy_task)
    sft.hyper(**SFT_SETTINGS).set(runName="sft-1", trackioProject="toy-tests")
    sft_code, trained = run_train(sft)
    assert sft_code == 0
    return baseline, trained, sft


def test_sft_raises_held_out_accuracy_far_above_the_base_model(baseline_and_sft) -> None:
    baseline, trained, _ = baseline_and_sft
    assert baseline.score is not None and trained.score is not None
    assert baseline.score.n == trained.score.n == 200
    assert baseline.score.value < 0.4, "the untrained model should be near chance (0.25)"
    assert trained.score.value >= 0.6
    assert trained.score.value - baseline.score.value >= 0.3
    assert trained.score.ci_low > baseline.score.ci_high, "the intervals must not overlap"


def test_sft_result_and_record(baseline_and_sft) -> None:
    _, trained, builder = baseline_and_sft
    assert trained.status == "succeeded" and trained.diagnosis.kind == "ok"
    assert trained.checkpoint and (Path(trained.checkpoint) / "config.json").is_file()
    assert trained.decontamination and trained.decontamination.checked_rows == 4000
    assert trained.decontamination.overlapping_rows == 0
    assert {"train_loss", "final_loss", "train_tokens_per_second", "eval_accuracy"} <= set(
        trained.metrics
    )
    assert trained.wall_seconds > 0 and trained.gpu_seconds == 0
    record = json.loads((builder.output_dir / RECORD_FILENAME).read_text())
    assert record["result"]["score"]["value"] == trained.score.value
    assert record["packages"]["trl"] and record["packages"]["transformers"]
    assert record["request"]["spec"]["hyperparameters"]["learningRate"] == 1e-3
    assert record["decontamination"]["summary"]["mode"] == "drop"
    assert record["data"]["sources"][0]["rows"] == 4000
    assert any("loss" in entry for entry in record["history"])
    samples = (builder.output_dir / SAMPLES_FILENAME).read_text().splitlines()
    assert len(samples) == 200 and {"answer", "predicted", "correct"} <= set(json.loads(samples[0]))


def test_sft_logs_to_trackio(baseline_and_sft, trackio_dir: Path) -> None:
    db = trackio_dir / "toy-tests.db"
    assert db.is_file(), f"no Trackio project database in {trackio_dir}"
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        dump = "\n".join(str(row) for t in tables for row in conn.execute(f"select * from {t}"))
    assert "sft-1" in dump and "final/eval_accuracy" in dump and "train/loss" in dump


def test_dpo_raises_preference_accuracy_and_reward_margins_on_held_out_pairs(
    tmp_path: Path, tiny_model: Path, toy_task, baseline: TrainingResult
) -> None:
    dpo = RequestBuilder(tmp_path, tiny_model, toy_task).recipe("dpo").hyper(**DPO_SETTINGS)
    code, result = run_train(dpo)
    assert code == 0 and result.status == "succeeded", result.error
    pairs = preferences.held_out_pairs(toy_task.eval)
    reference = preferences.log_likelihoods(str(tiny_model), pairs)
    policy = preferences.log_likelihoods(result.checkpoint or "", pairs)
    before = accuracy_score(preferences.prefers_chosen(reference), len(pairs))
    after = accuracy_score(preferences.prefers_chosen(policy), len(pairs))
    assert before.value < 0.6 and after.value >= 0.7, (before, after)
    assert after.ci_low > before.ci_high, "preference accuracy intervals must not overlap"
    margins = preferences.margins(policy, reference, DPO_SETTINGS["beta"])
    margin = preferences.mean_interval(margins)  # before training every margin is 0
    assert margin.value > 0.3 and margin.ci_low > 0, margin
    rewarded = accuracy_score(sum(m > 0 for m in margins), len(margins))
    assert rewarded.ci_low > 0.5, rewarded
    assert result.score is not None and baseline.score is not None
    assert result.score.ci_low > baseline.score.ci_high, "held-out accuracy must rise too"


def test_dpo_with_lora(request_builder: RequestBuilder) -> None:
    request_builder.recipe("dpo").hyper(lora=True, loraRank=4, maxSteps=6, batchSize=8)
    code, result = run_train(request_builder)
    assert code == 0 and result.status == "succeeded", result.error
    assert result.score is not None and result.score.n == 200
    assert "final_loss" in result.metrics
    config = json.loads((Path(result.checkpoint or "") / "config.json").read_text())
    assert config["model_type"] == "llama", "LoRA adapters are merged into a normal model"


def test_grpo_raises_mean_reward_over_steps_and_held_out_accuracy(
    tmp_path: Path, tiny_model: Path, toy_task
) -> None:
    task = generate_category_task(tmp_path / "task")
    for folder in ("warm", "grpo"):
        (tmp_path / folder).mkdir()
    warm = RequestBuilder(tmp_path / "warm", tiny_model, toy_task).eval(limit=20)
    warm.datasets({"name": str(task.train), "columns": {"completion": "answer"}})
    code, start = run_train(warm.hyper(**WARM_START).set(runName="warm-start"))
    assert code == 0 and start.checkpoint, start.error
    grpo = RequestBuilder(tmp_path / "grpo", Path(start.checkpoint), toy_task).recipe("grpo")
    grpo.datasets({"name": str(task.train)}).eval(limit=20).hyper(**GRPO_SETTINGS)
    code, result = run_train(grpo)
    assert code == 0 and result.status == "succeeded", result.error
    history = json.loads((grpo.output_dir / RECORD_FILENAME).read_text())["history"]
    rewards = [e["reward"] for e in history if "reward" in e]
    assert len(rewards) == GRPO_SETTINGS["maxSteps"]
    first, last = preferences.mean_interval(rewards[:20]), preferences.mean_interval(rewards[-20:])
    assert first.value < 0.5 and last.value >= 0.8, (first, last)
    assert last.ci_low > first.ci_high, "the mean reward of the last steps must be above the first"
    before, after = (held_out_accuracy(model, task.eval) for model in (start, result))
    assert before.value < 0.6 and after.value >= 0.8, (before, after)
    assert after.ci_low > before.ci_high, "held-out accuracy intervals must not overlap"


def held_out_accuracy(run: TrainingResult, eval_path: Path) -> Score:
    """Greedy one-word answers to the held-out category questions, scored as the accuracy
    reward scores them."""
    from kintern_trainer.evaluation.generate import generate
    from kintern_trainer.rewards import accuracy

    rows = [json.loads(line) for line in eval_path.read_text().splitlines()][:HELD_OUT]
    texts = generate(run.checkpoint or "", [r["prompt"] for r in rows], 1, "cpu")
    right = accuracy(texts, [r["answer"] for r in rows])
    return accuracy_score(int(sum(right)), len(rows))


def test_grpo(request_builder: RequestBuilder, toy_task) -> None:
    request_builder.recipe("grpo").datasets(
        {"name": str(toy_task.train), "columns": {"answer": "completion"}, "limit": 8}
    )
    request_builder.hyper(
        maxSteps=2, batchSize=4, numGenerations=4, maxCompletionLength=4, rewards=["accuracy"]
    )
    code, result = run_train(request_builder)
    assert code == 0 and result.status == "succeeded", result.error
    assert "final_reward" in result.metrics and "final_reward_std" in result.metrics
    assert result.score is not None


def test_generative_eval(request_builder: RequestBuilder) -> None:
    request_builder.recipe("eval").eval(type="generative", limit=8, maxNewTokens=6)
    code, result = run_train(request_builder)
    assert code == 0 and result.score is not None and result.score.n == 8
    assert result.decontamination is None and result.checkpoint == request_builder.data["baseModel"]
    samples = [json.loads(s) for s in (request_builder.output_dir / SAMPLES_FILENAME).open()]
    assert all("output" in s for s in samples)
    assert result.metrics["eval_unanswered"] == sum(s["predicted"] is None for s in samples)


def test_kintern_train_reads_the_request_from_the_environment(
    request_builder: RequestBuilder,
) -> None:
    request_builder.recipe("eval").eval(limit=20)
    env = {"KINTERN_RUN_REQUEST": yaml.safe_dump(request_builder.data)}
    outcome = CliRunner().invoke(app, ["train"], env=env)
    assert outcome.exit_code == 0, outcome.output
    result = TrainingResult.from_termination_message(request_builder.result_path.read_text())
    assert result.score is not None and result.score.n == 20


def test_sft_with_packing_and_gradient_checkpointing(request_builder: RequestBuilder) -> None:
    request_builder.hyper(packing=True, gradientCheckpointing=True, maxSteps=3, maxLength=64)
    code, result = run_train(request_builder)
    assert code == 0 and result.status == "succeeded", result.error
    assert result.metrics["train_tokens_per_second"] > 0
