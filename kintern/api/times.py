"""Times on the wire: durations as people write them (90m, 12h, 1h30m, 2d) and RFC 3339."""

import re
from datetime import datetime

DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(s|m|h|d))+$"
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|m|h|d)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in `text`; raises ValueError naming the accepted form."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(f"{text!r} is not a duration; write it like 90m, 12h, 1h30m or 2d")
    return sum(float(n) * _SECONDS[unit] for n, unit in _PART.findall(text))


def rfc3339(moment: datetime) -> str:
    """A UTC moment as Kubernetes writes it: 2026-11-27T11:00:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 time from the cluster (or None)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
