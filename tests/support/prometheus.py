"""A real Prometheus for the end-to-end chart tests, and promtool for the rule checks.

Both are built from the Prometheus Go module by `hack/build-controlplane.sh prometheus`
and cached by version. `PrometheusServer` runs one on a free loopback port, scraping
the given targets every second and evaluating the given rule groups every second.
"""

import os
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from kintern.devcluster.binaries import cache_root
from tests.support.operator import free_port
from tests.support.wait import eventually

PROMETHEUS_VERSION = "v0.316.0"  # the build script's default; tests/chart compares them


def _binary(name: str) -> Path:
    override = os.environ.get(f"KINTERN_{name.upper()}")
    path = Path(override or cache_root() / f"{name}-{PROMETHEUS_VERSION}/{name}")
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(
            f"{name} {PROMETHEUS_VERSION} is not built at {path}: run `make controlplane` "
            "(or `bash hack/build-controlplane.sh prometheus`)"
        )
    return path


def prometheus_binary() -> Path:
    return _binary("prometheus")


def promtool_binary() -> Path:
    return _binary("promtool")


def check_rules(groups: list[dict[str, Any]], workdir: Path) -> subprocess.CompletedProcess[str]:
    """`promtool check rules` on a rule file holding `groups`; returns the finished process."""
    path = workdir / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    return subprocess.run(
        [str(promtool_binary()), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class PrometheusServer:
    """Prometheus scraping `targets` as job `job` (labels as given, honoured), with rules."""

    def __init__(
        self,
        workdir: Path,
        job: str,
        targets: list[str],
        target_labels: dict[str, str],
        rule_groups: list[dict[str, Any]],
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        rules = workdir / "rules.yaml"
        rules.write_text(yaml.safe_dump({"groups": rule_groups}))
        scrape = {
            "job_name": job,
            "honor_labels": True,
            "static_configs": [{"targets": targets, "labels": target_labels}],
        }
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [scrape],
        }
        self.config_path = workdir / "prometheus.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = workdir / "prometheus.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> "PrometheusServer":
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [
                str(prometheus_binary()),
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        eventually(self._ready, "Prometheus to be ready", timeout=60)
        return self

    def _ready(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"prometheus exited {self.popen.returncode}:\n{self.logs()}")
        try:
            return httpx.get(f"{self.url}/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def api(self, path: str, **params: str | list[str]) -> Any:
        """GET /api/v1/`path`; the `data` of a success, AssertionError with the error else."""
        answer = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=30).json()
        if answer.get("status") != "success":
            raise AssertionError(
                f"{path} {params}: {answer.get('errorType')}: {answer.get('error')}"
            )
        return answer["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector `expr` evaluates to now (AssertionError if it does not parse)."""
        data = self.api("query", query=expr)
        if data["resultType"] != "vector":
            raise AssertionError(f"{expr} gave a {data['resultType']}, not a vector")
        return list(data["result"])

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def __enter__(self) -> "PrometheusServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
