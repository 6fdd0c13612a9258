"""Security follow-ups on the real control plane: agent objects someone else created
under the agent's names are not adopted, secrets are redacted from a run's rationale and
log tail, the chart's quota bounds how many runs an agent can create, and a custom script
gets the Hub token only when its run asks."""

import base64
import secrets

import pytest
import yaml
from kubernetes import client

from kintern.api.request import RunRequest
from kintern.core.environment import script_environment
from kintern_agent.agent import FINISHED
from kintern_agent.providers.scripted import ScriptedModel, call
from tests.agent.fake_web import FakeWeb
from tests.agent.helpers import local_endpoints, serve_research
from tests.support.agents import cluster_agent
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.helm import Helm, find, helm_binary
from tests.support.kintern_api import KinternApi, agent_identity, condition, events_for
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
HF = f"hf_{secrets.token_hex(17)}"
OTHER = secrets.token_urlsafe(24)  # a secret with no known shape
SECRETS_RULE = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}


def _agent_conflict(admin: KinternApi) -> dict | None:
    found = condition(admin.campaign(), "AgentRunning")
    return found if found and found["reason"] == "AgentConflict" else None


def _jobs(cluster, namespace) -> list[str]:
    return [
        j.metadata.name for j in client.BatchV1Api(cluster.api).list_namespaced_job(namespace).items
    ]


def test_a_foreign_service_account_under_the_agents_name_is_a_conflict(
    cluster, namespace, tmp_path
):
    core = client.CoreV1Api(cluster.api)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": agent_identity()}})
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign()
        conflict = eventually(lambda: _agent_conflict(admin), "the campaign to report a conflict")
        expected = f"ServiceAccount {agent_identity()} exists but it is not owned by this campaign"
        assert expected in conflict["message"]
        assert "AgentConflict" in events_for(cluster.api, namespace, "demo")
        assert "demo-agent" not in _jobs(cluster, namespace)  # no agent started
        rbac = client.RbacAuthorizationV1Api(cluster.api)
        assert rbac.list_namespaced_role_binding(namespace).items == []  # nothing granted
        # The person removes the stranger; the operator then sets the agent up itself.
        core.delete_namespaced_service_account(agent_identity(), namespace)
        eventually(lambda: "demo-agent" in _jobs(cluster, namespace), "the agent's Job", 60)
    account = core.read_namespaced_service_account(agent_identity(), namespace)
    assert account.metadata.owner_references[0].kind == "PostTrainingCampaign"


def test_a_role_claiming_the_campaign_as_owner_but_granting_more_is_a_conflict(
    cluster, namespace, tmp_path
):
    admin = KinternApi(cluster.api, namespace)
    campaign = admin.create_campaign()  # no operator yet: someone is first to the names
    owner = {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "PostTrainingCampaign",
        "name": "demo",
        "uid": campaign["metadata"]["uid"],
        "controller": True,
    }
    role = {
        "metadata": {"name": agent_identity(), "ownerReferences": [owner]},
        "rules": [SECRETS_RULE],
    }
    rbac = client.RbacAuthorizationV1Api(cluster.api)
    rbac.create_namespaced_role(namespace, role)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        conflict = eventually(lambda: _agent_conflict(admin), "the campaign to report a conflict")
        assert f"Role {agent_identity()} exists but its rules differ" in conflict["message"]
        assert "demo-agent" not in _jobs(cluster, namespace)
    kept = rbac.read_namespaced_role(agent_identity(), namespace)
    assert [r.resources for r in kept.rules] == [["secrets"]]  # left alone, not widened
    assert rbac.list_namespaced_role_binding(namespace).items == []


