"""Reads Jobs and Pods (as dicts) into the executor-neutral shapes of `kintern.core.workload`."""

from datetime import datetime
from typing import Any

from kintern.api.conditions import Reason
from kintern.api.times import parse_time
from kintern.core.workload import AgentState, Workload


def _conditions(job: dict[str, Any]) -> list[dict[str, Any]]:
    conditions: list[dict[str, Any]] = (job.get("status") or {}).get("conditions") or []
    return conditions


def _job_condition(job: dict[str, Any], type_: str) -> dict[str, Any] | None:
    """The Job's condition of `type_`, if it is True."""
    wanted = (type_, "True")
    return next((c for c in _conditions(job) if (c.get("type"), c.get("status")) == wanted), None)


def _container_state(pod: dict[str, Any]) -> dict[str, Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return (statuses[0].get("state") or {}) if statuses else {}


def _latest_pod(pods: list[dict[str, Any]]) -> dict[str, Any] | None:
    return max(pods, key=lambda p: p["metadata"].get("creationTimestamp") or "", default=None)


def _suspended_condition(job: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in _conditions(job) if c.get("type") == "Suspended"), None)


def workload_of(job: dict[str, Any], pods: list[dict[str, Any]]) -> Workload:
    """The run's workload from its Job and the Job's pods (a single pod: backoffLimit 0)."""
    # The *Target conditions come first and carry the moment the outcome was decided.
    complete = _job_condition(job, "SuccessCriteriaMet") or _job_condition(job, "Complete")
    failed = _job_condition(job, "FailureTarget") or _job_condition(job, "Failed")
    suspended = _suspended_condition(job) or {}
    if (job.get("spec") or {}).get("suspend") and not (complete or failed):
        # Held by its queue (Kueue): not admitted yet, or evicted. Its pods, if any are
        # still terminating, belong to an attempt that has ended.
        since = suspended.get("lastTransitionTime") if suspended.get("status") == "True" else None
        return Workload(name=job["metadata"]["name"], held=True, held_since=parse_time(since))
    released_at = None
    if suspended.get("status") == "False":
        released_at = parse_time(suspended.get("lastTransitionTime"))
        pods = [p for p in pods if _created_since(p, released_at)]
    pod = _latest_pod(pods)
    state = _container_state(pod) if pod else {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    running = state.get("running") or {}
    pod_status = (pod or {}).get("status") or {}
    started = parse_time(terminated.get("startedAt") or running.get("startedAt"))
    started = started or parse_time(pod_status.get("startTime"))
    succeeded: bool | None = True if complete else (False if failed else None)
    if succeeded is None and _ended_on_its_own(pod):
        succeeded = pod_status["phase"] == "Succeeded"
    if pod is None and succeeded is not None:
        # The pod is gone (a Job deletes it on its deadline): the Job's start is the
        # earliest the pod can have started; a start the run recorded earlier wins.
        started = parse_time((job.get("status") or {}).get("startTime"))
    finished = parse_time(terminated.get("finishedAt"))
    if succeeded is not None and finished is None:
        cond = complete or failed or {}
        finished = parse_time(cond.get("lastTransitionTime"))
    return Workload(
        name=job["metadata"]["name"],
        started_at=started,
        finished_at=finished if succeeded is not None else None,
        succeeded=succeeded,
        failure_reason=_failure_reason(terminated, failed) if succeeded is False else None,
        termination_message=terminated.get("message"),
        pod_name=(pod or {}).get("metadata", {}).get("name"),
        waiting_reason=waiting.get("reason"),
        waiting_since=parse_time(pod_status.get("startTime"))
        or parse_time((pod or {}).get("metadata", {}).get("creationTimestamp")),
        released_at=released_at,
    )


def _created_since(pod: dict[str, Any], moment: datetime | None) -> bool:
    """Whether the pod belongs to the attempt since `moment` (whole seconds, as the
    apiserver writes them): pods of an evicted attempt are older."""
    created = parse_time(pod["metadata"].get("creationTimestamp"))
    return moment is None or created is None or created >= moment


def _ended_on_its_own(pod: dict[str, Any] | None) -> bool:
    """The pod ended and nobody deleted it: its phase is the run's outcome. A pod that was
    deleted (the Job's deadline, an eviction) ended because of that; the Job says why."""
    if pod is None or pod["metadata"].get("deletionTimestamp"):
        return False
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _failure_reason(terminated: dict[str, Any], failed: dict[str, Any] | None) -> str:
    """OOMKilled from the container wins, then the Job's DeadlineExceeded (the pod was killed
    for it), then the container's own reason (Error for a non-zero exit), then the Job's.

    The same failure must read the same whether the pod's end or the Job's verdict was
    seen first: a crash is `Error` either way, never `BackoffLimitExceeded` on one reconcile
    and `Error` on another.
    """
    job_reason = (failed or {}).get("reason")
    if terminated.get("reason") == Reason.OOM_KILLED:
        return Reason.OOM_KILLED
    if job_reason == Reason.DEADLINE_EXCEEDED:
        return Reason.DEADLINE_EXCEEDED
    return str(terminated.get("reason") or job_reason or Reason.TRAINING_FAILED)


def agent_state_of(job: dict[str, Any] | None) -> AgentState:
    if job is None:
        return AgentState()
    status = job.get("status") or {}
    failed = _job_condition(job, "Failed")
    return AgentState(
        exists=True,
        active=bool(status.get("active") or status.get("ready")),
        succeeded=_job_condition(job, "Complete") is not None,
        failed=failed is not None,
        message=(failed or {}).get("message", ""),
    )
