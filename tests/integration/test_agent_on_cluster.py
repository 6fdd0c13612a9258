"""The agent on the real control plane, acting with its campaign's ServiceAccount token:
it creates runs, reads their results, saves its memory and progress, and a call it is
not allowed to make fails cleanly. The model is scripted; everything else is real."""

import itertools

import pytest
from kubernetes import client

from kintern.core.backend import BackendError
from kintern_agent.agent import FINISHED
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
