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

    def start(self) -> "OperatorProcess":
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
        eventually(self._live, "the operator's liveness endpoint", timeout=60)
        return self

    def _live(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"the operator exited {self.popen.returncode}:\n{self.logs()}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.liveness_port}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

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
