"""Decontamination: planted overlaps are found in every mode, clean data passes, and the
toy task's held-out split is clean against its training rows."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset

from kintern.api.run import Decontamination
from kintern_trainer.decontam import check, row_text
from kintern_trainer.errors import ContaminationError
from kintern_trainer.toy import ToyTask

LONG_QUESTION = (
    "A spin one half particle is placed in a uniform magnetic field along the z axis and "
    "prepared in the x up state; what is the probability of measuring spin down after a "
    "quarter period?"
)
SHORT_QUESTION = "Which gas makes up most of the air on Earth?"
QUESTIONS = [LONG_QUESTION, SHORT_QUESTION, "Why?"]


def rows(*prompts: str) -> Dataset:
    return Dataset.from_list([{"prompt": p, "completion": " answer"} for p in prompts])


CLEAN = rows(
    "What is the capital of France?",
    "A particle in a box has quantised energy levels; derive them.",
    "Why is the sky blue?",
)


def test_clean_data_passes() -> None:
    data, report = check(CLEAN, QUESTIONS, Decontamination(mode="fail"))
    assert len(data) == 3
    assert report.summary.overlapping_rows == 0 and report.summary.checked_rows == 3


def test_a_shared_13_gram_is_found_even_when_reworded_around_it() -> None:
    planted = "Homework: " + LONG_QUESTION.upper()[20:140] + " Explain briefly."
    data, report = check(rows("clean row", planted), QUESTIONS, Decontamination(mode="drop"))
    assert report.summary.overlapping_rows == 1 and report.summary.dropped_rows == 1
    assert [r["prompt"] for r in data] == ["clean row"]
    assert report.examples[0].row == 1 and report.examples[0].question == 0


def test_a_short_question_is_matched_whole() -> None:
    planted = f"Quiz time. {SHORT_QUESTION} Nitrogen."
    _, report = check(rows(planted, "Why? Because."), QUESTIONS, Decontamination(mode="off"))
    assert report.summary.overlapping_rows == 1, "a 2-word question must not match by chance"
    assert report.examples[0].question == 1


def test_fail_mode_stops_with_the_evidence() -> None:
    with pytest.raises(ContaminationError, match=r"1 of 2 training rows .* e\.g\. row 0"):
        check(rows(LONG_QUESTION, "clean"), QUESTIONS, Decontamination(mode="fail"))


def test_off_mode_keeps_the_rows_but_records_them() -> None:
    data, report = check(rows(LONG_QUESTION), QUESTIONS, Decontamination(mode="off"))
    assert len(data) == 1
    assert (report.summary.mode, report.summary.overlapping_rows) == ("off", 1)
    assert report.summary.dropped_rows == 0


def test_chat_rows_are_checked_inside_their_messages() -> None:
    chat = Dataset.from_list(
        [
            {
                "messages": [
                    {"role": "user", "content": LONG_QUESTION},
                    {"role": "assistant", "content": "B"},
                ]
            }
        ]
    )
    assert LONG_QUESTION in row_text(chat[0])
    _, report = check(chat, QUESTIONS, Decontamination(mode="drop", ngram=8))
    assert report.summary.overlapping_rows == 1


def test_toy_task_held_out_questions_do_not_leak(toy_task: ToyTask) -> None:
    train = Dataset.from_json(str(toy_task.train))
    questions = [json.loads(line)["question"] for line in toy_task.eval.read_text().splitlines()]
    _, report = check(train, questions, Decontamination(mode="fail"))
    assert report.summary.checked_rows == 4000
    leaked = train.select(range(3))
    _, planted = check(leaked, [leaked[0]["question"]], Decontamination(mode="off"))
    assert planted.summary.overlapping_rows == 1, "the toy questions are long enough to be checked"
