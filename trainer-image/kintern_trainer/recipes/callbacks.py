"""Trainer callbacks the recipes add: stop at the first non-finite loss or gradient norm.

A NaN never recovers, so training on costs GPU-hours for nothing; the diagnosis reads the
logged values afterwards.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


class StopOnNonFinite(TrainerCallback):  # type: ignore[misc]  # transformers is read as Any
    """Ends training at the first logged NaN or inf in `loss` or `grad_norm`."""

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if isinstance(value, int | float) and not math.isfinite(value):
                control.should_training_stop = True
