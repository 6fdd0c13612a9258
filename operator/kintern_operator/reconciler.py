"""One campaign's reconcile: read the cluster into a Snapshot, plan, apply the plan.

The plan comes from `kintern.core.campaigns.plan_campaign` (pure, shared with local mode);
`kintern.core.applier.apply_plan` carries it out through `ClusterTarget`, as local mode's
through its own; this module gathers. Jobs have deterministic names and used GPU-hours
are summed from the runs' own records, so a reconcile killed at any point repeats nothing.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes.client.exceptions import ApiException
from pydantic import ValidationError

from kintern.api.admission import AGENT_STATUS_FIELDS, AGENT_USAGE_FIELDS
from kintern.api.campaign import CampaignStatus, PostTrainingCampaign
from kintern.api.conditions import Reason
from kintern.api.run import TrainingRun
from kintern.core.applier import apply_plan
from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.refusals import invalid_run_status
from kintern.core.workload import Workload
from kintern_operator import metrics, naming
from kintern_operator.adoption import adoption, mark_orphan, owned_by_a_campaign
from kintern_operator.agent_keeper import AgentKeeper
from kintern_operator.cache import WatchedObjects
from kintern_operator.cluster_target import ClusterTarget, api_message, controller_uid, run_key
from kintern_operator.health import Liveness
from kintern_operator.kube import PLURAL_RUNS, TRANSIENT, Kube
from kintern_operator.observe import agent_state_of, workload_of
from kintern_operator.settings import OperatorSettings
from kintern_operator.workqueue import WorkQueue

log = logging.getLogger(__name__)


class CampaignReconciler:
    """Reconciles campaigns on its worker threads, one campaign by one worker at a time."""

    def __init__(
        self,
        kube: Kube,
        settings: OperatorSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        liveness: Liveness | None = None,
    ) -> None:
        self.kube, self.settings, self.clock = kube, settings, clock
        self.liveness = liveness or Liveness()
        # What the watches show: attached by the operator's startup (handlers.py), which
        # is where kopf hands its indexes over.
        self.watched: WatchedObjects | None = None
        self.queue = WorkQueue()
        self._guard = threading.Lock()
        self.agent = AgentKeeper(kube, settings)
        self._live: set[tuple[str, str]] = set()  # campaigns not ended, as watched

    def track(self, namespace: str, name: str, live: bool) -> None:
        """Note from a watch event whether the campaign is live (the resync's list)."""
        with self._guard:
            if live:
                self._live.add((namespace, name))
            else:
                self._live.discard((namespace, name))

    def live_campaigns(self) -> list[tuple[str, str]]:
        with self._guard:
            return sorted(self._live)

    def enqueue(self, namespace: str, name: str) -> None:
        """Ask for a reconcile of the campaign; returns at once."""
        self.queue.add((namespace, name))

    def start(self, workers: int) -> list[threading.Thread]:
        """Start `workers` threads that reconcile queued campaigns until `stop`."""
        threads = [
            threading.Thread(target=self._work, daemon=True, name=f"reconcile-{i}")
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        return threads

    def stop(self) -> None:
        self.queue.close()

    def _work(self) -> None:
        assert self.watched is not None, "attach the watched objects before start()"
        self.watched.synced.wait()  # no reconcile from half-filled indexes
        while (key := self.queue.get()) is not None:
            try:
                self._timed_once(*key)
            except TRANSIENT as err:  # counted; the next event or resync tries again
                log.warning("reconcile of campaign %s/%s failed: %s", *key, _short(err))
            except Exception as err:  # a bug: /healthz fails, so the restarts show
                log.exception("reconcile of campaign %s/%s failed with a bug", *key)
                self.liveness.fail(f"reconcile of {key[0]}/{key[1]}: {type(err).__name__}")
            finally:
                self.queue.done(key)

    def _timed_once(self, namespace: str, name: str) -> None:
        start = time.perf_counter()
        try:
            self.reconcile_once(namespace, name)
        except Exception:
            metrics.RECONCILE_ERRORS.labels("PostTrainingCampaign").inc()
            raise
        finally:
            metrics.RECONCILE_SECONDS.observe(time.perf_counter() - start)

    # --- gather -----------------------------------------------------------------------

    @property
    def _seen(self) -> WatchedObjects:
        assert self.watched is not None
        return self.watched

    def reconcile_once(self, namespace: str, name: str) -> None:
        """Plan from what the watches show (no reads from the apiserver) and apply."""
        body = self._seen.campaign(namespace, name)
        if body is None:
            self._forget(namespace, name)
            return
        campaign = _parse_campaign(body)
        runs, run_bodies = self._runs(body)
        jobs = self._seen.jobs(namespace, naming.label_value(name))
        pods = self._seen.pods(namespace, naming.label_value(name))
        jobs_by_name = {j["metadata"]["name"]: j for j in jobs}
        workloads = _workloads(runs, jobs_by_name, pods)
        agent_job = jobs_by_name.get(naming.agent_job(name))
        snapshot = Snapshot(
            campaign, runs, workloads, agent_state_of(agent_job), self.clock(), queues=True
        )
        plan = plan_campaign(snapshot)
        self.agent.keep(self._seen, body, campaign, plan, agent_job)
        target = ClusterTarget(self.kube, self.settings, self._seen, body, run_bodies)
        apply_plan(plan, campaign, runs, target)
        for step in plan.steps.values():
            if step.approval_wait_seconds is not None:
                mode = campaign.spec.approvals.mode
                metrics.report_approval(
                    campaign.metadata["namespace"], mode, step.approval_wait_seconds
                )
        runs_after = [
            r.model_copy(update={"status": plan.steps[r.metadata["name"]].status}) for r in runs
        ]
        metrics.report_campaign(campaign.model_copy(update={"status": plan.status}), runs_after)

    def _adopt(self, campaign: dict[str, Any], run: dict[str, Any]) -> None:
        """Give a run its campaign's label and owner reference, if it lacks them."""
        patch = adoption(run, campaign)
        if patch:
            meta = run["metadata"]
            adopted = self.kube.patch_metadata(PLURAL_RUNS, meta["namespace"], meta["name"], patch)
            self._seen.wrote("runs", run_key(run), adopted)

    def _forget(self, namespace: str, name: str) -> None:
        """The campaign is gone: its series go, and runs labelled for it that it never
        owned (the garbage collector deletes those it did) are marked orphans."""
        metrics.forget_campaign(namespace, name)
        self.agent.forget(namespace, name)
        for run in self._seen.runs(namespace, name):
            if not owned_by_a_campaign(run) and not run["metadata"].get("deletionTimestamp"):
                mark_orphan(self.kube, run, name)

    def _runs(
        self, campaign: dict[str, Any]
    ) -> tuple[list[TrainingRun], dict[str, dict[str, Any]]]:
        """The campaign's valid runs (invalid ones are refused), each adopted first."""
        runs, bodies = [], {}
        meta = campaign["metadata"]
        for body in self._seen.runs(meta["namespace"], meta["name"]):
            self._adopt(campaign, body)
            try:
                runs.append(TrainingRun.model_validate(body))
                bodies[body["metadata"]["name"]] = body
            except ValidationError as err:
                self._refuse_invalid_run(body, err)
        return runs, bodies

    def _refuse_invalid_run(self, body: dict[str, Any], err: ValidationError) -> None:
        if (body.get("status") or {}).get("phase") == "Rejected":
            return
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = f"invalid run: {where}: {first['msg']}"
        meta = body["metadata"]
        status = invalid_run_status(meta.get("generation"), message, self.clock())
        written = self.kube.patch_status(
            PLURAL_RUNS, meta["namespace"], meta["name"], status.to_dict()
        )
        self._seen.wrote("runs", run_key(body), written)
        self.kube.event(body, "Warning", Reason.INVALID_SPEC, message)


def _short(err: Exception) -> str:
    if isinstance(err, ApiException):
        return f"{err.status} {api_message(err)}"
    return f"{type(err).__name__}: {err}"


def _parse_campaign(body: dict[str, Any]) -> PostTrainingCampaign:
    """The campaign; a status the operator cannot read is rebuilt rather than trusted."""
    try:
        return PostTrainingCampaign.model_validate(body)
    except ValidationError:
        log.warning("campaign %s has an unreadable status; rebuilding it", body["metadata"]["name"])
        clean = {**body, "status": _agent_part(body.get("status") or {})}
        return PostTrainingCampaign.model_validate(clean)


def _agent_part(status: dict[str, Any]) -> dict[str, Any]:
    usage = status.get("usage") or {}
    kept: dict[str, Any] = {k: status[k] for k in AGENT_STATUS_FIELDS if k in status}
    agent_usage = {k: usage[k] for k in AGENT_USAGE_FIELDS if k in usage}
    try:
        CampaignStatus.model_validate({**kept, "usage": agent_usage})
        return {**kept, "usage": agent_usage}
    except ValidationError:
        return {}


def _workloads(
    runs: list[TrainingRun], jobs: dict[str, dict[str, Any]], pods: list[dict[str, Any]]
) -> dict[str, Workload]:
    """Each run's workload: only a Job the run controls, and only pods that Job controls,
    so a look-alike Job or pod someone else labelled is never followed or charged."""
    pods_by_job: dict[str, list[dict[str, Any]]] = {}
    for pod in pods:
        owner = controller_uid(pod)
        if owner:
            pods_by_job.setdefault(owner, []).append(pod)
    out = {}
    for run in runs:
        job = jobs.get(naming.run_job(run.metadata["name"]))
        if job is not None and controller_uid(job) == run.metadata.get("uid"):
            pods_of_job = pods_by_job.get(job["metadata"]["uid"], [])
            out[run.metadata["name"]] = workload_of(job, pods_of_job)
    return out
