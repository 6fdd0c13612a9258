"""`kintern approve | reject | status` against the real cluster, as a person runs them."""

import os
import subprocess
import sys

import pytest

from tests.support.kintern_api import KinternApi, condition
from tests.support.operator import OperatorProcess

pytestmark = pytest.mark.cluster


def _kintern(cluster, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
    return subprocess.run(
        [sys.executable, "-m", "kintern", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_approve_reject_and_status_commands(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign(**{"approvals.mode": "Manual", "budget.maxConcurrentRuns": 2})
        admin.wait_campaign("Running")
        for name in ("demo-r001", "demo-r002"):
            admin.create_run(name)
            admin.wait_run(name, "AwaitingApproval")
        approve = _kintern(cluster, "approve", "demo-r001", "-n", namespace)
        reject = _kintern(cluster, "reject", "demo-r002", "--reason", "use LoRA", "-n", namespace)
        assert approve.returncode == 0 and reject.returncode == 0, approve.stderr + reject.stderr
        approved = admin.wait_run("demo-r001", "Running")
        rejected = admin.wait_run("demo-r002", "Rejected")
        status = _kintern(cluster, "status", "demo", "-n", namespace)
    assert condition(approved, "Approved")["reason"] == "ApprovedByUser"
    assert "use LoRA" in rejected["status"]["message"]
    assert status.returncode == 0, status.stderr
    assert "demo-r001" in status.stdout and "Running" in status.stdout
    assert "Rejected" in status.stdout
    missing = _kintern(cluster, "approve", "no-such-run", "-n", namespace)
    assert missing.returncode == 1 and "no-such-run" in missing.stderr
