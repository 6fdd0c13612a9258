"""Conflicts: objects someone else created first under the operator's names (409 on
create), and other writers changing the same objects while the operator works."""

import threading

import pytest
from kubernetes import client

from kintern_agent.backends.kubernetes import KubernetesBackend
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, agent_identity, condition, result_message
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually
from tests.support.workloads import gpu_job

pytestmark = pytest.mark.cluster
LOOKALIKE_LABELS = {"kintern.dev/campaign": "demo", "app.kubernetes.io/component": "trainer"}


def _precreate(cluster, namespace) -> dict[str, str]:
    """A plain Job and a look-alike with the operator's labels, under two runs' Job names.
    Returns the Jobs' uids. (Agent objects created first by someone else:
    tests/integration/test_operator_security.py.)"""
    batch = client.BatchV1Api(cluster.api)
    plain = gpu_job("trun-demo-r001", gpus=8)
    lookalike = gpu_job("trun-demo-r002", gpus=8)
    lookalike["metadata"]["labels"] = LOOKALIKE_LABELS
    lookalike["spec"]["template"]["metadata"] = {"labels": LOOKALIKE_LABELS}
    uids = {}
    for job in (plain, lookalike):
        created = batch.create_namespaced_job(namespace, job)
        uids[job["metadata"]["name"]] = created.metadata.uid
    return uids


def test_objects_created_first_by_someone_else_are_not_adopted(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    foreign = _precreate(cluster, namespace)
    # Both foreign pods would claim a score above the target if they were taken for runs.
    outcomes = {
        "trun-demo-r001": Outcome(0, result_message(0.99), after_seconds=0.5),
        "trun-demo-r002": Outcome(0, result_message(0.99), after_seconds=0.5),
        "trun-demo-r003": Outcome(0, result_message(0.41), after_seconds=0.5),
    }
    with (
        OperatorProcess(cluster.kubeconfig, namespace, tmp_path),
        FakeTrainer(cluster.api, namespace, outcomes),
    ):
        admin.create_campaign(**{"budget.maxConcurrentRuns": 3})
        admin.wait_campaign("Running")
        agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
        for name in ("demo-r001", "demo-r002", "demo-r003"):
            agent.create_run(name)
        refused = [admin.wait_run(n, "Failed") for n in ("demo-r001", "demo-r002")]
        admin.wait_run("demo-r003", "Succeeded")
        campaign = eventually(
            lambda: (c := admin.campaign())["status"]["usage"]["runs"]["succeeded"] == 1 and c,
            "the campaign to count its one real run",
        )

    for run in refused:
        assert run["status"]["failureReason"] == "JobConflict"
        assert "already exists and was not created for this run" in run["status"]["message"]
        assert run["status"]["gpuHours"] == 0
    assert campaign["status"]["best"]["score"] == 0.41
    assert campaign["status"]["phase"] == "Running"  # the 0.99 of a foreign pod counts nowhere
    assert campaign["status"]["usage"]["gpuHours"] == pytest.approx(
        admin.run("demo-r003")["status"]["gpuHours"], abs=1e-4
    )
    batch = client.BatchV1Api(cluster.api)
    for name, uid in foreign.items():
        assert batch.read_namespaced_job(name, namespace).metadata.uid == uid  # left alone


def test_the_agent_writing_status_alongside_the_operator_loses_nothing(
    cluster, namespace, tmp_path
):
    admin = KinternApi(cluster.api, namespace)
    runs = [f"demo-r{i:03d}" for i in range(4)]
    outcomes = {
        f"trun-{r}": Outcome(0, result_message(round(0.3 + i / 100, 2)), after_seconds=1.0)
        for i, r in enumerate(runs)
    }
    with (
        OperatorProcess(cluster.kubeconfig, namespace, tmp_path),
        FakeTrainer(cluster.api, namespace, outcomes),
    ):
        admin.create_campaign(**{"budget.maxConcurrentRuns": 4})
        admin.wait_campaign("Running")
        agent_api = cluster.service_account_client(namespace, agent_identity())
        backend = KubernetesBackend("demo", namespace, agent_api)
        stop, written = threading.Event(), []
        writer = threading.Thread(target=_report_until, args=(backend, stop, written))
        writer.start()
        try:
            for name in runs:
                KinternApi(agent_api, namespace).create_run(name)
            for name in runs:
                admin.wait_run(name, "Succeeded")
            campaign = eventually(
                lambda: (c := admin.campaign())["status"]["usage"]["runs"]["succeeded"] == 4 and c,
                "the campaign to count every run",
            )
        finally:
            stop.set()
            writer.join()
        status = admin.campaign()["status"]

    assert len(written) > 20, "the agent wrote its progress only a few times"
    assert status["usage"]["agentIterations"] == written[-1]
    assert status["usage"]["agentTokens"] == written[-1] * 100
    assert campaign["status"]["best"] == {
        "score": 0.33,
        "run": "demo-r003",
        "model": "/checkpoints/x",
    }
    assert condition(campaign, "AgentRunning") is not None


def _report_until(backend: KubernetesBackend, stop: threading.Event, written: list[int]) -> None:
    """The agent's progress, written as fast as the apiserver takes it, until `stop`."""
    iteration = 0
    while not stop.is_set():
        iteration += 1
        backend.report_progress(iteration, iteration * 100, 0.0)
        written.append(iteration)
