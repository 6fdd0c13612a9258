"""Observed moments of a run's life on the cluster, to kill the operator at.

Each moment is a state that, once reached, stays reached (a status written stays
written, a started pod has started), so waiting for it never misses a short window and a
kill placed at it is placed after what it names, whatever the machine's speed.

    reach(api, namespace, "demo-r001", JOB_EXISTS)
"""

from collections.abc import Callable
from typing import Any

from kubernetes import client

from tests.support.kintern_api import GROUP, VERSION
from tests.support.wait import eventually

RUN_CREATED = "the run exists"
STATUS_WRITTEN = "the operator wrote the run's status"
JOB_EXISTS = "the run's Job exists"
POD_STARTED = "the run's pod started"
RUN_ENDED = "the run ended"
MOMENTS = (RUN_CREATED, STATUS_WRITTEN, JOB_EXISTS, POD_STARTED, RUN_ENDED)
TERMINAL = ("Succeeded", "Failed", "Rejected")


def reach(
    api: client.ApiClient, namespace: str, run: str, moment: str, timeout: float = 90
) -> None:
    """Wait until `run` has reached `moment`."""
    probes: dict[str, Callable[[client.ApiClient, str, str], bool]] = {
        RUN_CREATED: lambda *a: _run(*a) is not None,
        STATUS_WRITTEN: _status_written,
        JOB_EXISTS: _job_exists,
        POD_STARTED: _pod_started,
        RUN_ENDED: lambda *a: _phase(*a) in TERMINAL,
    }
    eventually(lambda: probes[moment](api, namespace, run), f"{run}: {moment}", timeout)


def _run(api: client.ApiClient, namespace: str, run: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.CustomObjectsApi(api).get_namespaced_custom_object(
            GROUP, VERSION, namespace, "trainingruns", run
        )
    except client.ApiException as err:
        if err.status == 404:
            return None
        raise
    return found


def _phase(api: client.ApiClient, namespace: str, run: str) -> str | None:
    body = _run(api, namespace, run) or {}
    return (body.get("status") or {}).get("phase")


def _status_written(api: client.ApiClient, namespace: str, run: str) -> bool:
    """The operator decided about the run: its Approved condition is written."""
    conditions = ((_run(api, namespace, run) or {}).get("status") or {}).get("conditions") or []
    return any(c["type"] == "Approved" for c in conditions)


def _job_exists(api: client.ApiClient, namespace: str, run: str) -> bool:
    jobs = client.BatchV1Api(api).list_namespaced_job(
        namespace, field_selector=f"metadata.name=trun-{run}"
    )
    return bool(jobs.items)


def _pod_started(api: client.ApiClient, namespace: str, run: str) -> bool:
    """A pod of the run's Job has a container that runs or ran."""
    pods = client.CoreV1Api(api).list_namespaced_pod(
        namespace, label_selector=f"batch.kubernetes.io/job-name=trun-{run}"
    )
    for pod in pods.items:
        for status in (pod.status and pod.status.container_statuses) or []:
            if status.state and (status.state.running or status.state.terminated):
                return True
    return False
