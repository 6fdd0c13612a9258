"""Accuracy with a 95% Wilson score interval, the uncertainty reported with every score.

Wilson rather than the normal approximation because it stays inside [0, 1] and is honest
for small n and for accuracies near 0 or 1, which is where small benchmarks live.
"""

from __future__ import annotations

import math

from kintern.api.result import Score

Z_95 = 1.959963984540054


def wilson_interval(correct: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The (low, high) Wilson score interval for `correct` successes out of `n`."""
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy_score(correct: int, n: int) -> Score:
    """Accuracy with its interval, in the result protocol's shape."""
    low, high = wilson_interval(correct, n)
    return Score(value=correct / n if n else 0.0, ci_low=low, ci_high=high, n=n)
