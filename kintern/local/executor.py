"""Runs approved TrainingRuns as local `kintern train` processes, one GPU set each.

Each run gets its own process group, log file and pid file; the result the trainer writes
to result.json plays the part of a pod's termination message.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import yaml

from kintern.api.request import RunRequest
from kintern.core.requests import train_arguments
from kintern.core.workload import Workload
from kintern.local.store import CampaignStore

LOG_TAIL_LINES = 30


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
        """Stop trainer processes that outlived a previous `kintern run` (after a kill)."""
        for name in names:
            pid_file = self.store.run_dir(name) / "pid"
            if not pid_file.exists():
                continue
            pid = int(pid_file.read_text() or 0)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            pid_file.unlink()

    def launch(self, request: RunRequest, gpus: int) -> None:
        name = request.run_name
        run_dir = self.store.run_dir(name)
        request_path = run_dir / "request.yaml"
        request_path.write_text(yaml.safe_dump(request.to_dict(), sort_keys=False))
        (run_dir / "result.json").unlink(missing_ok=True)
        taken = self.free_gpus[:gpus]
        del self.free_gpus[: len(taken)]
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": ",".join(map(str, taken))}
        env.setdefault("TRACKIO_DIR", str(self.store.root / "trackio"))
        command = [sys.executable, "-m", "kintern", *train_arguments(len(taken))]
        command += ["--request", str(request_path)]
        with (run_dir / "train.log").open("wb") as log:
            popen = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        (run_dir / "pid").write_text(str(popen.pid))
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

    def forget(self, name: str) -> None:
        self.processes.pop(name, None)

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
        return "OOMKilled"
    if code < 0:
        return "Terminated"
    return "Error"
