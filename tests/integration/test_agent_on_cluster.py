"""The agent on the real control plane, acting with its campaign's ServiceAccount token:
it creates runs, reads their results, saves its memory and progress, and a call it is
not allowed to make fails cleanly. The model is scripted; everything else is real."""

import itertools

import pytest
from kubernetes import client

from kintern.api import API_VERSION, GROUP, VERSION
from kintern.api.ownership import run_owner_reference
from kintern.api.run import TrainingRunSpec
from kintern.core.backend import BackendError
from kintern_agent.agent import FINISHED
from kintern_agent.backends.kubernetes import FIELD_MANAGER as AGENT_FIELD_MANAGER
from kintern_agent.backends.kubernetes import KubernetesBackend
from kintern_agent.display import LogDisplay
from kintern_agent.factory import build_agent
from kintern_agent.messages import Message
from kintern_agent.providers.scripted import ScriptedModel, call
from kintern_agent.tools import ResearchContext
from kintern_agent.tools.context import SystemClock
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, agent_identity, result_message
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster

PROPOSE = call(
    "create_training_run",
    recipe="sft",
    rationale="A first small SFT run.",
    datasets=[{"name": "data/train.jsonl"}],
    hours=1,
)


def follow_the_run(messages: list[Message]):
    """Waits until demo-r001 has finished, reads it, then finishes."""
    last = next(m for m in reversed(messages) if m.role == "tool")
    if last.tool_name == "get_run":
        return call("finish", summary="demo-r001 reached 0.41.")
    if "demo-r001 | sft | Succeeded" in last.text:
        return call("get_run", name="demo-r001")
    return call("wait_for_runs", names=["demo-r001"], timeout_minutes=1)


def test_the_agent_with_its_own_token_runs_a_campaign_step(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign()
        admin.wait_campaign("Running")
        core = client.CoreV1Api(cluster.api)
        eventually(
            lambda: core.read_namespaced_config_map("demo-agent-state", namespace),
            "the agent's state ConfigMap",
        )
        agent_api = cluster.service_account_client(namespace, agent_identity())
        backend = KubernetesBackend("demo", namespace, agent_api)
        model = ScriptedModel(itertools.chain([PROPOSE], itertools.repeat(follow_the_run)))
        agent = build_agent(
            backend.campaign(),
            backend,
            trace_dir=tmp_path / "trace",
            model=model,
            research=ResearchContext.from_env({}),
            clock=SystemClock(),
            poll_s=0.5,
            display=LogDisplay(),
            environ={},
        )
        trained = Outcome(0, result_message(0.41, "/checkpoints/demo-r001"), after_seconds=1)
        with FakeTrainer(cluster.api, namespace, {"trun-demo-r001": trained}):
            outcome = agent.run()

        assert outcome.status == FINISHED, outcome.summary
        run = admin.run("demo-r001")
        assert run["metadata"]["labels"]["kintern.dev/campaign"] == "demo"
        assert run["status"]["result"]["score"]["value"] == 0.41
        seen = [m.text for m in model.calls[-1] if m.tool_name == "get_run"]
        assert "accuracy 0.4100" in seen[0]
        status = admin.campaign()["status"]
        assert status["usage"]["agentIterations"] == outcome.iterations
        assert status["agentDone"] is True and status["agentSummary"] == "demo-r001 reached 0.41."
        saved = core.read_namespaced_config_map("demo-agent-state", namespace).data["state"]
        assert saved.startswith("gzip+base64:")
        assert '"done": true' in backend.load_state()

        with pytest.raises(BackendError, match=r"\(forbidden\)"):
            KubernetesBackend("other", namespace, agent_api).campaign()
        with pytest.raises(BackendError, match=r"\(forbidden\)"):
            KubernetesBackend("other", namespace, agent_api).save_state("{}")


def _spec() -> TrainingRunSpec:
    return TrainingRunSpec.model_validate(
        {
            "campaign": "demo",
            "recipe": "sft",
            "rationale": "A first small SFT run.",
            "datasets": [{"name": "data/train.jsonl"}],
            "resources": {"hours": 1},
        }
    )


def _metadata_writers(run: dict) -> list[tuple[str, str]]:
    """(manager, operation) of every writer of a run's metadata (not its status); a create
    counts as an Update."""
    return [
        (f["manager"], f["operation"])
        for f in run["metadata"].get("managedFields") or []
        if not f.get("subresource") and "f:metadata" in (f.get("fieldsV1") or {})
    ]


def test_a_run_the_agent_creates_is_its_campaigns_without_an_operator_patch(
    cluster, namespace, tmp_path
):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        uid = admin.create_campaign()["metadata"]["uid"]
        admin.wait_campaign("Running")
        agent_api = cluster.service_account_client(namespace, agent_identity())
        KubernetesBackend("demo", namespace, agent_api).create_run("demo-r001", _spec())
        # Once the operator has approved it, it has planned from it (adoption comes first).
        run = eventually(lambda: _approved(admin.run("demo-r001")), "demo-r001 approved")

    assert run["metadata"]["ownerReferences"] == [run_owner_reference("demo", uid)]
    assert run["metadata"]["labels"]["kintern.dev/campaign"] == "demo"
    # Only the agent ever wrote the run's metadata: the operator had nothing to patch.
    assert _metadata_writers(run) == [(AGENT_FIELD_MANAGER, "Update")]


def _approved(run: dict) -> dict | None:
    approved = next(
        (c for c in (run.get("status") or {}).get("conditions") or [] if c["type"] == "Approved"),
        None,
    )
    return run if approved and approved["status"] == "True" else None


def _refuse_owner_references_from_agents(namespace: str, admission) -> str:
    """A policy that refuses agents' runs carrying owner references (with 403, as the
    OwnerReferencesPermissionEnforcement plugin does for clients that cannot delete runs)."""
    name = f"no-owner-refs-{namespace}"[:63]
    admission.create_validating_admission_policy(
        {
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": [GROUP],
                            "apiVersions": ["*"],
                            "operations": ["CREATE"],
                            "resources": ["trainingruns"],
                        }
                    ]
                },
                "matchConditions": [
                    {
                        "name": "agent",
                        "expression": "request.userInfo.username.startsWith("
                        f"'system:serviceaccount:{namespace}:kintern-agent-')",
                    }
                ],
                "validations": [
                    {
                        "expression": "!has(object.metadata.ownerReferences)",
                        "message": "cannot set an ownerRef on a resource you can't delete",
                        "reason": "Forbidden",
                    }
                ],
            },
        }
    )
    admission.create_validating_admission_policy_binding(
        {
            "metadata": {"name": name},
            "spec": {
                "policyName": name,
                "validationActions": ["Deny"],
                "matchResources": {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
                },
            },
        }
    )
    return name


