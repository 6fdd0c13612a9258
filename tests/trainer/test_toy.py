"""The toy model and task that the tests, the benchmark and the quickstart share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kintern_trainer.toy import CATEGORIES, ToyTask, generate_mc_task


def test_tiny_model_is_tiny_and_loads_as_a_normal_hf_model(tiny_model: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    assert 50_000 < model.num_parameters() < 1_000_000
    assert tokenizer.pad_token and tokenizer.eos_token
    assert len(tokenizer(" apple", add_special_tokens=False)["input_ids"]) == 1
    assert tokenizer.decode(tokenizer("Ünïcode ok?")["input_ids"]) == "Ünïcode ok?"


def test_task_rows_are_well_formed(toy_task: ToyTask) -> None:
    train = [json.loads(line) for line in toy_task.train.read_text().splitlines()]
    held_out = [json.loads(line) for line in toy_task.eval.read_text().splitlines()]
    assert (len(train), len(held_out)) == (4000, 200)
    members = {word: cat for cat, words in CATEGORIES.items() for word in words}
    for row in train[:50] + held_out[:50]:
        right = row["choices"][row["answer"]]
        assert row["question"].endswith(f"{members[right]}?")
        assert sum(members[c] == members[right] for c in row["choices"]) == 1
    assert {r["question"] for r in train}.isdisjoint(r["question"] for r in held_out)
    assert train[0]["completion"] == " " + train[0]["choices"][train[0]["answer"]]


def test_task_is_reproducible_and_bounded(tmp_path: Path, toy_task: ToyTask) -> None:
    again = generate_mc_task(tmp_path, seed=0)
    assert again.train.read_text() == toy_task.train.read_text()
    with pytest.raises(ValueError, match="distinct questions"):
        generate_mc_task(tmp_path, n_train=7000, n_eval=200)
