"""kube-apiserver stopped under a working operator and started again: the same operator
process, still the leader, picks up where it was. Runs that ended while the apiserver was
away are read back and charged, runs proposed afterwards are admitted and launched, and
nothing is duplicated.

The apiserver is down for a few seconds, less than the operator's renew deadline (20 s
of a 30 s Lease: stopping and starting it again takes more than 10 s on a loaded 2-core
machine): a longer outage makes it give leadership up and exit, which the unit tests of
the leader (tests/unit/test_leader_outage.py) and tests/integration/test_operator_hang.py
cover.
"""

import time

import pytest

from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, agent_identity, result_message
from tests.support.operator import OperatorProcess
from tests.support.recorder import Recorder
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
GPUS = 2
BEFORE, AFTER = ["demo-r000", "demo-r001"], ["demo-r002", "demo-r003"]
DOWN_SECONDS = 4


def test_the_operator_recovers_when_the_apiserver_comes_back(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    # The first two pods end while the apiserver is away (the fake trainer waits it out).
    outcomes = {f"trun-{r}": Outcome(0, result_message(0.3), after_seconds=3) for r in BEFORE}
    outcomes |= {f"trun-{r}": Outcome(0, result_message(0.4), after_seconds=1) for r in AFTER}
    operator = OperatorProcess(cluster.kubeconfig, namespace, tmp_path, leader_lease_seconds=30)
    with (
        Recorder(cluster.api, namespace) as seen,
        operator,
        FakeTrainer(cluster.api, namespace, outcomes),
    ):
        admin.create_campaign(**{"budget.maxConcurrentRuns": 2, "compute.gpusPerRun": GPUS})
        admin.wait_campaign("Running")
        agent_api = cluster.service_account_client(namespace, agent_identity())
        for name in BEFORE:
            KinternApi(agent_api, namespace).create_run(name)
        for name in BEFORE:
            admin.wait_run(name, "Running")
        _outage(cluster, DOWN_SECONDS)
        for name in AFTER:
            KinternApi(agent_api, namespace).create_run(name)
        runs = {name: admin.wait_run(name, "Succeeded", timeout=90) for name in BEFORE + AFTER}
        campaign = eventually(
            lambda: (c := admin.campaign())["status"]["usage"]["runs"]["succeeded"] == 4 and c,
            "the campaign to count every run",
        )
        assert operator.popen is not None and operator.popen.poll() is None, operator.logs()

    assert operator.starts == 1  # the same process recovered; nobody restarted it
    for name, run in runs.items():
        job = f"trun-{name}"
        assert seen.job_uids(job) == 1 and len(seen.pods_of(job)) == 1, job
        assert run["status"]["gpuHours"] == pytest.approx(
            seen.pod_gpu_hours(GPUS, job), abs=1e-6
        ), job
    assert campaign["status"]["usage"]["gpuHours"] == pytest.approx(
        seen.pod_gpu_hours(GPUS), abs=1e-3
    )


def _outage(cluster, seconds: float) -> None:
    """Stop the apiserver, keep it away for `seconds`, start it again and wait until ready."""
    cluster.stop_apiserver()
    try:
        time.sleep(seconds)
    finally:
        cluster.start_apiserver()
