"""Decontamination: finds training rows that share an n-gram with an evaluation question.

`runner` calls `check` before training. Mode `fail` stops the run, `drop` removes the
overlapping rows, `off` trains on everything but still records what overlaps, so a score
is never reported without saying whether the test set was in the training data.

Text is compared as lower-case words. A question shorter than n words is matched whole
(as one phrase) when it has at least MIN_PHRASE_WORDS words; shorter ones are skipped,
since a phrase that short occurs by chance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kintern.api.result import DecontaminationSummary
from kintern.api.run import Decontamination
from kintern_trainer.errors import ContaminationError

if TYPE_CHECKING:
    from datasets import Dataset

MIN_PHRASE_WORDS = 6
MAX_EXAMPLES = 20
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Overlap:
    """One training row that shares a phrase with one evaluation question."""

    row: int
    question: int
    phrase: str


@dataclass
class DecontaminationReport:
    """What the check found (examples are capped at MAX_EXAMPLES)."""

    summary: DecontaminationSummary
    examples: list[Overlap] = field(default_factory=list)


class OverlapIndex:
    """The evaluation questions' phrases, keyed by phrase length in words."""

    def __init__(self, questions: Sequence[str], n: int) -> None:
        self.n = n
        self.phrases: dict[int, dict[tuple[str, ...], int]] = {}
        for index, question in enumerate(questions):
            words = words_of(question)
            if len(words) >= n:
                grams = _windows(words, n)
            elif len(words) >= MIN_PHRASE_WORDS:
                grams = [tuple(words)]
            else:
                continue
            table = self.phrases.setdefault(len(grams[0]), {})
            for gram in grams:
                table.setdefault(gram, index)

    def find(self, text: str) -> tuple[tuple[str, ...], int] | None:
        """The first phrase of `text` that is in the index, with its question's index."""
        words = words_of(text)
        for size, table in self.phrases.items():
            for gram in _windows(words, size):
                if gram in table:
                    return gram, table[gram]
        return None


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def row_text(row: Mapping[str, Any]) -> str:
    """All the text of a training row (strings, and strings inside lists and dicts)."""
    return " ".join(_strings(row))


def find_overlaps(texts: Iterable[str], index: OverlapIndex) -> list[Overlap]:
    overlaps = []
    for row, text in enumerate(texts):
        hit = index.find(text)
        if hit is not None:
            overlaps.append(Overlap(row=row, question=hit[1], phrase=" ".join(hit[0])))
    return overlaps


def check(
    dataset: Dataset, questions: Sequence[str], settings: Decontamination
) -> tuple[Dataset, DecontaminationReport]:
    """Apply `settings` to `dataset`; raises ContaminationError in mode `fail`."""
    index = OverlapIndex(questions, settings.ngram)
    overlaps = find_overlaps((row_text(row) for row in dataset), index)
    bad = {o.row for o in overlaps}
    dropped = len(bad) if settings.mode == "drop" else 0
    report = DecontaminationReport(
        summary=DecontaminationSummary(
            mode=settings.mode,
            checked_rows=len(dataset),
            overlapping_rows=len(bad),
            dropped_rows=dropped,
            ngram=settings.ngram,
        ),
        examples=overlaps[:MAX_EXAMPLES],
    )
    if bad and settings.mode == "fail":
        raise ContaminationError(describe(report), report)
    if dropped:
        dataset = dataset.select([i for i in range(len(dataset)) if i not in bad])
    return dataset, report


def describe(report: DecontaminationReport) -> str:
    """One line for people and agents: how many rows overlap and an example."""
    s = report.summary
    text = f"{s.overlapping_rows} of {s.checked_rows} training rows share a {s.ngram}-word phrase"
    text += " (or a whole short question) with the evaluation questions"
    if report.examples:
        first = report.examples[0]
        text += f"; e.g. row {first.row} and question {first.question}: '{first.phrase}'"
    return text


def _windows(words: list[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + size]) for i in range(len(words) - size + 1)]


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
