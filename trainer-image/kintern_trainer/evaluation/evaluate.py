"""Scores a model on a multiple-choice suite: the trainer's `eval` step and the `eval` recipe.

`evaluate(model_path, suite, device)` loads the questions, asks the model (generation with
answer-letter extraction, or log-likelihood), and returns the accuracy with its 95%
interval and one sample record per question for the full record.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kintern.api.campaign import EvalSpec
from kintern.api.result import Score
from kintern_trainer import distributed
from kintern_trainer.evaluation import generate, loglik
from kintern_trainer.evaluation.extract import extract_letter
from kintern_trainer.evaluation.prompts import generative_prompt
from kintern_trainer.evaluation.questions import LETTERS, MCQuestion, load_questions
from kintern_trainer.evaluation.stats import accuracy_score

SAMPLE_TEXT_CHARS = 4000


@dataclass
class EvalReport:
    """What one evaluation measured."""

    score: Score
    backend: str
    seconds: float
    unanswered: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        """Key numbers for the result's metrics."""
        return {
            "eval_accuracy": self.score.value,
            "eval_seconds": round(self.seconds, 3),
            "eval_unanswered": float(self.unanswered),
        }


def evaluate(
    model_path: str,
    suite: EvalSpec,
    device: str,
    questions: Sequence[MCQuestion] | None = None,
) -> EvalReport:
    """Accuracy of the model at `model_path` on `suite` (questions loaded unless given)."""
    started = time.monotonic()
    items = list(questions) if questions is not None else load_questions(suite)
    if suite.type == "loglikelihood":
        mine = loglik.choose(model_path, distributed.shard(items), device)
        picks = distributed.gather(mine, len(items))  # each worker scores its share
        letters: list[str | None] = [LETTERS[i] for i in picks]
        texts: list[str | None] = [None] * len(items)
        backend = "loglikelihood"
    else:
        prompts = [generative_prompt(q) for q in items]
        outputs = generate.generate(
            model_path, prompts, suite.max_new_tokens, device, suite.chat_template
        )
        letters = [
            extract_letter(text, len(q.choices)) for text, q in zip(outputs, items, strict=True)
        ]
        texts = list(outputs)
        backend = generate.pick_backend(device)
    correct = sum(letter == q.answer_letter for letter, q in zip(letters, items, strict=True))
    return EvalReport(
        score=accuracy_score(correct, len(items)),
        backend=backend,
        seconds=time.monotonic() - started,
        unanswered=sum(letter is None for letter in letters),
        samples=[
            _sample(q, letter, text) for q, letter, text in zip(items, letters, texts, strict=True)
        ],
    )


def _sample(question: MCQuestion, letter: str | None, text: str | None) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "question": question.question[:SAMPLE_TEXT_CHARS],
        "answer": question.answer_letter,
        "predicted": letter,
        "correct": letter == question.answer_letter,
    }
    if text is not None:
        sample["output"] = text[-SAMPLE_TEXT_CHARS:]
    return sample
