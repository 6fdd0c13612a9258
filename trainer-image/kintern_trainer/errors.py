"""Errors the trainer reports to the user: each says what is wrong and how to fix it.

Raised anywhere in `kintern_trainer`; `runner` turns them into a failed result whose
`error` is the message, so the agent or person reading the TrainingRun can act on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kintern_trainer.decontam import DecontaminationReport


class TrainerError(Exception):
    """A problem with the run's inputs or environment (not a bug in the trainer)."""


class SpecError(TrainerError):
    """The RunRequest asks for something the trainer cannot do."""


class DataError(TrainerError):
    """A data set cannot be loaded or does not have the expected columns."""


class EvalDataError(TrainerError):
    """An evaluation suite cannot be loaded or is malformed."""


class ContaminationError(TrainerError):
    """Training data overlaps the evaluation questions and decontamination mode is `fail`."""

    def __init__(self, message: str, report: DecontaminationReport) -> None:
        super().__init__(message)
        self.report = report


class ScriptError(TrainerError):
    """A custom script failed or broke the result protocol."""
