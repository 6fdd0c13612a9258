"""Planted secrets (the LLM API keys in the campaign's credentials Secret, the Hugging Face
token in its hub token Secret) are used where they must be and appear nowhere else.

A whole campaign runs: the operator, the real agent loop with the keys in its environment
(as the pod gets them) and its own token, research tools that send the HF token to the
hub, runs that succeed and fail. Then everything produced is searched: operator logs and
metrics, every object in the namespace but the Secrets (status, spec, Events, Jobs, pods,
ConfigMaps), the agent's saved memory, its trace, its logs, what the model was shown, and
what the research web received outside the hub's Authorization header.
"""

import json
import logging
import secrets
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kintern_agent.agent import FINISHED
from kintern_agent.backends.kubernetes import KubernetesBackend
from kintern_agent.providers.scripted import ScriptedModel, call
from tests.agent.fake_web import FakeWeb
from tests.agent.helpers import local_endpoints, serve_research
from tests.support.agents import cluster_agent
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, result_message
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
ANTHROPIC = f"sk-ant-api03-{secrets.token_urlsafe(32)}"
OPENAI = f"sk-proj-{secrets.token_urlsafe(32)}"
HF = f"hf_{secrets.token_hex(17)}"
PLANTED = {"ANTHROPIC_API_KEY": ANTHROPIC, "OPENAI_API_KEY": OPENAI, "HF_TOKEN": HF}
DATASET = {"name": "allenai/sciq"}
# Everything a person or a program can read in the namespace, Secrets excepted.
KINDS = "ptc,trun,jobs,pods,events,configmaps,serviceaccounts,roles,rolebindings,leases"
SCRIPT = [
    call("search_papers", query="GPQA fine-tuning"),
    call("read_paper", arxiv_id="2402.03300"),
    call("inspect_dataset", dataset="allenai/sciq"),
    call("model_card", model_id="Qwen/Qwen3-1.7B-Base"),
    call("create_training_run", recipe="sft", rationale="SFT on SciQ.", datasets=[DATASET]),
    call("create_training_run", recipe="sft", rationale="More epochs.", datasets=[DATASET]),
    call("wait_for_runs", names=["demo-r001", "demo-r002"], timeout_minutes=1),
    call("get_run", name="demo-r001"),
    call("get_run", name="demo-r002"),
    call("finish", summary="demo-r001 reached 0.41; demo-r002 could not reach the Hub."),
]
HUB_DENIED = (
    "Traceback (most recent call last):\nhuggingface_hub.errors.HfHubHTTPError: 401 "
    "Client Error: Unauthorized for url: https://huggingface.co/api/datasets/allenai/sciq"
)


def _plant(cluster, namespace: str) -> None:
    core = client.CoreV1Api(cluster.api)
    for name, keys in (
        ("llm-credentials", {"ANTHROPIC_API_KEY": ANTHROPIC, "OPENAI_API_KEY": OPENAI}),
        ("hf-token", {"HF_TOKEN": HF}),
    ):
        core.create_namespaced_secret(namespace, {"metadata": {"name": name}, "stringData": keys})


def test_planted_secrets_appear_nowhere(cluster, namespace, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    _plant(cluster, namespace)
    admin = KinternApi(cluster.api, namespace)
    web = FakeWeb()
    serve_research(web)
    environ = {**PLANTED, **local_endpoints(web)}
    outcomes = {
        "trun-demo-r001": Outcome(0, result_message(0.41), after_seconds=1),
        "trun-demo-r002": Outcome(1, HUB_DENIED, after_seconds=1),
    }
    trace = tmp_path / "trace"
    try:
        with (
            OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as operator,
            FakeTrainer(cluster.api, namespace, outcomes),
        ):
            admin.create_campaign(
                **{
                    "agent.credentialsSecret": "llm-credentials",
                    "output": {"hubRepo": "my-org/qwen3-gpqa", "hubTokenSecret": "hf-token"},
                    "budget.maxConcurrentRuns": 2,
                }
            )
            admin.wait_campaign("Running")
            batch = client.BatchV1Api(cluster.api)
            agent_job = eventually(lambda: _job(batch, namespace, "demo-agent"), "agent Job")
            model = ScriptedModel(SCRIPT)
            backend, agent = cluster_agent(cluster, namespace, model, web, environ, trace)
            assert agent.run().status == FINISHED
            eventually(lambda: admin.campaign()["status"]["agentDone"], "the agent's summary")
            admin.wait_run("demo-r001", "Succeeded")
            admin.wait_run("demo-r002", "Failed")
            metrics = operator.metrics()
        produced = {
            "operator log": operator.log_path.read_text(errors="replace"),
            "operator metrics": metrics,
            "namespace objects": cluster.kubectl("get", KINDS, "-n", namespace, "-o=json").stdout,
            "agent memory": _memory(backend),
            "agent logs": caplog.text,
            "what the model was shown": json.dumps([m.to_dict() for m in model.calls[-1]]),
            "research requests": _requests_but_hub_auth(web),
            **_files(trace),
        }
    finally:
        web.close()

    _assert_secrets_were_in_play(batch, agent_job, web, produced["namespace objects"])
    for where, text in produced.items():
        for name, value in PLANTED.items():
            assert value not in text, f"{name} leaked into {where}"


def _memory(backend: KubernetesBackend) -> str:
    """The agent's saved state, decoded (it is stored gzip + base64)."""
    return backend.load_state() or ""


def _files(directory: Path) -> dict[str, str]:
    return {
        f"trace file {p.relative_to(directory)}": p.read_text(errors="replace")
        for p in directory.rglob("*")
        if p.is_file()
    }


def _requests_but_hub_auth(web: FakeWeb) -> str:
    """What the research web received, the hub's Authorization header left out."""
    seen: list[dict[str, Any]] = []
    for request in web.requests:
        headers = {k: v for k, v in request.headers.items() if k != "authorization"}
        seen.append(
            {"path": request.path, "query": request.query, "headers": headers, "body": request.body}
        )
    return json.dumps(seen)


def _job(batch: client.BatchV1Api, namespace: str, name: str) -> client.V1Job | None:
    jobs = batch.list_namespaced_job(namespace, field_selector=f"metadata.name={name}").items
    return jobs[0] if jobs else None


def _assert_secrets_were_in_play(
    batch: client.BatchV1Api, agent_job: client.V1Job, web: FakeWeb, objects: str
) -> None:
    """The search means something only if the secrets really flowed where they must: the
    hub got the token, the agent's pod the credentials and the trainer's the token, both
    by reference to their Secrets, never as values in a spec."""
    assert f"Bearer {HF}" in {r.headers.get("authorization") for r in web.requests}
    env_from = agent_job.spec.template.spec.containers[0].env_from
    assert env_from[0].secret_ref.name == "llm-credentials"
    namespace = agent_job.metadata.namespace
    trainer = batch.read_namespaced_job("trun-demo-r001", namespace)
    hf_env = {e.name: e for e in trainer.spec.template.spec.containers[0].env}["HF_TOKEN"]
    assert hf_env.value_from.secret_key_ref.name == "hf-token" and hf_env.value is None
    assert "401 Client Error" in objects  # the failed run kept its log tail
