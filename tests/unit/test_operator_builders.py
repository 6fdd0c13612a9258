"""The operator's manifest builders, without a cluster: what a reviewer checks in a Job."""

import yaml

from kintern.api.request import RunRequest
from kintern.core.requests import build_request
from kintern_operator import naming
from kintern_operator.builders.agent import build_agent_job, build_role
from kintern_operator.builders.training_job import build_training_job
from kintern_operator.settings import OperatorSettings
from tests.support.builders import campaign, run

SETTINGS = OperatorSettings()
H100 = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def _body(obj, kind: str) -> dict:
    return {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": kind,
        "metadata": {**obj.metadata, "uid": "uid-1"},
    }


def _job(queue: str | None = None, hours: float = 1.5, **campaign_overrides):
    c = campaign(
        **{
            "compute.nodeSelector": H100,
            "compute.tolerations": [TOLERATION],
            "compute.gpusPerRun": 2,
            "output.hubTokenSecret": "hf-token",
            **({"compute.queueName": queue} if queue else {}),
            **campaign_overrides,
        }
    )
    r = run("demo-r001", hours=hours)
    request = build_request(r, c, "/checkpoints/demo-r001", {})
    return build_training_job(_body(r, "TrainingRun"), r, c, request, SETTINGS)


def test_training_job_lands_on_the_gpu_pool_with_its_limits():
    job = _job()
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert job["metadata"]["name"] == "trun-demo-r001"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "TrainingRun"
    assert pod["nodeSelector"] == H100
    assert pod["tolerations"] == [TOLERATION]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "2"}
    assert job["spec"]["activeDeadlineSeconds"] == 5400
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["suspend"] is False


def test_training_job_carries_the_request_and_secrets_only_by_reference():
    container = _job()["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    request = RunRequest.model_validate(yaml.safe_load(env["KINTERN_RUN_REQUEST"]["value"]))
    assert request.run_name == "demo-r001"
    assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "hf-token"
    assert "value" not in env["HF_TOKEN"]


def test_kueue_queue_gives_a_suspended_labelled_job():
    job = _job(queue="h100-queue")
    assert job["spec"]["suspend"] is True
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "h100-queue"
    assert "kueue.x-k8s.io/priority-class" not in job["metadata"]["labels"]


def test_a_workload_priority_class_labels_the_job_for_kueue():
    job = _job(queue="h100-queue", **{"compute.workloadPriorityClass": "team-a-high"})
    assert job["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] == "team-a-high"


def test_agent_role_has_no_secrets_jobs_pods_or_logs():
    c = campaign()
    body = _body(c, "PostTrainingCampaign")
    rules = build_role(body)["rules"]
    resources = {res for rule in rules for res in rule["resources"]}
    assert resources == {
        "trainingruns",
        "posttrainingcampaigns",
        "posttrainingcampaigns/status",
        "configmaps",
    }
    assert all(r.get("resourceNames") != [] for r in rules)


def test_agent_job_runs_as_the_campaign_service_account_with_secret_env():
    c = campaign(**{"agent.credentialsSecret": "llm-credentials"})
    job = build_agent_job(_body(c, "PostTrainingCampaign"), c, SETTINGS)
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == naming.agent_service_account("demo")
    assert pod["containers"][0]["envFrom"] == [{"secretRef": {"name": "llm-credentials"}}]


def test_long_names_are_cut_to_label_size_without_collisions():
    a, b = naming.run_job("x" * 80 + "a"), naming.run_job("x" * 80 + "b")
    assert len(a) <= 63 and len(b) <= 63 and a != b


def test_training_job_writes_a_shared_claim_as_the_images_user():
    pod = _job(**{"compute.checkpointVolumeClaim": "ckpt"})["spec"]["template"]["spec"]
    assert pod["volumes"][0] == {
        "name": "checkpoints",
        "persistentVolumeClaim": {"claimName": "ckpt"},
    }
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"] == 65532


def test_agent_and_trainer_pods_meet_the_restricted_pod_security_standard():
    agent = build_agent_job(_body(campaign(), "PostTrainingCampaign"), campaign(), SETTINGS)
    for pod in (agent["spec"]["template"]["spec"], _job()["spec"]["template"]["spec"]):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            }
