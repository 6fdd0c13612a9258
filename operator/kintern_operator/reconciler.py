"""One campaign's reconcile: read the cluster into a Snapshot, plan, apply the plan.

The plan comes from `kintern.core.campaigns.plan_campaign` (pure, shared with local mode);
this module only gathers and applies. Order makes it safe to kill at any point: a run's
status is written before its Job is created, Jobs have deterministic names, and used
GPU-hours are summed from the runs' own records, so a restart repeats nothing.
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes.client.exceptions import ApiException
from pydantic import ValidationError

from kintern.api.campaign import CampaignStatus, PostTrainingCampaign
from kintern.api.conditions import Condition, ConditionType, Reason, find_condition, set_condition
from kintern.api.run import TrainingRun
from kintern.api.times import rfc3339
from kintern.core.campaigns import CampaignPlan, Snapshot, plan_campaign
from kintern.core.requests import UnresolvedModel, build_request
from kintern.core.runs import Event
from kintern.core.workload import Workload
from kintern_operator import metrics, naming
from kintern_operator.adoption import adoption, mark_orphan, owned_by_a_campaign
from kintern_operator.builders import agent as agent_builders
from kintern_operator.builders.proposed_run import build_proposed_run
from kintern_operator.builders.training_job import build_training_job, checkpoint_dir
from kintern_operator.cache import WatchedObjects
from kintern_operator.health import Liveness
from kintern_operator.kube import PLURAL_CAMPAIGNS, PLURAL_RUNS, TRANSIENT, Kube, merge_patch
from kintern_operator.observe import agent_state_of, workload_of
from kintern_operator.settings import OperatorSettings
from kintern_operator.workqueue import WorkQueue

log = logging.getLogger(__name__)
AGENT_RECHECK_SECONDS = 300.0

# Status fields the agent writes itself; the operator never overwrites them.
AGENT_USAGE_FIELDS = ("agentIterations", "agentTokens", "agentCostUsd")
AGENT_STATUS_FIELDS = ("agentSummary", "agentDone")


def operator_fields(status: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in status.items() if k not in AGENT_STATUS_FIELDS}
    usage = {k: v for k, v in (out.get("usage") or {}).items() if k not in AGENT_USAGE_FIELDS}
    if usage:
        out["usage"] = usage
    return out


class AgentConflict(Exception):
    """An object under one of the agent's names that the operator did not create."""


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
        # When each campaign's agent objects were last created or checked, and for which uid.
        self._agent_checked: dict[tuple[str, str], tuple[str | None, float]] = {}
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
        self._apply(body, campaign, run_bodies, plan, agent_job)

    def _adopt(self, campaign: dict[str, Any], run: dict[str, Any]) -> None:
        """Give a run its campaign's label and owner reference, if it lacks them."""
        patch = adoption(run, campaign)
        if patch:
            meta = run["metadata"]
            adopted = self.kube.patch_metadata(PLURAL_RUNS, meta["namespace"], meta["name"], patch)
            self._seen.wrote("runs", _run_key(run), adopted)

    def _patch_run_status(self, run: dict[str, Any], status: dict[str, Any]) -> None:
        meta = run["metadata"]
        written = self.kube.patch_status(PLURAL_RUNS, meta["namespace"], meta["name"], status)
        self._seen.wrote("runs", _run_key(run), written)

    def _forget(self, namespace: str, name: str) -> None:
        """The campaign is gone: its series go, and runs labelled for it that it never
        owned (the garbage collector deletes those it did) are marked orphans."""
        metrics.forget_campaign(namespace, name)
        with self._guard:
            self._agent_checked.pop((namespace, name), None)
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
        status = body.get("status") or {}
        if status.get("phase") == "Rejected":
            return
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = f"invalid run: {where}: {first['msg']}"
        condition = {
            "type": "Approved",
            "status": "False",
            "reason": Reason.INVALID_SPEC,
            "message": message,
            "lastTransitionTime": rfc3339(self.clock()),
        }
        rejected = {"phase": "Rejected", "message": message, "conditions": [condition]}
        self._patch_run_status(body, rejected)
        self.kube.event(body, "Warning", Reason.INVALID_SPEC, message)

    # --- apply ------------------------------------------------------------------------

    def _apply(
        self,
        body: dict[str, Any],
        campaign: PostTrainingCampaign,
        run_bodies: dict[str, dict[str, Any]],
        plan: CampaignPlan,
        agent_job: dict[str, Any] | None,
    ) -> None:
        ns = campaign.metadata["namespace"]
        try:
            self._ensure_agent(body, campaign, plan, agent_job)
        except AgentConflict as err:
            self._agent_refused(body, plan, str(err), Reason.AGENT_CONFLICT)
        except ApiException as err:
            if err.status not in (400, 422):
                raise
            # The cluster refuses the agent's Job (a credentialsSecret that is no valid
            # name, say): say so on the campaign instead of failing every reconcile.
            self._agent_refused(body, plan, f"the cluster refused the agent's Job: {_reason(err)}")
        checkpoints = _checkpoints(plan)
        for name, step in plan.steps.items():
            run_body = run_bodies[name]
            if step.launch:  # the Job's name is known: written with the approval, not after
                step.status.job_name = naming.run_job(name)
            new_status, old_status = step.status.to_dict(), run_body.get("status") or {}
            if new_status != old_status:
                self._patch_run_status(run_body, merge_patch(old_status, new_status))
            for event in _worth_reading(step.events):
                self.kube.event(run_body, event.type, event.reason, event.message)
            if step.approval_wait_seconds is not None:
                mode = campaign.spec.approvals.mode
                metrics.report_approval(ns, mode, step.approval_wait_seconds)
            if step.launch:
                self._launch(run_body, campaign, checkpoints)
            if step.stop:
                self.kube.delete_job(ns, naming.run_job(name))
        # The runs the campaign proposes exist before the status that announces them, so
        # whoever sees the campaign end finds its publish run (deterministic names: a
        # repeated reconcile creates none).
        for run in plan.creates:
            self.kube.ensure(build_proposed_run(body, run))
        self._write_campaign_status(body, plan.status)
        for event in plan.events:
            self.kube.event(body, event.type, event.reason, event.message)
        runs_after = [
            TrainingRun.model_validate({**run_bodies[n], "status": s.status.to_dict()})
            for n, s in plan.steps.items()
        ]
        metrics.report_campaign(campaign.model_copy(update={"status": plan.status}), runs_after)

    def _launch(
        self, run_body: dict[str, Any], campaign: PostTrainingCampaign, checkpoints: dict[str, str]
    ) -> None:
        run = TrainingRun.model_validate(run_body)
        name, ns = run.metadata["name"], run.metadata["namespace"]
        try:
            shared = bool(campaign.spec.compute.checkpoint_volume_claim)
            request = build_request(
                run, campaign, checkpoint_dir(name), checkpoints, shared_checkpoints=shared
            )
        except UnresolvedModel as err:
            self._fail_launch(run_body, str(err), err.reason)
            return
        job = build_training_job(run_body, run, campaign, request, self.settings)
        try:
            created = self.kube.ensure(job)
        except ApiException as err:
            if err.status not in (400, 422):
                raise
            # The apiserver refuses the Job itself (a bad quantity, say): retrying cannot help.
            self._fail_launch(run_body, f"the cluster refused the run's Job: {_reason(err)}")
            return
        if created:
            self._seen.wrote("jobs", (ns, naming.label_value(campaign.metadata["name"])), created)
            metrics.report_job_created(ns)
        elif not self._job_is_ours(ns, job["metadata"]["name"], run.metadata.get("uid")):
            self._fail_launch(
                run_body, _conflict_message(job["metadata"]["name"]), Reason.JOB_CONFLICT
            )

    def _job_is_ours(self, namespace: str, job: str, run_uid: str | None) -> bool:
        """Whether the Job that answered 409 is this run's own (created by an earlier
        reconcile or an earlier operator), not one someone else created under its name."""
        existing = self.kube.find_job(namespace, job)
        return existing is None or controller_uid(existing) == run_uid

    def _fail_launch(
        self, run_body: dict[str, Any], message: str, reason: str = Reason.INVALID_SPEC
    ) -> None:
        status = {
            "phase": "Failed",
            "message": message[:500],
            "failureReason": reason,
            "jobName": None,  # no Job of this run exists
        }
        self._patch_run_status(run_body, status)
        self.kube.event(run_body, "Warning", reason, message)

    def _ensure_agent(
        self,
        body: dict[str, Any],
        campaign: PostTrainingCampaign,
        plan: CampaignPlan,
        agent_job: dict[str, Any] | None,
    ) -> None:
        ns = campaign.metadata["namespace"]
        name = naming.agent_job(campaign.metadata["name"])
        complete = plan.status.phase in ("Succeeded", "Failed")
        if complete:
            if agent_job is not None and not agent_state_of(agent_job).succeeded:
                self.kube.delete_job(ns, name)
            return
        self._ensure_agent_objects(body)
        if agent_job is None:
            job = agent_builders.build_agent_job(body, campaign, self.settings)
            job["spec"]["suspend"] = not plan.agent_should_run
            if created := self.kube.ensure(job):
                label = naming.label_value(campaign.metadata["name"])
                self._seen.wrote("jobs", (ns, label), created)
                self.kube.event(body, "Normal", Reason.AGENT_STARTED, f"agent Job {name} created")
            return
        suspended = bool((agent_job.get("spec") or {}).get("suspend"))
        if suspended == plan.agent_should_run:
            self.kube.set_job_suspended(ns, name, not plan.agent_should_run)

    def _ensure_agent_objects(self, body: dict[str, Any]) -> None:
        """The agent's ServiceAccount, Role, RoleBinding and state ConfigMap: created, or
        found and checked, when the campaign is first seen and again at least every
        AGENT_RECHECK_SECONDS (someone deleted or edited one). In between, a reconcile
        writes nothing here: four creates answered 409 on every event were a third of the
        operator's requests. An object found under one of these names is taken only when
        the campaign owns it and it grants exactly what the operator would: otherwise
        AgentConflict, and nothing of the agent's is created or changed."""
        meta = body["metadata"]
        key = (meta["namespace"], meta["name"])
        with self._guard:
            checked = self._agent_checked.get(key)
        fresh = checked and time.monotonic() - checked[1] < AGENT_RECHECK_SECONDS
        if fresh and checked and checked[0] == meta.get("uid"):
            return
        for desired in agent_builders.build_agent_objects(body):
            if self.kube.ensure(desired):
                continue
            d_meta = desired["metadata"]
            existing = self.kube.read(desired["kind"], d_meta["namespace"], d_meta["name"])
            why = existing and agent_builders.foreign_difference(existing, desired)
            if why:
                raise AgentConflict(
                    f"{desired['kind']} {d_meta['name']} exists but {why}; the agent is not "
                    f"started (delete that {desired['kind']}, or rename the campaign)"
                )
        with self._guard:
            self._agent_checked[key] = (meta.get("uid"), time.monotonic())

    def _agent_refused(
        self,
        body: dict[str, Any],
        plan: CampaignPlan,
        message: str,
        reason: str = Reason.INVALID_SPEC,
    ) -> None:
        """Record on the campaign that its agent cannot start, once per distinct reason."""
        refused = Condition(
            type=ConditionType.AGENT_RUNNING,
            status="False",
            reason=reason,
            message=message[:1000],
            observed_generation=body["metadata"].get("generation"),
        )
        before = find_condition(_parse_campaign(body).status.conditions, refused.type)
        set_condition(plan.status.conditions, refused)
        plan.status.message = f"the agent cannot start: {message}"[:1000]
        if before is None or (before.reason, before.message) != (refused.reason, refused.message):
            self.kube.event(body, "Warning", reason, message)

    def _write_campaign_status(self, body: dict[str, Any], status: CampaignStatus) -> None:
        status.agent_job = naming.agent_job(body["metadata"]["name"])
        new = operator_fields(status.to_dict())
        old = operator_fields(body.get("status") or {})
        if new != old:
            key = (body["metadata"]["namespace"], body["metadata"]["name"])
            written = self.kube.patch_status(PLURAL_CAMPAIGNS, *key, new)
            self._seen.wrote("campaigns", key, written)


