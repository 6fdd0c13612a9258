"""The operator as a real process for integration tests: started, killed, restarted.

It runs `kintern operator` exactly as a user would, with its own metrics port, watching
one namespace, with short resync and lease times so tests move quickly.
"""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType

import httpx

from tests.support.wait import eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortTaken(RuntimeError):
    """The operator exited because one of its ports was taken after it was picked."""


class OperatorProcess:
    def __init__(
        self, kubeconfig: Path, namespace: str, log_dir: Path, **settings: str | int | float
    ) -> None:
        self.kubeconfig, self.namespace = kubeconfig, namespace
        self.metrics_port, self.liveness_port = free_port(), free_port()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"operator-{namespace}.log"
        self.settings = {
            "KINTERN_RESYNC_SECONDS": "1",
            "KINTERN_METRICS_PORT": str(self.metrics_port),
            "KINTERN_LEADER_LEASE_NAMESPACE": namespace,
            "KINTERN_LEADER_LEASE_SECONDS": "3",
            **{f"KINTERN_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, attempts: int = 3) -> "OperatorProcess":
        """Start it and wait until /healthz and /metrics answer. A port another process
        took since it was picked costs one more attempt on new ports."""
        for attempt in range(attempts):
            try:
                return self._start_once()
            except PortTaken:
                if attempt == attempts - 1:
                    raise
                self.metrics_port, self.liveness_port = free_port(), free_port()
                self.settings["KINTERN_METRICS_PORT"] = str(self.metrics_port)
        raise AssertionError("unreachable")

    def _start_once(self) -> "OperatorProcess":
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), **self.settings}
        argv = [
            sys.executable,
            "-m",
            "kintern",
            "operator",
            "-n",
            self.namespace,
            "--liveness-port",
            str(self.liveness_port),
            "--plain-logs",
        ]
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        eventually(self._live, "the operator's liveness and metrics endpoints", timeout=60)
        return self

    def _live(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            logs = self.logs()
            if "Address already in use" in logs[-2000:]:
                raise PortTaken(logs)
            raise RuntimeError(f"the operator exited {self.popen.returncode}:\n{logs}")
        try:
            live = httpx.get(f"http://127.0.0.1:{self.liveness_port}/healthz").status_code
            scraped = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics").status_code
        except httpx.HTTPError:
            return False
        return live == scraped == 200

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, like a node failure."""
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics").text

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def __enter__(self) -> "OperatorProcess":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
