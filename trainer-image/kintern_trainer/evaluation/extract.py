"""Finds the answer letter in a model's generated reply to a multiple-choice prompt.

Called by `evaluation.evaluate` (generative suites) and by the GRPO accuracy reward.
Tolerant of the shapes models really write: `Answer: (B)`, `**Answer:** b`,
`The correct answer is C.`, `\\boxed{D}`, a bare `B` on the last line, trailing text.
The last answer statement wins, since models often revise themselves.
"""

from __future__ import annotations

import re

from kintern_trainer.evaluation.questions import LETTERS

_BOXED = re.compile(r"\\boxed\s*\{\s*(?:\\text(?:bf)?\s*\{\s*)?([A-Za-z])\s*\}?\s*\}")
_MARKUP = re.compile(r"[*$`]|\\\(|\\\)|\\\[|\\\]")
_LABEL = (
    r"\b(?:final\s+answer|correct\s+answer|answer)"
    r"\s*(?:is|would\s+be|should\s+be|will\s+be|=)?\s*(?::\s*)?"
    r"(?:(?:option|choice|letter)\s+)?"
)
_OPTION = r"\b(?:correct|right|best)\s+(?:option|choice|letter)\s*(?:is|would\s+be|=)?\s*(?::\s*)?"
_LETTER = r"[\(\[]?\s*(?P<letter>[A-Za-z])(?![A-Za-z])\s*[\)\]]?(?P<after>\s*\S?)"
_LABELLED = re.compile(_LABEL + _LETTER, re.IGNORECASE)
_BY_OPTION = re.compile(_OPTION + _LETTER, re.IGNORECASE)
_BARE = re.compile(r"^\W*(?P<letter>[A-Za-z])\W*$")
_WORDS = {"a", "i", "I"}  # also English words: not a letter when a word follows them


def extract_letter(text: str, n_choices: int = 4) -> str | None:
    """The chosen letter (upper case) among the first `n_choices`, or None if there is none."""
    valid = LETTERS[:n_choices]
    clean = _MARKUP.sub("", _BOXED.sub(r" Answer: \1 ", text))
    for pattern in (_LABELLED, _BY_OPTION):
        letter = _last_letter(pattern, clean)
        if letter is not None:
            return letter if letter in valid else None
    lines = [line for line in clean.strip().splitlines() if line.strip()]
    bare = _BARE.match(lines[-1]) if lines else None
    if bare is not None and bare["letter"].upper() in valid:
        return bare["letter"].upper()
    return None


def _last_letter(pattern: re.Pattern[str], text: str) -> str | None:
    found = None
    for match in pattern.finditer(text):
        letter, after = match["letter"], match["after"].strip()
        if letter in _WORDS and after.isalnum():
            continue
        found = letter.upper()
    return found
