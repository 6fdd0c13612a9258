"""Training data: column mapping, clear errors for missing columns and unknown data sets,
and weighted mixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kintern.api.data import DatasetRef
from kintern_trainer.data import load_training_data
from kintern_trainer.errors import DataError, SpecError


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.fixture
def qa_file(tmp_path: Path) -> str:
    rows = [{"question": f"q{i}", "answer": f"a{i}", "source": "x"} for i in range(10)]
    return write_jsonl(tmp_path / "qa.jsonl", rows)


def test_columns_are_mapped_to_the_recipe_names(qa_file: str) -> None:
    ref = DatasetRef(name=qa_file, columns={"prompt": "question", "completion": "answer"})
    data = load_training_data([ref], "sft", seed=0)
    assert data.columns == ("prompt", "completion")
    assert data.dataset[0] == {"prompt": "q0", "completion": "a0"}


def test_a_missing_column_is_named_with_the_fix(qa_file: str) -> None:
    ref = DatasetRef(name=qa_file, columns={"prompt": "question"})
    with pytest.raises(DataError) as caught:
        load_training_data([ref], "dpo", seed=0)
    message = str(caught.value)
    assert "no column 'chosen'" in message and "dpo" in message
    assert "has: prompt, answer, source" in message
    assert "spec.datasets[0].columns" in message


def test_a_mapping_to_an_absent_column_is_named(qa_file: str) -> None:
    ref = DatasetRef(name=qa_file, columns={"prompt": "instruction"})
    with pytest.raises(DataError, match="'instruction', but the data set has no such column"):
        load_training_data([ref], "sft", seed=0)


def test_unknown_hub_dataset_gives_a_clear_error() -> None:
    with pytest.raises(DataError, match="could not load data set 'kintern-tests/no-such-set'"):
        load_training_data([DatasetRef(name="kintern-tests/no-such-set")], "sft", seed=0)


def test_missing_local_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_training_data([DatasetRef(name=str(tmp_path / "nope.parquet"))], "sft", seed=0)


def test_eval_is_not_a_training_recipe(qa_file: str) -> None:
    with pytest.raises(SpecError, match="does not train"):
        load_training_data([DatasetRef(name=qa_file)], "eval", seed=0)


def test_weighted_mixture_follows_the_weights(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": f"a{i}"} for i in range(30)])
    b = write_jsonl(tmp_path / "b.jsonl", [{"text": f"b{i}"} for i in range(10)])
    data = load_training_data(
        [DatasetRef(name=a, weight=1), DatasetRef(name=b, weight=3)], "sft", seed=0
    )
    texts = data.dataset["text"]
    assert len(texts) == 40
    assert sum(t.startswith("b") for t in texts) == 30, "b is upsampled to 3/4 of the mix"
    assert [s["used"] for s in data.sources] == [10, 30]
    assert texts[:5] != sorted(texts[:5]) or texts != sorted(texts), "the mix is shuffled"


def test_limit_and_parquet(tmp_path: Path) -> None:
    from datasets import Dataset

    path = tmp_path / "rows.parquet"
    Dataset.from_list([{"prompt": f"p{i}", "completion": "c"} for i in range(8)]).to_parquet(path)
    data = load_training_data([DatasetRef(name=str(path), limit=5)], "sft", seed=0)
    assert len(data.dataset) == 5


def test_grpo_keeps_every_column_for_the_rewards(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", [{"prompt": "p", "answer": "B", "level": 2}])
    data = load_training_data([DatasetRef(name=path)], "grpo", seed=0, extra_required=("answer",))
    assert set(data.columns) == {"prompt", "answer", "level"}
    bare = write_jsonl(tmp_path / "bare.jsonl", [{"prompt": "p"}])
    with pytest.raises(DataError, match="no column 'answer' for the grpo recipe"):
        load_training_data([DatasetRef(name=bare)], "grpo", seed=0, extra_required=("answer",))
