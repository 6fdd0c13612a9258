"""Budget accounting: GPU-hours from real pod times, reservations, and what still fits.

Used GPU-hours are always summed from the runs' own records (each run is charged from its
pod's real start and end times, once), never incremented, so a restart cannot count an
hour twice.
"""

from dataclasses import dataclass
from datetime import datetime

from kintern.api.campaign import CampaignSpec
from kintern.api.run import TrainingRun

SECONDS_PER_HOUR = 3600.0


def requested_gpus(run: TrainingRun, campaign: CampaignSpec) -> int:
    gpus = run.spec.resources.gpus
    return campaign.compute.gpus_per_run if gpus is None else gpus


def requested_gpu_hours(run: TrainingRun, campaign: CampaignSpec) -> float:
    """The most a run can cost: its GPUs times its wall-time limit."""
    return requested_gpus(run, campaign) * run.spec.resources.hours


def gpu_hours_between(start: datetime, end: datetime, gpus: int) -> float:
    return max(0.0, (end - start).total_seconds()) * gpus / SECONDS_PER_HOUR


@dataclass(frozen=True)
class Fit:
    fits: bool
    message: str


@dataclass
class Ledger:
    """The campaign's spending at one moment; `reserve` books a run approved just now."""

    gpu_hours_budget: float
    used: float  # charged by finished runs plus elapsed time of live ones
    reserved: float  # the unspent rest of what approved, unfinished runs may still use
    admitted_runs: int  # runs not rejected so far, in creation order (against maxRuns)
    max_runs: int

    @property
    def remaining(self) -> float:
        return self.gpu_hours_budget - self.used - self.reserved

    def reserve(self, gpu_hours: float) -> None:
        self.reserved += gpu_hours

    def fits(self, gpu_hours: float) -> Fit:
        if self.admitted_runs > self.max_runs:
            return Fit(False, f"maxRuns {self.max_runs} reached: no more runs may start")
        if gpu_hours > self.remaining + 1e-9:
            over = gpu_hours - max(self.remaining, 0.0)
            return Fit(
                False,
                f"asks {gpu_hours:g} GPU-hours but only {max(self.remaining, 0):.2f} of "
                f"{self.gpu_hours_budget:g} are left (over by {over:.2f}); ask for fewer "
                "hours or GPUs",
            )
        return Fit(True, "fits the budget")
