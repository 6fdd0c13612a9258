"""The operator's side of applying a plan (`kintern.core.applier`): status patches, Events,
Jobs and proposed runs on the apiserver. Every write is merged into the watched objects
(cache.py), so the next reconcile plans from it without reading it back."""

import json
from typing import Any

from kubernetes.client.exceptions import ApiException

from kintern.api.admission import AGENT_STATUS_FIELDS, AGENT_USAGE_FIELDS
from kintern.api.campaign import CampaignStatus, PostTrainingCampaign
from kintern.api.conditions import Reason
from kintern.api.request import RunRequest
from kintern.api.run import TrainingRun, TrainingRunStatus
from kintern.core.applier import LaunchRefused, Placement
from kintern.core.runs import Event
from kintern_operator import metrics, naming
from kintern_operator.builders.proposed_run import build_proposed_run
from kintern_operator.builders.training_job import build_training_job, checkpoint_dir
from kintern_operator.cache import WatchedObjects
from kintern_operator.kube import PLURAL_CAMPAIGNS, PLURAL_RUNS, Kube, merge_patch
from kintern_operator.settings import OperatorSettings

# Machine decisions a person reads on the run itself (its Approved condition and jobName):
# an Event for each, two writes per run, adds nothing. A person's approval, waiting,
# refusals and failures are still recorded.
ROUTINE_EVENTS = frozenset({Reason.APPROVED_BY_POLICY, Reason.JOB_CREATED})


class ClusterTarget:
    """Implements `kintern.core.applier.PlanTarget` for one campaign's reconcile."""

    def __init__(
        self,
        kube: Kube,
        settings: OperatorSettings,
        seen: WatchedObjects,
        campaign: dict[str, Any],
        runs: dict[str, dict[str, Any]],
    ) -> None:
        self.kube, self.settings, self.seen = kube, settings, seen
        self.campaign, self.runs = campaign, runs  # bodies as watched, runs by name

    def placement(self, campaign: PostTrainingCampaign, run: TrainingRun) -> Placement:
        name = run.metadata["name"]
        return Placement(
            output_dir=checkpoint_dir(name),
            job_name=naming.run_job(name),
            # Without a shared volume a run's checkpoint goes with its pod.
            shared_checkpoints=bool(campaign.spec.compute.checkpoint_volume_claim),
        )

    def write_run_status(self, run: TrainingRun, status: TrainingRunStatus) -> None:
        body = self.runs[run.metadata["name"]]
        meta = body["metadata"]
        patch = merge_patch(body.get("status") or {}, status.to_dict())
        written = self.kube.patch_status(PLURAL_RUNS, meta["namespace"], meta["name"], patch)
        self.runs[meta["name"]] = written
        self.seen.wrote("runs", run_key(body), written)

    def run_events(self, run: TrainingRun, events: list[Event]) -> None:
        body = self.runs[run.metadata["name"]]
        for event in worth_reading(events):
            self.kube.event(body, event.type, event.reason, event.message)

    def launch(
        self, run: TrainingRun, campaign: PostTrainingCampaign, request: RunRequest
    ) -> LaunchRefused | None:
        body = self.runs[run.metadata["name"]]
        ns = run.metadata["namespace"]
        job = build_training_job(body, run, campaign, request, self.settings)
        try:
            created = self.kube.ensure(job)
        except ApiException as err:
            if err.status not in (400, 422):
                raise
            # The apiserver refuses the Job itself (a bad quantity, say): retrying cannot help.
            message = f"the cluster refused the run's Job: {api_message(err)}"
            return LaunchRefused(Reason.INVALID_SPEC, message)
        if created:
            label = naming.label_value(campaign.metadata["name"])
            self.seen.wrote("jobs", (ns, label), created)
            metrics.report_job_created(ns)
        elif not self._job_is_ours(ns, job["metadata"]["name"], run.metadata.get("uid")):
            return LaunchRefused(Reason.JOB_CONFLICT, _conflict_message(job["metadata"]["name"]))
        return None

    def _job_is_ours(self, namespace: str, job: str, run_uid: str | None) -> bool:
        """Whether the Job that answered 409 is this run's own (created by an earlier
        reconcile or an earlier operator), not one someone else created under its name."""
        existing = self.kube.find_job(namespace, job)
        return existing is None or controller_uid(existing) == run_uid

    def stop(self, run: TrainingRun) -> None:
        self.kube.delete_job(run.metadata["namespace"], naming.run_job(run.metadata["name"]))

    def create_run(self, run: TrainingRun) -> None:
        self.kube.ensure(build_proposed_run(self.campaign, run))

    def write_campaign_status(self, status: CampaignStatus) -> None:
        meta = self.campaign["metadata"]
        status.agent_job = naming.agent_job(meta["name"])
        new = operator_fields(status.to_dict())
        if new != operator_fields(self.campaign.get("status") or {}):
            key = (meta["namespace"], meta["name"])
            written = self.kube.patch_status(PLURAL_CAMPAIGNS, *key, new)
            self.seen.wrote("campaigns", key, written)

    def campaign_events(self, events: list[Event]) -> None:
        for event in events:
            self.kube.event(self.campaign, event.type, event.reason, event.message)


def operator_fields(status: dict[str, Any]) -> dict[str, Any]:
    """A campaign status without the fields the agent writes (never overwritten here)."""
    out = {k: v for k, v in status.items() if k not in AGENT_STATUS_FIELDS}
    usage = {k: v for k, v in (out.get("usage") or {}).items() if k not in AGENT_USAGE_FIELDS}
    if usage:
        out["usage"] = usage
    return out


def run_key(run: dict[str, Any]) -> tuple[str, str]:
    """The run's key in the watched runs: its namespace and spec.campaign."""
    return run["metadata"]["namespace"], (run.get("spec") or {}).get("campaign", "")


def worth_reading(events: list[Event]) -> list[Event]:
    """A run step's Events without the routine ones of a run approved by policy."""
    if not any(e.reason == Reason.APPROVED_BY_POLICY for e in events):
        return events
    return [e for e in events if e.reason not in ROUTINE_EVENTS]


def api_message(err: ApiException) -> str:
    """What the apiserver said, in its own words."""
    try:
        return str(json.loads(err.body or "")["message"])
    except (TypeError, ValueError, KeyError):
        return str(err.reason)


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
