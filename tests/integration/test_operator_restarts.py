"""Killed at any moment and started again, the operator duplicates nothing and loses nothing.

The kills land at observed moments of the runs' lives (tests/support/moments.py): once a
run's status is written, once a run's Job exists, once a run's pod has started; and one
right after a run is created, before the operator can have decided about it."""

import pytest
from kubernetes import client

from kintern.api.times import parse_time
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, agent_identity, result_message
from tests.support.moments import JOB_EXISTS, POD_STARTED, RUN_CREATED, STATUS_WRITTEN, reach
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
RUNS = 6
GPUS = 2
# After which run's creation the operator is killed, and at which moment of that run.
KILL_AT = {0: RUN_CREATED, 1: STATUS_WRITTEN, 3: JOB_EXISTS, 5: POD_STARTED}


def _pod_gpu_hours(cluster, namespace) -> float:
    """GPU-hours measured independently of the operator, from the pods' own times."""
    pods = (
        client.CoreV1Api(cluster.api)
        .list_namespaced_pod(namespace, label_selector="app.kubernetes.io/component=trainer")
        .items
    )
    total = 0.0
    for pod in pods:
        term = pod.status.container_statuses[0].state.terminated
        total += (term.finished_at - term.started_at).total_seconds() * GPUS / 3600
    return total


def test_operator_killed_mid_flight_creates_no_duplicates(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    operator = OperatorProcess(cluster.kubeconfig, namespace, tmp_path).start()
    admin.create_campaign(
        **{
            "budget.maxConcurrentRuns": 2,
            "budget.maxRuns": RUNS,
            "compute.gpusPerRun": GPUS,
            "objective.target": 0.99,
        }
    )
    admin.wait_campaign("Running")
    agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
    outcome = Outcome(0, result_message(0.4), after_seconds=2.0)
    try:
        outcomes = {f"trun-demo-r{i:03d}": outcome for i in range(RUNS)}
        with FakeTrainer(cluster.api, namespace, outcomes):
            for i in range(RUNS):
                agent.create_run(f"demo-r{i:03d}")
                if i in KILL_AT:
                    reach(cluster.api, namespace, f"demo-r{i:03d}", KILL_AT[i])
                    operator.kill()
                    operator.start()
            for i in range(RUNS):
                admin.wait_run(f"demo-r{i:03d}", "Succeeded", timeout=120)
        campaign = eventually(
            lambda: (c := admin.campaign())["status"]["usage"]["runs"]["succeeded"] == RUNS and c,
            "all runs counted",
        )
    finally:
        operator.stop()
    jobs = (
        client.BatchV1Api(cluster.api)
        .list_namespaced_job(namespace, label_selector="app.kubernetes.io/component=trainer")
        .items
    )
    assert sorted(j.metadata.name for j in jobs) == [f"trun-demo-r{i:03d}" for i in range(RUNS)]
    pods = (
        client.CoreV1Api(cluster.api)
        .list_namespaced_pod(namespace, label_selector="app.kubernetes.io/component=trainer")
        .items
    )
    assert len(pods) == RUNS
    assert operator.starts == 1 + len(KILL_AT)
    used = campaign["status"]["usage"]["gpuHours"]
    assert used == pytest.approx(_pod_gpu_hours(cluster, namespace), abs=1e-3)
    charged = [admin.run(f"demo-r{i:03d}")["status"]["gpuHours"] for i in range(RUNS)]
    assert used == pytest.approx(sum(charged), abs=1e-3)
    assert all(parse_time(admin.run(f"demo-r{i:03d}")["status"]["startTime"]) for i in range(RUNS))
