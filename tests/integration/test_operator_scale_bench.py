"""bench/operator_scale.py at a small size on the session's cluster: it completes, every run
gets its Job, and it prints each figure the full-size run reports. Timings are not
asserted (they depend on the machine); bench/README.md has the full-size command."""

import json
import subprocess
import sys

import pytest

from tests.support.cluster import REPO_ROOT

pytestmark = pytest.mark.cluster
FIGURES = (
    "campaigns Running:",
    "runs admitted:",
    "approval to Job latency:",
    "creation to Job latency:",
    "operator peak memory:",
    "operator API requests:",
    "plain client Jobs:",
    "operator / plain client:",
    "apiserver writes, all:",
)


def test_the_scale_benchmark_runs_and_reports_every_figure(cluster, tmp_path):
    figures_path = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "operator_scale.py"),
            f"--kubeconfig={cluster.kubeconfig}",
            "--campaigns=3",
            "--runs=24",
            "--namespaces=2",
            "--timeout=180",
            f"--json={figures_path}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    for figure in FIGURES:
        assert figure in done.stdout, done.stdout
    figures = json.loads(figures_path.read_text())
    assert figures["runs"] == figures["runs_admitted"] == 24
    assert figures["plain_jobs"] == 24
    assert figures["plain_requests_per_job"] == 1.0  # the apiserver counts one create each
    assert figures["operator_requests_per_run"] > 0 and figures["operator_peak_rss_mib"] > 0
    # The plain client's Jobs are at least its creates; each run is at least its create.
    assert figures["writes_per_plain_job"] >= 1 and figures["writes_per_run"] >= 1
    assert 0 < figures["approval_to_job_p50_s"] <= figures["approval_to_job_p99_s"]
