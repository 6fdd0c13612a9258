"""Multiple-choice questions from an evaluation suite: built-in (GPQA) or inline (EvalSpec).

Called by `evaluation.evaluate` to get the questions to score and by `runner` to get the
question texts that decontamination checks training data against. Choices are shuffled
with the suite's fixed seed, so every run sees the same order.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kintern.api.campaign import EvalSpec
from kintern_trainer.errors import EvalDataError
from kintern_trainer.sources import load_table

LETTERS = string.ascii_uppercase
GPQA_DATASET = "Idavidrein/gpqa"
GPQA_CORRECT = "Correct Answer"
GPQA_INCORRECT = ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
GPQA_MAX_NEW_TOKENS = 16000

BUILTIN_SUITES: dict[str, EvalSpec] = {
    name: EvalSpec(
        dataset=GPQA_DATASET,
        config=config,
        split="train",
        question_column="Question",
        type="generative",
        max_new_tokens=GPQA_MAX_NEW_TOKENS,
    )
    for name, config in (("gpqa-main", "gpqa_main"), ("gpqa-diamond", "gpqa_diamond"))
}


@dataclass(frozen=True)
class MCQuestion:
    """One question with its (already shuffled) choices and the index of the right one."""

    question: str
    choices: tuple[str, ...]
    answer: int

    @property
    def answer_letter(self) -> str:
        return LETTERS[self.answer]


def resolve_suite(benchmark: str, inline: EvalSpec | None) -> EvalSpec:
    """The suite to run: the inline spec if given, else the built-in suite of that name."""
    if inline is not None:
        return inline
    if benchmark in BUILTIN_SUITES:
        return BUILTIN_SUITES[benchmark]
    raise EvalDataError(
        f"unknown benchmark '{benchmark}': use one of {', '.join(sorted(BUILTIN_SUITES))}, "
        "or give an inline suite (objective.eval or spec.eval) with a dataset of "
        "question/choices/answer columns"
    )


def load_questions(suite: EvalSpec) -> list[MCQuestion]:
    """Read the suite's split and turn each row into a shuffled MCQuestion."""
    table = load_table(suite.dataset, suite.config, suite.split, error=EvalDataError)
    rows: Sequence[Mapping[str, Any]] = table
    if suite.limit is not None:
        rows = table.select(range(min(suite.limit, len(table))))
    if len(rows) == 0:
        raise EvalDataError(f"evaluation suite {suite.dataset} ({suite.split}) has no rows")
    parse = _gpqa_row if _is_gpqa_shape(table.column_names) else _inline_row
    rng = random.Random(suite.shuffle_seed)
    return [_shuffled(parse(row, suite, index), rng) for index, row in enumerate(rows)]


def _is_gpqa_shape(columns: Sequence[str]) -> bool:
    return GPQA_CORRECT in columns and all(c in columns for c in GPQA_INCORRECT)


def _gpqa_row(row: Mapping[str, Any], suite: EvalSpec, index: int) -> MCQuestion:
    question = _column(row, suite.question_column, index)
    choices = [str(row[GPQA_CORRECT]).strip()] + [str(row[c]).strip() for c in GPQA_INCORRECT]
    return MCQuestion(question=str(question).strip(), choices=tuple(choices), answer=0)


def _inline_row(row: Mapping[str, Any], suite: EvalSpec, index: int) -> MCQuestion:
    question = str(_column(row, suite.question_column, index)).strip()
    choices = _column(row, suite.choices_column, index)
    if not isinstance(choices, list) or len(choices) < 2:
        raise EvalDataError(
            f"row {index}: column '{suite.choices_column}' must be a list of at least 2 "
            f"choices, got {choices!r}"
        )
    texts = tuple(str(c).strip() for c in choices)
    answer = _answer_index(_column(row, suite.answer_column, index), texts, index)
    return MCQuestion(question=question, choices=texts, answer=answer)


def _column(row: Mapping[str, Any], column: str, index: int) -> Any:
    if column not in row:
        raise EvalDataError(
            f"row {index} has no column '{column}' (it has: {', '.join(row)}); set the "
            "suite's questionColumn/choicesColumn/answerColumn to the right names"
        )
    return row[column]


def _answer_index(value: Any, choices: tuple[str, ...], index: int) -> int:
    """An answer given as an index, a letter, or the text of the right choice."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int) and 0 <= value < len(choices):
        return value
    text = str(value).strip()
    if len(text) == 1 and text.upper() in LETTERS[: len(choices)]:
        return LETTERS.index(text.upper())
    if text in choices:
        return choices.index(text)
    if text.isdigit() and int(text) < len(choices):
        return int(text)
    raise EvalDataError(
        f"row {index}: answer {value!r} is neither an index, a letter nor one of the "
        f"{len(choices)} choices"
    )


def _shuffled(question: MCQuestion, rng: random.Random) -> MCQuestion:
    order = list(range(len(question.choices)))
    rng.shuffle(order)
    choices = tuple(question.choices[i] for i in order)
    return MCQuestion(
        question=question.question, choices=choices, answer=order.index(question.answer)
    )