def _run_key(run: dict[str, Any]) -> tuple[str, str]:
    """The run's key in the watched runs: its namespace and spec.campaign."""
    return run["metadata"]["namespace"], (run.get("spec") or {}).get("campaign", "")


# Machine decisions a person reads on the run itself (its Approved condition and jobName):
# an Event for each, two writes per run, adds nothing. A person's approval, waiting,
# refusals and failures are still recorded.
ROUTINE_EVENTS = frozenset({Reason.APPROVED_BY_POLICY, Reason.JOB_CREATED})


def _worth_reading(events: list[Event]) -> list[Event]:
    """A run step's Events without the routine ones of a run approved by policy."""
    if not any(e.reason == Reason.APPROVED_BY_POLICY for e in events):
        return events
    return [e for e in events if e.reason not in ROUTINE_EVENTS]


def _short(err: Exception) -> str:
    if isinstance(err, ApiException):
        return f"{err.status} {_reason(err)}"
    return f"{type(err).__name__}: {err}"


def _reason(err: ApiException) -> str:
    try:
        return str(json.loads(err.body)["message"])
    except (TypeError, ValueError, KeyError):
        return str(err.reason)


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


def controller_uid(obj: dict[str, Any]) -> str | None:
    """The uid of the object's controller (its owner reference with controller: true)."""
    for owner in obj["metadata"].get("ownerReferences") or []:
        if owner.get("controller"):
            return str(owner.get("uid"))
    return None


def _conflict_message(job: str) -> str:
    return (
        f"a Job named {job} already exists and was not created for this run; the run was not "
        "started and nothing was charged (delete that Job, or propose the run under another name)"
    )


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


def _checkpoints(plan: CampaignPlan) -> dict[str, str]:
    return {
        name: step.status.result.checkpoint
        for name, step in plan.steps.items()
        if step.status.result and step.status.result.checkpoint
    }
