"""Failure diagnosis from the training logs: what went wrong, the numbers behind it, and a fix.

`runner` calls `diagnose` with the trainer's log history (one entry per logged step; the
trainer logs every step with transformers' NaN filter off, so a NaN is really seen) and the
exception that ended the run, if any. The result's `diagnosis` is what an agent reads to
decide its next run, so evidence quotes steps and values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import fmean

from kintern.api.result import Diagnosis

Log = Mapping[str, float]

DIVERGENCE_RATIO = 1.5
DIVERGENCE_MIN_RISE = 0.5
BLOWUP_RATIO = 4.0
ZERO_STD_FRACTION = 0.9
REWARD_STD_FLOOR = 1e-3
ENTROPY_FLOOR = 0.05
ERROR_ADVICE = (
    "read the error; the full record beside the checkpoint has the traceback and the logs"
)
FAILING_KINDS = frozenset({"nan_loss", "out_of_memory", "contamination", "error"})

ADVICE = {
    "out_of_memory": "lower batchSize and raise gradientAccumulationSteps, shorten maxLength, "
    "turn on gradientCheckpointing, or use lora: true",
    "nan_loss": "lower learningRate (e.g. by 10x), keep warmupRatio > 0, and check the data "
    "for empty or corrupt rows",
    "divergence": "lower learningRate (e.g. by 3-10x) or raise warmupRatio; the score of this "
    "checkpoint is likely worse than its best point",
    "reward_collapse": "the rewards no longer vary within groups, so GRPO has no signal: "
    "raise numGenerations or the sampling length, check that the rewards can be earned "
    "(SFT first if the model never produces the format), and lower learningRate if "
    "entropy collapsed",
}


def diagnose(history: Sequence[Log], recipe: str, error: BaseException | None = None) -> Diagnosis:
    """The most important problem in a run, or kind `ok`."""
    if error is not None and is_out_of_memory(error):
        return Diagnosis(
            kind="out_of_memory", evidence=_short(error), advice=ADVICE["out_of_memory"]
        )
    for check in (_non_finite, _divergence if recipe in {"sft", "dpo"} else None, _collapse):
        found = check(history) if check else None
        if found is not None:
            return found
    if error is not None:
        return Diagnosis(kind="error", evidence=_short(error), advice=ERROR_ADVICE)
    return Diagnosis()


def is_out_of_memory(error: BaseException) -> bool:
    """A CUDA or CPU allocation failure, however the framework raised it."""
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError":
        return True
    text = str(error).lower()
    return "out of memory" in text or "can't allocate memory" in text


def is_failure(diagnosis: Diagnosis) -> bool:
    """Whether the run failed (divergence and reward collapse are warnings on a finished run)."""
    return diagnosis.kind in FAILING_KINDS


def _non_finite(history: Sequence[Log]) -> Diagnosis | None:
    last_good: tuple[int, float] | None = None
    for entry in _steps(history):
        bad = {k: entry[k] for k in ("loss", "grad_norm") if k in entry and not _finite(entry[k])}
        if bad:
            values = ", ".join(f"{k}={v}" for k, v in bad.items())
            evidence = f"step {int(entry.get('step', 0))}: {values} (first non-finite value"
            if last_good:
                evidence += f"; last finite loss {last_good[1]:.4g} at step {last_good[0]}"
            return Diagnosis(kind="nan_loss", evidence=evidence + ")", advice=ADVICE["nan_loss"])
        if "loss" in entry:
            last_good = (int(entry.get("step", 0)), entry["loss"])
    return None


def _divergence(history: Sequence[Log]) -> Diagnosis | None:
    """The loss climbed well above its best and stayed there, or it spiked to several times
    where it started (the learning rate is too high even if it later recovers)."""
    points = [(int(e.get("step", 0)), e["loss"]) for e in _steps(history) if "loss" in e]
    if len(points) < 4:
        return None
    width = max(1, len(points) // 5)
    means = [fmean(v for _, v in points[i : i + width]) for i in range(len(points) - width + 1)]
    best_at = min(range(len(means)), key=means.__getitem__)
    best, late, first = means[best_at], means[-1], points[0][1]
    peak_step, peak = max(points, key=lambda p: p[1])
    if late > best * DIVERGENCE_RATIO and late - best > DIVERGENCE_MIN_RISE:
        evidence = f"loss rose from {best:.4g} (around step {points[best_at][0]}) to {late:.4g}"
    elif peak > first * BLOWUP_RATIO:
        evidence = (
            f"loss spiked from {first:.4g} (step {points[0][0]}) to {peak:.4g} (step "
            f"{peak_step}) and ended at {late:.4g}"
        )
    else:
        return None
    evidence += f" (last {width} logged steps, up to step {points[-1][0]})"
    norms = [e["grad_norm"] for e in _steps(history) if "grad_norm" in e]
    if norms:
        evidence += f"; grad_norm max {max(norms):.4g}"
    return Diagnosis(kind="divergence", evidence=evidence, advice=ADVICE["divergence"])


def _collapse(history: Sequence[Log]) -> Diagnosis | None:
    entries = [e for e in _steps(history) if "reward_std" in e]
    if not entries:
        return None
    tail = entries[-max(1, len(entries) // 3) :]
    zero_std = fmean(e.get("frac_reward_zero_std", 0.0) for e in tail)
    reward_std = fmean(e["reward_std"] for e in tail)
    entropies = [e["entropy"] for e in tail if "entropy" in e]
    entropy = fmean(entropies) if entropies else None
    collapsed = zero_std >= ZERO_STD_FRACTION or reward_std <= REWARD_STD_FLOOR
    if not collapsed and (entropy is None or entropy > ENTROPY_FLOOR):
        return None
    evidence = (
        f"over the last {len(tail)} logged steps: reward_std {reward_std:.3g}, "
        f"frac_reward_zero_std {zero_std:.3g}"
    )
    if entropy is not None:
        evidence += f", entropy {entropy:.3g}"
    reward = fmean(e.get("reward", 0.0) for e in tail)
    evidence += f", mean reward {reward:.3g}"
    return Diagnosis(kind="reward_collapse", evidence=evidence, advice=ADVICE["reward_collapse"])


def _steps(history: Sequence[Log]) -> list[Log]:
    """Per-step log entries (the final summary entry has train_loss, not loss)."""
    return [e for e in history if "train_runtime" not in e]


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 600 else text[:597] + "..."
