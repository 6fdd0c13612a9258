"""Durations as people write them in specs: 90m, 12h, 1h30m, 2d."""

import re

DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(s|m|h|d))+$"
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|m|h|d)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in `text`; raises ValueError naming the accepted form."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(f"{text!r} is not a duration; write it like 90m, 12h, 1h30m or 2d")
    return sum(float(n) * _SECONDS[unit] for n, unit in _PART.findall(text))
