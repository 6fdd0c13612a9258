"""Prompt formats for multiple choice, shared by evaluation, GRPO rewards and the toy task.

Generative: the question, lettered choices, and an instruction to reason and end with an
`Answer: X` line (the chain-of-thought format GPQA is scored with). Log-likelihood: a
cloze prompt `Question: ...\\nAnswer:` whose continuation is each choice's text.
"""

from __future__ import annotations

from kintern_trainer.evaluation.questions import LETTERS, MCQuestion


def generative_prompt(question: MCQuestion) -> str:
    """The chain-of-thought prompt; the reply must end with a line `Answer: X`."""
    letters = LETTERS[: len(question.choices)]
    options = "\n".join(
        f"{letter}) {text}" for letter, text in zip(letters, question.choices, strict=True)
    )
    return (
        "Answer the following multiple choice question. Think step by step, then finish "
        f"with a last line of the form 'Answer: X' where X is one of {', '.join(letters)}.\n\n"
        f"{question.question}\n\n{options}\n"
    )


def cloze_prompt(question: str) -> str:
    """The context scored by log-likelihood; each choice follows as `' ' + choice`."""
    return f"Question: {question}\nAnswer:"


def cloze_continuation(choice: str) -> str:
    """A choice's text as the continuation of `cloze_prompt`."""
    return f" {choice}"
