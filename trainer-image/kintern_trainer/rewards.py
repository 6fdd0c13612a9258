"""GRPO reward functions: built-in `accuracy` and `format`, or a user's `module:function`.

Built-ins follow the benchmark's answer format: the reply should end with `Answer: X`.
`accuracy` gives 1 when the extracted letter (or, for free-text answers, the answer line)
matches the row's `answer` column; `format` gives 1 when the reply has that final line.
TRL calls them with the prompts, the completions and every data column as keywords.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from kintern_trainer.errors import SpecError
from kintern_trainer.evaluation.extract import extract_letter
from kintern_trainer.evaluation.questions import LETTERS

RewardFunc = Callable[..., list[float]]
MAX_LETTERS = 10
_ANSWER_LINE = re.compile(r"^\W*answer\W*:\s*(?P<rest>.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_FINAL_LINE = re.compile(r"answer\W*:\s*\(?[A-J]\)?\W*$", re.IGNORECASE)


def completion_text(completion: Any) -> str:
    """The text of a completion, plain or conversational (a list of messages)."""
    if isinstance(completion, list):
        return " ".join(str(m.get("content", "")) for m in completion if isinstance(m, dict))
    return str(completion)


def accuracy(completions: Sequence[Any], answer: Sequence[Any], **_: Any) -> list[float]:
    """1.0 for a reply whose answer matches the row's `answer` (letter, index or text)."""
    return [
        float(_matches(completion_text(c), a)) for c, a in zip(completions, answer, strict=True)
    ]


def format(completions: Sequence[Any], **_: Any) -> list[float]:
    """1.0 for a reply whose last non-empty line is `Answer: X`."""
    rewards = []
    for completion in completions:
        lines = [line for line in completion_text(completion).splitlines() if line.strip()]
        rewards.append(float(bool(lines) and _FINAL_LINE.search(lines[-1]) is not None))
    return rewards


BUILTIN: dict[str, RewardFunc] = {"accuracy": accuracy, "format": format}


def resolve(names: Sequence[str]) -> list[RewardFunc]:
    """The reward functions for the run's `rewards` list."""
    if not names:
        raise SpecError("a grpo run needs at least one reward in hyperparameters.rewards")
    return [BUILTIN[name] if name in BUILTIN else _import(name) for name in names]


def _import(path: str) -> RewardFunc:
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise SpecError(
            f"reward '{path}' is neither a built-in ({', '.join(BUILTIN)}) nor an import "
            "path of the form package.module:function"
        )
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise SpecError(f"reward '{path}' cannot be imported: {exc}") from exc
    if not callable(func):
        raise SpecError(f"reward '{path}' is not a function")
    reward: Callable[..., list[float]] = func
    return reward


def _matches(text: str, answer: Any) -> bool:
    letter = _as_letter(answer)
    if letter is not None:
        return extract_letter(text, MAX_LETTERS) == letter
    lines = list(_ANSWER_LINE.finditer(text))
    said = lines[-1]["rest"] if lines else text
    return _normal(said) == _normal(str(answer))


def _as_letter(answer: Any) -> str | None:
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < MAX_LETTERS:
        return LETTERS[answer]
    text = str(answer).strip()
    if len(text) == 1 and text.upper() in LETTERS[:MAX_LETTERS]:
        return text.upper()
    return None


def _normal(text: str) -> str:
    return " ".join(text.lower().strip().rstrip(".").split())
