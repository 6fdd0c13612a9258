"""bench/kueue_admission.py at a small size on the session's Kueue cluster: the lab's queues
of examples/kueue/queues.yaml apply, every run is admitted by Kueue and then Running, and
the benchmark prints each figure. Timings are not asserted; bench/README.md has the
full-size command and figures."""

import json
import subprocess
import sys

import pytest

from tests.support.cluster import REPO_ROOT

pytestmark = pytest.mark.cluster
FIGURES = (
    "admitted by Kueue: 6; Running after admission: 6",
    "admission to Running: p50",
    "admission to Job unsuspended (Kueue): p50",
    "Job unsuspended to Running (operator): p50",
    "wall time:",
)


def test_the_kueue_admission_benchmark_runs_and_reports_every_figure(kueue_cluster, tmp_path):
    figures_path = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "kueue_admission.py"),
            f"--kubeconfig={kueue_cluster.kubeconfig}",
            "--runs=6",
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
        assert figure in done.stdout, f"{figure!r} missing from:\n{done.stdout}"
    figures = json.loads(figures_path.read_text())
    assert figures["admission_to_running"]["runs"] == 6


def test_the_queue_backed_example_campaign_is_valid(kueue_cluster, kueue_queue):
    queue = kueue_queue(gpus=8)
    example = REPO_ROOT / "examples" / "kueue" / "campaign.yaml"
    applied = kueue_cluster.kubectl(
        "apply", "--dry-run=server", "-n", queue.namespace, "-f", str(example)
    )
    expected = "posttrainingcampaign.kintern.dev/qwen3-gpqa-queued created (server dry run)"
    assert expected in applied.stdout
