"""The real agent loop on the cluster for tests: the campaign's own ServiceAccount token,
the Kubernetes backend, a scripted model, and research tools pointed at a local web.

    backend, agent = cluster_agent(cluster, namespace, model, web, environ, tmp_path)
    outcome = agent.run()

`environ` plays the agent pod's environment (the credentials Secret's keys land there),
so the redactor and the research tools see what they would see in the pod.
"""

from collections.abc import Callable
from pathlib import Path

from kintern.core.backend import BackendError
from kintern_agent.agent import Agent
from kintern_agent.backends.kubernetes import KubernetesBackend
from kintern_agent.display import LogDisplay
from kintern_agent.factory import build_agent
from kintern_agent.providers.scripted import ScriptedModel
from kintern_agent.tools.context import SystemClock
from tests.agent.fake_web import FakeWeb
from tests.agent.helpers import research_for
from tests.support.cluster import Cluster
from tests.support.kintern_api import agent_identity
from tests.support.wait import eventually


def cluster_agent(
    cluster: Cluster,
    namespace: str,
    model: ScriptedModel,
    web: FakeWeb,
    environ: dict[str, str],
    trace_dir: Path,
    campaign: str = "demo",
) -> tuple[KubernetesBackend, Agent]:
    """An agent for `campaign`, as its pod would run it, once its Role and state exist."""
    api = cluster.service_account_client(namespace, agent_identity(campaign))
    backend = KubernetesBackend(campaign, namespace, api)
    eventually(_can_read(backend), "the agent's Role and state ConfigMap")
    agent = build_agent(
        backend.campaign(),
        backend,
        trace_dir=trace_dir,
        model=model,
        research=research_for(web, environ),
        clock=SystemClock(),
        poll_s=0.5,
        display=LogDisplay(),
        environ=environ,
    )
    return backend, agent


def _can_read(backend: KubernetesBackend) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            backend.campaign()
            backend.load_state()
        except BackendError:
            return False
        return True

    return probe
