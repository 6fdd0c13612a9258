"""What an executor reports about the workload behind a run: a Job's pod, or a process.

The operator fills these from Jobs and Pods, local mode from child processes; the
reconciler reads only this shape, so both run the same state machine.
"""

from dataclasses import dataclass
from datetime import datetime

IMAGE_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName"})


@dataclass(frozen=True)
class Workload:
    """The execution of one run, as last observed."""

    name: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    succeeded: bool | None = None  # None while it runs
    failure_reason: str | None = None  # OOMKilled, DeadlineExceeded, BackoffLimitExceeded...
    termination_message: str | None = None
    pod_name: str | None = None
    waiting_reason: str | None = None  # e.g. ImagePullBackOff while the pod cannot start
    waiting_since: datetime | None = None
    # A queue (Kueue) holds the workload: it has not been admitted yet, or was evicted.
    held: bool = False
    held_since: datetime | None = None
    # When the queue last let it run again after holding it: an attempt recorded as
    # started before that moment was evicted, even if the hold itself was never observed.
    released_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.succeeded is not None


@dataclass(frozen=True)
class AgentState:
    """The agent's Job (or process): whether it exists, runs, or has ended."""

    exists: bool = False
    active: bool = False
    succeeded: bool = False
    failed: bool = False
    message: str = ""
