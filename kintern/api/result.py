"""The result protocol: what a trainer reports when it ends, shared by trainer and operator.

The trainer writes `TrainingResult` as compact JSON (at most 4 KiB) to the container's
termination-message path and the full record next to the checkpoint. The operator and
local mode read it back into the TrainingRun's status.
"""

from typing import Literal

from pydantic import Field

from kintern.api.base import ApiModel

MAX_TERMINATION_BYTES = 4096
DEFAULT_TERMINATION_PATH = "/dev/termination-log"

DiagnosisKind = Literal[
    "ok",
    "nan_loss",
    "divergence",
    "reward_collapse",
    "out_of_memory",
    "contamination",
    "preempted",
    "error",
]


class Diagnosis(ApiModel):
    """What went wrong (or `ok`), with the evidence an agent can act on."""

    kind: DiagnosisKind = Field(default="ok", description="kind: the failure class, or ok.")
    evidence: str = Field(default="", description="evidence: the numbers or lines behind it.")
    advice: str = Field(default="", description="advice: a likely fix.")


class DecontaminationSummary(ApiModel):
    """What the n-gram overlap check found."""

    mode: str = Field(default="off", description="mode: fail, drop or off.")
    checked_rows: int = Field(default=0, description="checkedRows: training rows checked.")
    overlapping_rows: int = Field(default=0, description="overlappingRows: rows that overlap.")
    dropped_rows: int = Field(default=0, description="droppedRows: rows removed.")
    ngram: int = Field(default=13, description="ngram: n-gram length used.")


class Score(ApiModel):
    """An evaluation score with its uncertainty."""

    value: float = Field(description="value: the metric, e.g. accuracy in [0, 1].")
    ci_low: float = Field(description="ciLow: lower end of the 95% interval.")
    ci_high: float = Field(description="ciHigh: upper end of the 95% interval.")
    n: int = Field(description="n: number of questions.")
    metric: str = Field(default="accuracy", description="metric: what value measures.")


class TrainingResult(ApiModel):
    """The small result of one run (termination message)."""

    status: Literal["succeeded", "failed"] = Field(description="status: succeeded or failed.")
    score: Score | None = Field(default=None, description="score: evaluation after training.")
    metrics: dict[str, float] = Field(
        default_factory=dict, description="metrics: key final training metrics."
    )
    diagnosis: Diagnosis = Field(default_factory=Diagnosis, description="diagnosis.")
    checkpoint: str | None = Field(default=None, description="checkpoint: where the model is.")
    data_files: list[str] | None = Field(
        default=None,
        description="dataFiles: the data a custom run's script wrote (KINTERN_OUTPUT_DIR); "
        "a later run trains on one by naming its path in spec.datasets.",
    )
    hub_url: str | None = Field(
        default=None,
        description="hubUrl: where the checkpoint was published on the Hub; the checkpoint "
        "path stays, so run: references keep working.",
    )
    decontamination: DecontaminationSummary | None = Field(
        default=None, description="decontamination: the overlap check."
    )
    wall_seconds: float = Field(default=0, description="wallSeconds: run wall time.")
    gpu_seconds: float = Field(default=0, description="gpuSeconds: GPUs x wall seconds.")
    error: str | None = Field(default=None, description="error: a failure message, if any.")

    def to_termination_message(self) -> str:
        """Compact JSON under 4 KiB: long free text is cut first, then metrics dropped."""
        result = self
        text = result.model_dump_json(by_alias=True, exclude_none=True)
        if len(text.encode()) <= MAX_TERMINATION_BYTES:
            return text
        result = result.model_copy(
            update={
                "error": (result.error or "")[:500] or None,
                "diagnosis": result.diagnosis.model_copy(
                    update={"evidence": result.diagnosis.evidence[:500]}
                ),
            }
        )
        text = result.model_dump_json(by_alias=True, exclude_none=True)
        if len(text.encode()) > MAX_TERMINATION_BYTES:
            keep = dict(list(result.metrics.items())[:8])
            text = result.model_copy(update={"metrics": keep}).model_dump_json(
                by_alias=True, exclude_none=True
            )
        return text

    @classmethod
    def from_termination_message(cls, text: str) -> "TrainingResult":
        return cls.model_validate_json(text)