def test_secrets_are_redacted_from_rationales_and_log_tails(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    web = FakeWeb()
    serve_research(web)
    environ = {"HF_TOKEN": HF, **local_endpoints(web)}
    leaked = f"Traceback (most recent call last):\nValueError: bad login HF_TOKEN={OTHER} {HF}"
    script = [
        call(
            "create_training_run",
            recipe="sft",
            rationale=f"Use my token {HF} to read the gated set.",
            datasets=[{"name": "allenai/sciq"}],
        ),
        call("finish", summary="proposed one run"),
    ]
    try:
        with (
            OperatorProcess(cluster.kubeconfig, namespace, tmp_path / "op"),
            FakeTrainer(cluster.api, namespace, {"trun-demo-r001": Outcome(1, leaked)}),
        ):
            admin.create_campaign()
            admin.wait_campaign("Running")
            _, agent = cluster_agent(
                cluster, namespace, ScriptedModel(script), web, environ, tmp_path / "trace"
            )
            assert agent.run().status == FINISHED
            run = admin.wait_run("demo-r001", "Failed")
    finally:
        web.close()
    assert HF not in run["spec"]["rationale"]
    assert "[redacted HF_TOKEN]" in run["spec"]["rationale"]
    for field in ("logTail", "message"):
        assert HF not in run["status"][field] and OTHER not in run["status"][field], field
    assert "HF_TOKEN=[redacted]" in run["status"]["logTail"]  # the rest of the line stays


def test_the_charts_quota_bounds_the_runs_an_agent_can_create(cluster, namespace, tmp_path):
    values = {"operator.watchNamespaces": [namespace], "objectQuota.trainingRuns": 2}
    (quota,) = find(Helm(helm_binary()).render(values=values), "ResourceQuota")
    client.CoreV1Api(cluster.api).create_namespaced_resource_quota(namespace, quota)
    eventually(
        lambda: (
            client.CoreV1Api(cluster.api)
            .read_namespaced_resource_quota(quota["metadata"]["name"], namespace)
            .status.hard
        ),
        "the quota to be counted",
    )
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign(**{"approvals.mode": "Manual"})
        admin.wait_campaign("Running")
        agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
        agent.create_run("demo-r001")
        agent.create_run("demo-r002")
        with pytest.raises(client.ApiException) as refused:
            agent.create_run("demo-r003")
    assert refused.value.status == 403
    assert "exceeded quota" in refused.value.body


def _env_as_the_kubelet_sets_it(core: client.CoreV1Api, namespace: str, job) -> dict[str, str]:
    """The trainer container's environment, Secret references resolved."""
    env = {}
    for var in job.spec.template.spec.containers[0].env:
        ref = var.value_from and var.value_from.secret_key_ref
        if ref:
            data = core.read_namespaced_secret(ref.name, namespace).data or {}
            env[var.name] = base64.b64decode(data[ref.key]).decode()
        else:
            env[var.name] = var.value
    return env


WANTED = {"trun-demo-plain", "trun-demo-asks"}


def _jobs_if_all(batch: client.BatchV1Api, namespace: str, names: set[str]) -> dict | None:
    jobs = {j.metadata.name: j for j in batch.list_namespaced_job(namespace).items}
    return jobs if names <= jobs.keys() else None


def test_a_custom_script_gets_the_hub_token_only_when_its_run_asks(cluster, namespace, tmp_path):
    core = client.CoreV1Api(cluster.api)
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "hf-token"}, "stringData": {"HF_TOKEN": HF}}
    )
    admin = KinternApi(cluster.api, namespace)
    script = {"inline": "print('prepare the data')"}
    batch = client.BatchV1Api(cluster.api)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign(
            **{
                "output": {"hubRepo": "my-org/qwen3-gpqa", "hubTokenSecret": "hf-token"},
                "approvals.policy.allowCustomCode": True,
                "approvals.policy.allowedRecipes": ["sft", "custom"],
            }
        )
        admin.create_run("demo-plain", recipe="custom", script=script)
        admin.create_run("demo-asks", recipe="custom", script={**script, "hubToken": True})
        found = eventually(lambda: _jobs_if_all(batch, namespace, WANTED), "both runs' Jobs")
    jobs = {run: found[f"trun-{run}"] for run in ("demo-plain", "demo-asks")}

    for run, job in jobs.items():
        trainer = _env_as_the_kubelet_sets_it(core, namespace, job)
        # The trainer itself holds the token (a gated base model, pushToHub) ...
        assert trainer["HF_TOKEN"] == HF
        # ... and the script it runs gets it only when the run asked, from the same Job.
        request = RunRequest.model_validate(yaml.safe_load(trainer["KINTERN_RUN_REQUEST"]))
        given = script_environment(trainer, request.spec.script.hub_token)
        assert (given.get("HF_TOKEN") == HF) == (run == "demo-asks"), run
        assert "KINTERN_RUN_REQUEST" not in given
