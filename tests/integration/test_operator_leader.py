"""Two operator replicas: one leads and acts, the other waits; when the leader dies the
standby takes over, and nothing is done twice."""

import pytest
from kubernetes import client

from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, result_message
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


def _holder(cluster, namespace) -> str | None:
    try:
        lease = client.CoordinationV1Api(cluster.api).read_namespaced_lease(
            "kintern-operator", namespace
        )
    except client.ApiException:
        return None
    return lease.spec.holder_identity


def test_only_the_leader_acts_and_the_standby_takes_over(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    first = OperatorProcess(cluster.kubeconfig, namespace, tmp_path / "a").start()
    eventually(lambda: _holder(cluster, namespace), "a leader")
    leader = _holder(cluster, namespace)
    second = OperatorProcess(cluster.kubeconfig, namespace, tmp_path / "b").start()
    try:
        admin.create_campaign(**{"budget.maxConcurrentRuns": 1})
        admin.wait_campaign("Running")
        admin.create_run("demo-r001")
        admin.wait_run("demo-r001", "Running")
        assert "became leader" not in second.logs()
        assert _holder(cluster, namespace) == leader
        first.kill()
        eventually(lambda: "became leader" in second.logs(), "the standby to lead", 30)
        with FakeTrainer(
            cluster.api, namespace, {"trun-demo-r001": Outcome(0, result_message(0.5))}
        ):
            admin.wait_run("demo-r001", "Succeeded")
        assert _holder(cluster, namespace) != leader
        second.stop()  # a clean stop gives the Lease up at once
        assert not _holder(cluster, namespace)
    finally:
        first.stop()
        second.stop()
    jobs = client.BatchV1Api(cluster.api).list_namespaced_job(namespace).items
    assert sorted(j.metadata.name for j in jobs) == ["demo-agent", "trun-demo-r001"]
