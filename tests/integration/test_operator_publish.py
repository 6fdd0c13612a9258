"""The operator on the real control plane publishes a campaign's best model once approved.

When the campaign ends, the operator creates the publish run (owned by the campaign), which
waits for a person in Manual mode; approved with the annotation, its Job runs the trainer on
no GPU with the best run's checkpoint and the Hub token by reference, and the run's result
keeps the checkpoint path and records the Hub URL beside it. The fake trainer plays the
trainer; tests/trainer/test_publish.py runs the real upload against a local Hub server.
"""

import pytest
import yaml

from tests.support.cluster import bound_claim
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, agent_identity, condition, result_message
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
REPO = "my-org/qwen3-toy"


def test_the_best_model_is_published_after_a_person_approves(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    published = {**result_message(0.62, "/checkpoints/demo-r001"), "hubUrl": f"hub/{REPO}"}
    outcomes = {
        "trun-demo-r001": Outcome(0, result_message(0.62, "/checkpoints/demo-r001")),
        "trun-demo-publish": Outcome(0, published),
    }
    with (
        OperatorProcess(cluster.kubeconfig, namespace, tmp_path),
        FakeTrainer(cluster.api, namespace, outcomes),
    ):
        admin.create_campaign(
            **{
                "approvals.mode": "Manual",
                "objective.target": 0.5,
                "output": {"hubRepo": REPO, "hubTokenSecret": "hf-token"},
                # Publishing reads the best run's checkpoint, which must outlive its pod.
                "compute.checkpointVolumeClaim": bound_claim(cluster, namespace),
            }
        )
        admin.wait_campaign("Running")
        agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
        agent.create_run("demo-r001", rationale="first SFT run")
        agent.wait_run("demo-r001", "AwaitingApproval")
        cluster.kubectl("annotate", "-n", namespace, "trun/demo-r001", "kintern.dev/approve=true")
        admin.wait_run("demo-r001", "Succeeded")
        admin.wait_campaign("Succeeded")

        waiting = admin.wait_run("demo-publish", "AwaitingApproval")
        assert waiting["spec"]["recipe"] == "publish"
        assert waiting["spec"]["model"] == "run:demo-r001"
        assert waiting["metadata"]["ownerReferences"][0]["kind"] == "PostTrainingCampaign"
        approved = condition(waiting, "Approved")
        assert approved and approved["reason"] == "AwaitingUser"
        cluster.kubectl(
            "annotate", "-n", namespace, "trun/demo-publish", "kintern.dev/approve=true"
        )
        job = eventually(lambda: _job(admin, namespace), "the publish Job")
        done = admin.wait_run("demo-publish", "Succeeded")

    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["kintern", "train"]
    assert "limits" not in container["resources"], "publishing asks for no GPU"
    env = {e["name"]: e for e in container["env"]}
    assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "hf-token"
    request = yaml.safe_load(env["KINTERN_RUN_REQUEST"]["value"])
    assert request["baseModel"] == "/checkpoints/demo-r001" and request["hubRepo"] == REPO
    assert done["status"]["result"]["checkpoint"] == "/checkpoints/demo-r001"
    assert done["status"]["result"]["hubUrl"] == f"hub/{REPO}"
    assert condition(done, "Approved")["reason"] == "ApprovedByUser"
    assert admin.campaign()["status"]["best"]["run"] == "demo-r001"


def _job(admin: KinternApi, namespace: str):
    from kubernetes import client

    jobs = client.BatchV1Api(admin.api).list_namespaced_job(namespace).items
    found = [j for j in jobs if j.metadata.name == "trun-demo-publish"]
    return client.ApiClient().sanitize_for_serialization(found[0]) if found else None
