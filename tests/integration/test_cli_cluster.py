"""`kintern approve | reject | status` against the real cluster, as a person runs them;
and the same through kubectl, with the `kubectl-kintern` plugin the package installs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kintern.api.annotations import APPROVE_ANNOTATION
from kintern.devcluster.kubectl import kubectl
from tests.support.cluster import REPO_ROOT
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


# What `pip install .` builds the package from (a copy: the build writes into its tree).
PACKAGE_SOURCES = ("pyproject.toml", "README.md", "kintern", "operator", "agent", "trainer-image")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as pip installs it (its dependencies are this interpreter's): the
    directory holding its modules, with the executables it installs in bin/."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    for name in PACKAGE_SOURCES:
        if (REPO_ROOT / name).is_dir():
            skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
            shutil.copytree(REPO_ROOT / name, source / name, ignore=skip)
        else:
            shutil.copy(REPO_ROOT / name, source / name)
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        check=True, timeout=600,
    )  # fmt: skip
    return target


def _kubectl(
    cluster, installed: Path, *args: str, kubeconfig_env: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """kubectl as a person runs it: the installed package's bin/ on the PATH."""
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig_env or cluster.kubeconfig),
        "PATH": f"{installed / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(installed),  # the installed package, not this checkout
    }
    return subprocess.run(
        [str(kubectl()), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_kubectl_kintern_approves_and_shows_runs(cluster, namespace, installed, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign(**{"approvals.mode": "Manual"})
        admin.wait_campaign("Running")
        admin.create_run("demo-r001")
        admin.wait_run("demo-r001", "AwaitingApproval")
        approve = _kubectl(cluster, installed, "kintern", "approve", "demo-r001", "-n", namespace)
        assert approve.returncode == 0, approve.stderr
        approved = admin.wait_run("demo-r001", "Running")
        # The cluster named by --kubeconfig, as kubectl would take it, not KUBECONFIG's.
        status = _kubectl(
            cluster, installed, "kintern", "status", "demo", "-n", namespace,
            "--kubeconfig", str(cluster.kubeconfig), kubeconfig_env=tmp_path / "elsewhere",
        )  # fmt: skip
    missing = _kubectl(cluster, installed, "kintern", "approve", "no-such-run", "-n", namespace)

    assert approve.stdout.strip() == "trainingrun/demo-r001 approved"
    assert approved["metadata"]["annotations"][APPROVE_ANNOTATION] == "true"
    assert condition(approved, "Approved")["reason"] == "ApprovedByUser"
    assert approved["status"]["approvedBy"]  # recorded by the apiserver, as for kubectl
    assert status.returncode == 0, status.stderr
    assert "demo-r001" in status.stdout and "Running" in status.stdout
    assert missing.returncode == 1 and "no-such-run" in missing.stderr
