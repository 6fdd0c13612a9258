"""GRPO rewards: exact-match accuracy on the answer format, the format reward, and user
reward functions by import path."""

from __future__ import annotations

import pytest

from kintern_trainer import rewards
from kintern_trainer.errors import SpecError


def constant_reward(completions: list[object], **_: object) -> list[float]:
    """A reward that never varies: GRPO gets no signal from it (used by the collapse test)."""
    return [1.0 for _ in completions]


@pytest.mark.parametrize(
    ("completion", "answer", "expected"),
    [
        ("Reasoning...\nAnswer: B", "B", 1.0),
        ("Reasoning...\nAnswer: B", 1, 1.0),
        ("Reasoning...\nAnswer: C", "B", 0.0),
        ("no answer at all", "B", 0.0),
        ([{"role": "assistant", "content": "Answer: (D)"}], 3, 1.0),
        (" apple", " apple", 1.0),
        ("Answer: Apple.", "apple", 1.0),
        (" pear", " apple", 0.0),
    ],
    ids=[
        "letter",
        "index",
        "wrong letter",
        "none",
        "chat",
        "text",
        "text answer line",
        "wrong text",
    ],
)
def test_accuracy(completion: object, answer: object, expected: float) -> None:
    assert rewards.accuracy([completion], answer=[answer]) == [expected]


def test_format_wants_a_final_answer_line() -> None:
    texts = ["Because...\nAnswer: C", "Answer: C\nand more text", "C", "Answer: (A)\n\n"]
    assert rewards.format(texts) == [1.0, 0.0, 0.0, 1.0]


def test_resolve_builtins_and_import_paths() -> None:
    funcs = rewards.resolve(["accuracy", "format", "tests.trainer.test_rewards:constant_reward"])
    assert funcs[:2] == [rewards.accuracy, rewards.format]
    assert funcs[2](["x", "y"]) == [1.0, 1.0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("exactness", "neither a built-in"),
        ("no_such_module:f", "cannot be imported"),
        ("tests.trainer.test_rewards:missing", "cannot be imported"),
        ("tests.trainer.test_rewards:pytest", "not a function"),
    ],
)
def test_bad_reward_names(name: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        rewards.resolve([name])