def test_where_owner_references_are_refused_the_agents_run_is_adopted(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    admission = client.AdmissionregistrationV1Api(cluster.api)
    policy = _refuse_owner_references_from_agents(namespace, admission)
    try:
        with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
            uid = admin.create_campaign()["metadata"]["uid"]
            admin.wait_campaign("Running")
            agent_api = cluster.service_account_client(namespace, agent_identity())
            agent = KinternApi(agent_api, namespace)
            eventually(lambda: _refused(agent, uid), "the policy refusing owner references")
            backend = KubernetesBackend("demo", namespace, agent_api)
            created = backend.create_run("demo-r001", _spec())
            assert created.metadata.get("ownerReferences") is None
            run = eventually(lambda: _owned(admin.run("demo-r001")), "demo-r001 adopted")
    finally:
        admission.delete_validating_admission_policy_binding(policy)
        admission.delete_validating_admission_policy(policy)
    assert run["metadata"]["ownerReferences"] == [run_owner_reference("demo", uid)]


def _owned(run: dict) -> dict | None:
    return run if run["metadata"].get("ownerReferences") else None


def _refused(agent: KinternApi, uid: str) -> bool:
    """Whether the apiserver now refuses (dry run) an owned run from the agent."""
    body = {
        "apiVersion": API_VERSION,
        "kind": "TrainingRun",
        "metadata": {"name": "probe", "ownerReferences": [run_owner_reference("demo", uid)]},
        "spec": _spec().to_dict(),
    }
    try:
        agent.custom.create_namespaced_custom_object(
            GROUP, VERSION, agent.namespace, "trainingruns", body, dry_run="All"
        )
    except client.ApiException as e:
        return e.status == 403
    return False
