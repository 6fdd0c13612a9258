"""A run whose start model cannot be resolved (`spec.model: run:NAME` names a run with no
checkpoint) fails at launch, and reads the same in local mode and on the cluster: one
applier (`kintern.core.applier`) fails it in both, so the person and the agent see the
same phase, failureReason, message, Failed condition and Warning Event (an Event on the
cluster, a line of trace/events.log in local mode)."""

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from rich.console import Console

from kintern.api.run import TERMINAL_RUN_PHASES, TrainingRunSpec
from kintern.local.backend import LocalBackend
from kintern.local.runner import LocalRunner
from kintern.local.target import EVENTS_LOG
from kintern_operator import naming
from tests.support.builders import campaign
from tests.support.kintern_api import KinternApi, agent_identity
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
RUN = "demo-r001"
RUN_SPEC: dict[str, Any] = {"recipe": "eval", "model": "run:demo-r000", "rationale": "eval it"}
EXPECTED_MESSAGE = "spec.model 'run:demo-r000': run 'demo-r000' has no checkpoint"


def _reading(status: dict[str, Any], warnings: list[tuple[str, str]]) -> dict[str, Any]:
    """What a person or the agent reads about the failed run."""
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    failed = conditions.get("Failed") or {}
    return {
        "phase": status.get("phase"),
        "failureReason": status.get("failureReason"),
        "message": status.get("message"),
        "jobName": status.get("jobName"),
        "observedGeneration": status.get("observedGeneration"),
        "approved": (conditions.get("Approved") or {}).get("status"),
        "failed": (failed.get("status"), failed.get("reason"), failed.get("message")),
        "warnings": warnings,
    }


def _agent_proposing_the_run(backend: LocalBackend, stop: threading.Event) -> Callable[[], str]:
    """A local agent that proposes the run and waits until it has ended."""

    def work() -> str:
        spec = TrainingRunSpec.model_validate({"campaign": "demo", **RUN_SPEC})
        backend.create_run(RUN, spec)
        while backend.get_run(RUN).status.phase not in TERMINAL_RUN_PHASES:
            if stop.wait(0.05):
                break
        return "done"

    return work


def _in_local_mode(directory: Path) -> dict[str, Any]:
    runner = LocalRunner(
        campaign(**{"approvals.mode": "Auto"}),
        directory,
        _agent_proposing_the_run,
        ask=None,
        console=Console(file=io.StringIO()),
        poll_seconds=0.05,
        gpus=[],
    )
    runner.run()
    run = runner.store.run(RUN)
    assert run is not None
    warnings = []
    for line in (directory / "trace" / EVENTS_LOG).read_text().splitlines():
        _moment, type_, subject, rest = line.split(" ", 3)
        reason, message = rest.split(": ", 1)
        if subject == RUN and type_ == "Warning":
            warnings.append((reason, message))
    return _reading(run.status.to_dict(), warnings)


def _on_the_cluster(cluster: Any, namespace: str, tmp_path: Path) -> dict[str, Any]:
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin = KinternApi(cluster.api, namespace)
        # A shared checkpoint volume, so the reference fails for want of a checkpoint.
        admin.create_campaign(**{"approvals.mode": "Auto", "compute.checkpointVolumeClaim": "ck"})
        eventually(lambda: _agent_can_act(cluster, namespace), "the agent's Job")
        agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
        agent.create_run(RUN, **RUN_SPEC)
        status = agent.wait_run(RUN, "Failed")["status"]
    events = client.CoreV1Api(cluster.api).list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={RUN}"
    )
    warnings = [(e.reason, e.message) for e in events.items if e.type == "Warning"]
    jobs = client.BatchV1Api(cluster.api).list_namespaced_job(namespace).items
    assert not [j for j in jobs if j.metadata.name.startswith("trun-")], "no Job may exist"
    return _reading(status, warnings)


def _agent_can_act(cluster: Any, namespace: str) -> bool:
    """Whether the agent's Job exists: the operator creates it after its Role and binding."""
    jobs = client.BatchV1Api(cluster.api).list_namespaced_job(namespace).items
    return any(j.metadata.name == naming.agent_job("demo") for j in jobs)


def test_an_unresolved_start_model_fails_the_run_alike_in_local_mode_and_on_the_cluster(
    cluster, namespace, tmp_path
):
    local = _in_local_mode(tmp_path / "local")
    on_cluster = _on_the_cluster(cluster, namespace, tmp_path / "operator")

    assert local == on_cluster
    assert on_cluster == {
        "phase": "Failed",
        "failureReason": "InvalidSpec",
        "message": EXPECTED_MESSAGE,
        "jobName": None,
        "observedGeneration": 1,
        "approved": "True",
        "failed": ("True", "InvalidSpec", EXPECTED_MESSAGE),
        "warnings": [("InvalidSpec", EXPECTED_MESSAGE)],
    }
