"""Answer-letter extraction on the shapes models really write (table-driven)."""

from __future__ import annotations

import pytest

from kintern_trainer.evaluation.extract import extract_letter

CASES = [
    ("plain", "Answer: B", "B"),
    ("parenthesised", "Answer: (B)", "B"),
    ("bracketed", "Answer: [D]", "D"),
    ("lower case label and letter", "answer: c", "C"),
    ("no space", "Answer:C", "C"),
    ("upper case label", "ANSWER: A because it is the only one", "A"),
    ("bold label and letter", "**Answer:** **D**", "D"),
    ("bold letter", "Final answer: **C**", "C"),
    ("the answer is", "So the answer is B.", "B"),
    ("lower case phrase", "i think the answer is b", "B"),
    ("correct answer is, colon", "The correct answer is: (C) because it balances", "C"),
    ("final answer is", "Final Answer: The final answer is $\\boxed{D}$", "D"),
    ("boxed alone", "So we get \\boxed{A}", "A"),
    ("boxed text", "Answer: $\\boxed{\\text{B}}$", "B"),
    ("option word", "Answer: Option C", "C"),
    ("correct option is", "After all that, the correct option is D.", "D"),
    ("letter with text after", "Answer: B) 3.2 eV", "B"),
    ("trailing text on later lines", "Answer: A\n\nThis follows from conservation of energy.", "A"),
    ("long reasoning first", "Step 1: options A and C fail.\nStep 2: ...\nAnswer: D", "D"),
    ("last statement wins", "Answer: B\nWait, that is wrong. The answer is C.", "C"),
    ("bare letter last line", "Reasoning about the options...\n\nB", "B"),
    ("bare parenthesised last line", "Reasoning...\n(C)", "C"),
    ("bare bold last line", "Reasoning...\n**A**", "A"),
    ("answer is a (article, not a letter)", "I think the answer is a tricky one", None),
    ("pronoun after label", "Answer: I am not sure", None),
    ("word starting with a letter", "Answer: Blue", None),
    ("letter out of range", "Answer: E", None),
    ("number, not a letter", "Answer: 42", None),
    ("nothing", "I cannot decide between these.", None),
    ("empty", "", None),
    ("answer is (a).", "so the answer is (a).", "A"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_extract_letter(text: str, expected: str | None) -> None:
    assert extract_letter(text, n_choices=4) == expected


def test_more_choices_widen_the_valid_letters() -> None:
    assert extract_letter("Answer: E", n_choices=5) == "E"
    assert extract_letter("Answer: E", n_choices=4) is None
