"""Evaluation suites: loading questions in every accepted shape, shuffling, prompts, the
Wilson interval, and clear errors for unknown or unreachable suites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kintern.api.campaign import EvalSpec
from kintern_trainer.errors import EvalDataError
from kintern_trainer.evaluation.extract import extract_letter
from kintern_trainer.evaluation.prompts import cloze_prompt, generative_prompt
from kintern_trainer.evaluation.questions import (
    BUILTIN_SUITES,
    MCQuestion,
    load_questions,
    resolve_suite,
)
from kintern_trainer.evaluation.stats import accuracy_score, wilson_interval


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize(
    ("answer", "label"), [(2, "index"), ("C", "letter"), ("c", "lower letter"), ("gold", "text")]
)
def test_answer_given_as_index_letter_or_text(tmp_path: Path, answer: object, label: str) -> None:
    rows = [
        {
            "question": "Which is a metal?",
            "choices": ["tea", "red", "gold", "cat"],
            "answer": answer,
        }
    ]
    spec = EvalSpec(dataset=str(write_jsonl(tmp_path / "q.jsonl", rows)))
    (question,) = load_questions(spec)
    assert question.choices[question.answer] == "gold", label


def test_shuffle_is_fixed_by_the_seed(tmp_path: Path) -> None:
    rows = [{"question": f"q{i}", "choices": ["w", "x", "y", "z"], "answer": 0} for i in range(20)]
    path = str(write_jsonl(tmp_path / "q.jsonl", rows))
    first = load_questions(EvalSpec(dataset=path, shuffle_seed=7))
    again = load_questions(EvalSpec(dataset=path, shuffle_seed=7))
    other = load_questions(EvalSpec(dataset=path, shuffle_seed=8))
    assert first == again
    assert first != other
    assert all(q.choices[q.answer] == "w" for q in first + other)
    assert len({q.answer for q in first}) > 1, "the right answer must not always sit first"


def test_gpqa_shaped_rows(tmp_path: Path) -> None:
    row = {
        "Question": "What is the spin of a photon?",
        "Correct Answer": "1",
        "Incorrect Answer 1": "0",
        "Incorrect Answer 2": "1/2",
        "Incorrect Answer 3": "2",
    }
    path = write_jsonl(tmp_path / "gpqa.jsonl", [row] * 3)
    questions = load_questions(EvalSpec(dataset=str(path), question_column="Question", limit=2))
    assert len(questions) == 2
    assert all(q.choices[q.answer] == "1" and len(q.choices) == 4 for q in questions)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [{"prompt": "x", "choices": ["a", "b"], "answer": 0}])
    with pytest.raises(EvalDataError, match=r"no column 'question'.*questionColumn"):
        load_questions(EvalSpec(dataset=str(path)))


def test_unknown_benchmark_lists_the_built_in_suites() -> None:
    with pytest.raises(EvalDataError, match=r"unknown benchmark 'mmlu'.*gpqa-diamond, gpqa-main"):
        resolve_suite("mmlu", None)
    assert resolve_suite("gpqa-main", None) is BUILTIN_SUITES["gpqa-main"]
    inline = EvalSpec(dataset="x.jsonl")
    assert resolve_suite("gpqa-main", inline) is inline


def test_gated_gpqa_unreachable_gives_a_clear_error() -> None:
    with pytest.raises(EvalDataError) as caught:
        load_questions(BUILTIN_SUITES["gpqa-diamond"])
    message = str(caught.value)
    assert "Idavidrein/gpqa" in message and "gpqa_diamond" in message
    assert "HF_HUB_OFFLINE" in message


def test_missing_local_file(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="no such file"):
        load_questions(EvalSpec(dataset=str(tmp_path / "absent.jsonl")))


def test_generative_prompt_asks_for_an_answer_line_the_extractor_reads() -> None:
    question = MCQuestion(question="Pick one.", choices=("a", "b", "c", "d"), answer=1)
    prompt = generative_prompt(question)
    assert "Answer: X" in prompt and "B) b" in prompt and prompt.index("Pick one.") > 0
    assert extract_letter(prompt + "Because...\nAnswer: B") == "B"
    assert cloze_prompt("Pick one.") == "Question: Pick one.\nAnswer:"


@pytest.mark.parametrize(
    ("correct", "n", "low", "high"),
    [(50, 100, 0.4038, 0.5962), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (0, 0, 0.0, 1.0)],
)
def test_wilson_interval(correct: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(correct, n)
    assert got_low == pytest.approx(low, abs=1e-4)
    assert got_high == pytest.approx(high, abs=1e-4)


def test_accuracy_score_carries_n_and_interval() -> None:
    score = accuracy_score(30, 40)
    assert (score.value, score.n) == (0.75, 40)
    assert score.ci_low < 0.75 < score.ci_high
