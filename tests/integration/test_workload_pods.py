"""What the operator's own pods look like to the cluster: the agent's and the trainers'
Jobs are admitted in a namespace that enforces the `restricted` Pod Security Standard,
and a run that reads another run's checkpoint fails at once, with the reason, when the
campaign's runs share no volume (their checkpoints would die with their pods)."""

import pytest
from kubernetes import client

from tests.support.kintern_api import KinternApi, agent_identity, condition, events_for
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}


@pytest.fixture
def operator(cluster, namespace, tmp_path):
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as process:
        yield process


def _pods(cluster, namespace: str, component: str) -> list[client.V1Pod]:
    selector = f"app.kubernetes.io/component={component}"
    return (
        client.CoreV1Api(cluster.api).list_namespaced_pod(namespace, label_selector=selector).items
    )


def test_agent_and_trainer_pods_are_admitted_under_restricted_pod_security(
    cluster, namespace, operator
):
    cluster.kubectl("label", "namespace", namespace, *(f"{k}={v}" for k, v in RESTRICTED.items()))
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign(**{"approvals.mode": "Auto", "compute.checkpointVolumeClaim": "ckpt"})
    eventually(lambda: _pods(cluster, namespace, "agent"), "the agent's pod", timeout=60)

    agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
    agent.create_run("demo-r001", rationale="one SFT run")
    trainer = eventually(lambda: _pods(cluster, namespace, "trainer"), "the trainer's pod")[0]

    security = trainer.spec.security_context
    assert security.run_as_non_root and security.fs_group == 65532
    events = cluster.kubectl("get", "events", "-n", namespace).stdout
    assert "violates PodSecurity" not in events
    # The namespace does enforce it: a pod without these settings is refused.
    refused = cluster.kubectl("run", "bare", "--image=busybox", "-n", namespace, check=False)
    assert "violates PodSecurity" in refused.stderr


def test_a_checkpoint_reference_without_a_shared_volume_fails_at_once(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign(**{"approvals.mode": "Auto"})  # no checkpointVolumeClaim
    eventually(lambda: _pods(cluster, namespace, "agent"), "the agent's pod", timeout=60)
    agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
    agent.create_run("demo-r001", recipe="eval", model="run:demo-r000", rationale="eval it")

    failed = agent.wait_run("demo-r001", "Failed")
    assert failed["status"]["failureReason"] == "CheckpointsNotShared"
    assert "spec.compute.checkpointVolumeClaim" in failed["status"]["message"]
    assert condition(failed, "Approved")["status"] == "True"
    assert "CheckpointsNotShared" in events_for(cluster.api, namespace, "demo-r001")
    jobs = client.BatchV1Api(cluster.api).list_namespaced_job(namespace).items
    assert not [j for j in jobs if j.metadata.name.startswith("trun-")]
