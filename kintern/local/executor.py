"""Runs approved TrainingRuns as local `kintern train` processes, one GPU set each.

Each run gets its own process group, log file and pid file; the result the trainer writes
to result.json plays the part of a pod's termination message.
"""

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from kintern.api.conditions import Reason
from kintern.api.request import RunRequest
from kintern.core.environment import trainer_environment
from kintern.core.requests import train_arguments
from kintern.core.workload import Workload
from kintern.local.store import CampaignStore

log = logging.getLogger(__name__)
LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class TrainerRecord:
    """What the pid file keeps of a trainer: enough to prove later that a process is that
    trainer, not another process that got its pid after a reboot or a long time."""

    pid: int
    start_ticks: int | None  # the process's start in clock ticks since boot (/proc)
    cmdline: list[str]

    @classmethod
    def of(cls, pid: int, command: list[str]) -> "TrainerRecord":
        """The record of a process just started with `command` (recorded as given: the
        child may not have exec'd it yet)."""
        return cls(pid, _start_ticks(pid), command)

    @classmethod
    def parse(cls, text: str) -> "TrainerRecord | None":
        """The record, or None when the file cannot prove anything (empty, a bare number
        from an older version, garbage)."""
        try:
            data = json.loads(text)
            record = cls(int(data["pid"]), data.get("start_ticks"), list(data["cmdline"]))
        except (ValueError, TypeError, KeyError):
            return None
        return record if record.pid > 0 else None

    def dump(self) -> str:
        return json.dumps(
            {"pid": self.pid, "start_ticks": self.start_ticks, "cmdline": self.cmdline}
        )

    def is_running(self) -> bool:
        """Whether the process with this pid is still the recorded one: its start time
        matches, or where none was recorded, its command line does."""
        if self.start_ticks is not None:
            return _start_ticks(self.pid) == self.start_ticks
        return bool(self.cmdline) and _cmdline(self.pid) == self.cmdline


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return None if fields[0] == "Z" else int(fields[19])


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


@dataclass
class _Process:
    popen: subprocess.Popen[bytes]
    started_at: datetime
    gpus: list[int]
    finished_at: datetime | None = None


def detect_gpus() -> list[int]:
    """Indices of the CUDA devices this machine has (none on a CPU-only machine)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [int(i) for i in visible.split(",") if i.strip().isdigit()]
    try:
        import torch

        return list(range(torch.cuda.device_count()))
    except ImportError:
        return []


class LocalExecutor:
    def __init__(self, store: CampaignStore, gpus: list[int] | None = None) -> None:
        self.store = store
        self.free_gpus = list(detect_gpus() if gpus is None else gpus)
        self.processes: dict[str, _Process] = {}

    def kill_stale(self, names: list[str]) -> None:
        """Stop trainer processes that outlived a previous `kintern run` (after a kill):
        only a process the pid file proves is that trainer (same pid, same start time),
        never pid 0 (this very process group) nor a process that reused the pid."""
        for name in names:
            pid_file = self.store.run_dir(name) / "pid"
            if not pid_file.exists():
                continue
            record = TrainerRecord.parse(pid_file.read_text())
            if record is not None and record.is_running():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(record.pid, signal.SIGKILL)
            elif record is None:
                log.warning("run %s: pid file %s proves no process; left alone", name, pid_file)
            pid_file.unlink()

    def launch(self, request: RunRequest, gpus: int) -> None:
        name = request.run_name
        run_dir = self.store.run_dir(name)
        request_path = run_dir / "request.yaml"
        request_path.write_text(yaml.safe_dump(request.to_dict(), sort_keys=False))
        (run_dir / "result.json").unlink(missing_ok=True)
        taken = self.free_gpus[:gpus]
        del self.free_gpus[: len(taken)]
        env = trainer_environment(os.environ) | {"CUDA_VISIBLE_DEVICES": ",".join(map(str, taken))}
        env.setdefault("TRACKIO_DIR", str(self.store.root / "trackio"))
        command = [sys.executable, "-m", "kintern", *train_arguments(len(taken))]
        command += ["--request", str(request_path)]
        with (run_dir / "train.log").open("wb") as log:
            popen = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        (run_dir / "pid").write_text(TrainerRecord.of(popen.pid, command).dump())
        self.processes[name] = _Process(popen, datetime.now(UTC), taken)

    def workloads(self) -> dict[str, Workload]:
        return {name: self._observe(name, p) for name, p in self.processes.items()}

    def _observe(self, name: str, process: _Process) -> Workload:
        code = process.popen.poll()
        if code is None:
            return Workload(name, started_at=process.started_at)
        if process.finished_at is None:
            process.finished_at = datetime.now(UTC)
            self.free_gpus.extend(process.gpus)
            (self.store.run_dir(name) / "pid").unlink(missing_ok=True)
        return Workload(
            name,
            started_at=process.started_at,
            finished_at=process.finished_at,
            succeeded=code == 0,
            failure_reason=None if code == 0 else _reason(code),
            termination_message=self._termination_message(name, code),
        )

    def _termination_message(self, name: str, code: int) -> str | None:
        run_dir = self.store.run_dir(name)
        result = run_dir / "result.json"
        if result.exists():
            return result.read_text()
        if code == 0:
            return None
        log = run_dir / "train.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def stop(self, name: str, grace_seconds: float = 10) -> None:
        process = self.processes.get(name)
        if process is None or process.popen.poll() is not None:
            return
        _signal_group(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while process.popen.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if process.popen.poll() is None:
            _signal_group(process.popen.pid, signal.SIGKILL)
            process.popen.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    @property
    def live(self) -> int:
        return sum(1 for p in self.processes.values() if p.popen.poll() is None)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _reason(code: int) -> str:
    if code == -signal.SIGKILL:
        return Reason.OOM_KILLED
    if code < 0:
        return Reason.TERMINATED
    return Reason.ERROR
