"""A GRPO reward (imported by path, as a user's would be) that fails in worker 1 only."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def fails_in_worker_1(completions: Sequence[Any], **_: Any) -> list[float]:
    if os.environ.get("RANK") == "1":
        raise RuntimeError("the reward service is unreachable from worker 1")
    return [0.0] * len(completions)
