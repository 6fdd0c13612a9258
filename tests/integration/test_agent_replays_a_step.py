"""An agent killed after creating a run but before saving its memory replays that step on
restart; on the real apiserver the replayed create meets a 409 and the KubernetesBackend
returns the run that exists: one TrainingRun, the same object, and the model told it was
created. The model is scripted; the apiserver and the backend are real."""

from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kintern.api import GROUP, VERSION
from kintern.api.run import TrainingRun, TrainingRunSpec
from kintern_agent.agent import FINISHED
from kintern_agent.backends.kubernetes import KubernetesBackend
from kintern_agent.display import LogDisplay
from kintern_agent.factory import build_agent
from kintern_agent.providers.scripted import ScriptedModel, call
from kintern_agent.tools import ResearchContext
from kintern_agent.tools.context import SystemClock
from tests.support.kintern_api import KinternApi

pytestmark = pytest.mark.cluster

PROPOSE = call(
    "create_training_run",
    recipe="sft",
    rationale="A first small SFT run.",
    datasets=[{"name": "data/train.jsonl"}],
    hours=1,
)


class Killed(Exception):
    """The agent's pod died (raised from inside the loop by the test)."""


class DiesBeforeSaving(KubernetesBackend):
    """Dies at the first save of memory after a run was created: the step is lost."""

    created = False

    def create_run(self, name: str, spec: TrainingRunSpec) -> TrainingRun:
        run = super().create_run(name, spec)
        self.created = True
        return run

    def save_state(self, state: str) -> None:
        if self.created:
            raise Killed()
        super().save_state(state)


def _record_statuses(backend: KubernetesBackend) -> list[int]:
    """Every error status the apiserver answered the backend's creates with."""
    statuses: list[int] = []
    create = backend.custom.create_namespaced_custom_object

    def recorded(*args: Any, **kwargs: Any) -> Any:
        try:
            return create(*args, **kwargs)
        except ApiException as e:
            statuses.append(e.status)
            raise

    backend.custom.create_namespaced_custom_object = recorded  # type: ignore[method-assign]
    return statuses


def _agent(backend: KubernetesBackend, script: list[Any], tmp_path: Any) -> Any:
    model = ScriptedModel(script)
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
    return agent, model


def test_a_replayed_create_meets_a_409_and_returns_the_run_that_exists(
    cluster, namespace, tmp_path
):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign()
    # Where the operator keeps the agent's memory (no operator runs here: nothing else acts).
    state = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="demo-agent-state"))
    client.CoreV1Api(cluster.api).create_namespaced_config_map(namespace, state)
    first, _ = _agent(DiesBeforeSaving("demo", namespace, cluster.api), [PROPOSE], tmp_path)
    with pytest.raises(Killed):
        first.run()
    created = admin.run("demo-r001")["metadata"]

    backend = KubernetesBackend("demo", namespace, cluster.api)
    assert backend.load_state() is None, "the step that created the run was saved after all"
    statuses = _record_statuses(backend)
    again, model = _agent(backend, [PROPOSE, call("finish", summary="one run")], tmp_path)
    assert again.run().status == FINISHED

    assert statuses == [409], "the replayed step did not meet the run that exists"
    runs = client.CustomObjectsApi(cluster.api).list_namespaced_custom_object(
        GROUP, VERSION, namespace, "trainingruns"
    )["items"]
    assert [r["metadata"]["uid"] for r in runs] == [created["uid"]]
    told = [m.text for m in model.calls[-1] if m.tool_name == "create_training_run"]
    assert "Created run demo-r001" in told[0]
