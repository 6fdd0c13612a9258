"""kube-apiserver hangs (SIGSTOP: connections are accepted, nothing is answered), then
comes back (SIGCONT). The leader gives leadership up before its Lease can expire, and the
standby leads only after that; a reconcile whose calls hung gives up in bounded time, and
the campaign is reconciled again once the apiserver answers."""

import time

import pytest
from kubernetes import client

from tests.support.kintern_api import KinternApi
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
LEASE_SECONDS = 6  # renewals every 2 s; leadership proven for 4 s after the last one


def _holder(cluster, namespace) -> str | None:
    lease = client.CoordinationV1Api(cluster.api).read_namespaced_lease(
        "kintern-operator", namespace
    )
    return lease.spec.holder_identity


def _exited(operator: OperatorProcess) -> bool:
    return operator.popen is not None and operator.popen.poll() is not None


def test_a_hung_apiserver_ends_leadership_before_the_standby_may_lead(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    settings = {"leader_lease_seconds": LEASE_SECONDS}
    leader = OperatorProcess(cluster.kubeconfig, namespace, tmp_path / "a", **settings).start()
    standby = OperatorProcess(cluster.kubeconfig, namespace, tmp_path / "b", **settings)
    try:
        eventually(lambda: "became leader" in leader.logs(), "the first operator to lead")
        standby.start()
        admin.create_campaign(**{"budget.maxConcurrentRuns": 1})
        admin.wait_campaign("Running")
        cluster.pause_apiserver()
        try:
            paused = time.monotonic()
            # Another replica may take the Lease LEASE_SECONDS after its last renewal:
            # the leader must have stopped by then, with no answer from the apiserver.
            eventually(lambda: _exited(leader), "the leader to give up", LEASE_SECONDS)
            gave_up_after = time.monotonic() - paused
            standby_led = "became leader" in standby.logs()
        finally:
            cluster.resume_apiserver()
        assert leader.popen is not None and leader.popen.returncode == 1, leader.logs()
        assert "lost leadership" in leader.logs()
        assert gave_up_after < LEASE_SECONDS
        assert not standby_led
        eventually(lambda: "became leader" in standby.logs(), "the standby to lead", 30)
        assert _holder(cluster, namespace) not in (None, "")
        admin.create_run("demo-r001")
        admin.wait_run("demo-r001", "Running")  # the new leader acts
    finally:
        leader.stop()
        standby.stop()


def _reconcile_errors(operator: OperatorProcess) -> float:
    for line in operator.metrics().splitlines():
        if line.startswith("kintern_reconcile_errors_total{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_reconcile_whose_calls_hung_is_done_again_after_the_apiserver_answers(
    cluster, namespace, tmp_path
):
    admin = KinternApi(cluster.api, namespace)
    # A long Lease keeps leadership through the hang; calls give up after 2 s.
    operator = OperatorProcess(
        cluster.kubeconfig,
        namespace,
        tmp_path,
        leader_lease_seconds=120,
        api_read_timeout_seconds=2,
    )
    with operator:
        admin.create_campaign(**{"budget.deadline": "15s"})
        admin.wait_campaign("Running")
        before = _reconcile_errors(operator)
        cluster.pause_apiserver()
        try:
            # The deadline passes while the apiserver hangs: the resync's reconcile (every
            # second, from what the watch showed) ends the campaign, its writes hang, and
            # it must give up rather than hold the campaign's key for as long.
            eventually(
                lambda: _reconcile_errors(operator) > before,
                "a reconcile to give up on the hung apiserver",
                45,
            )
        finally:
            cluster.resume_apiserver()
        ended = admin.wait_campaign("Succeeded", "Failed")
        assert "deadline 15s passed" in ended["status"]["message"]
        assert operator.popen is not None and operator.popen.poll() is None, operator.logs()
