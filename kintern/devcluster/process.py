"""Starts a component as a detached process with its own log file, and stops exactly
that process later, even from another Python process (`down` reads the state file).

A process is identified by its pid and its start time from /proc, so a pid that the
kernel reused for something else is never signalled.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessRecord:
    """A started component: enough to find its log and to stop it safely."""

    name: str
    pid: int
    start_ticks: int
    log: str

    def alive(self) -> bool:
        """Whether this very process (same pid, same start time) still runs."""
        return _start_ticks(self.pid) == self.start_ticks


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the process that started it dies.

    SIGKILL, not SIGTERM: kube-apiserver's graceful shutdown can hang once etcd is gone,
    and a throwaway test cluster has nothing worth shutting down gracefully."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start(name: str, argv: list[str], log: Path, detach: bool = True) -> ProcessRecord:
    """Run `argv` in its own session, output to `log`. Detached, it outlives the caller
    (`make cluster-up`); attached, it is stopped when the caller dies, even by SIGKILL
    (a test session), so that no component is left behind."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=None if detach else _die_with_parent,
        )
    ticks = _start_ticks(proc.pid)
    return ProcessRecord(name, proc.pid, ticks if ticks is not None else -1, str(log))


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so it does not linger."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(record: ProcessRecord, grace_seconds: float = 10.0) -> None:
    """SIGTERM the process, then SIGKILL it if it is still there after `grace_seconds`."""
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
        if not record.alive():
            return
        os.kill(record.pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _reap(record.pid)
            if not record.alive():
                return
            time.sleep(0.05)


def log_tail(path: str | Path, lines: int = 40) -> str:
    """The last lines of a component's log, for error messages."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
