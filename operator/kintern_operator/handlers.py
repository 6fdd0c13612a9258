"""kopf handlers: thin adapters from watch events to the campaign reconciler.

Every event about a campaign, its runs, or their Jobs and Pods queues the campaign for a
reconcile on the reconciler's workers (see workqueue.py: triggers coalesce, and a handler
returns at once). Only `on.event` handlers are used, so kopf
adds no finalizers and writes no bookkeeping annotations. `kopf run -m
kintern_operator.handlers` works; `kintern operator` adds leader election and metrics.
"""

import logging
import threading
from typing import Any

import kopf

from kintern_operator import naming
from kintern_operator.adoption import adoption, labelled, mark_orphan
from kintern_operator.kube import PLURAL_CAMPAIGNS, PLURAL_RUNS, Kube, bounded_api
from kintern_operator.reconciler import CampaignReconciler
from kintern_operator.settings import OperatorSettings

log = logging.getLogger(__name__)
TERMINAL = ("Succeeded", "Failed")


class NoDiffBase(kopf.DiffBaseStorage):
    """Kintern has only on.event handlers: nothing compares an object with its last handled
    state, so the deep copy kopf would otherwise build of every event's body (an eighth of
    the operator's CPU at scale) is skipped, and nothing is ever stored on the object."""

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> kopf.BodyEssence:
        return kopf.BodyEssence()

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        return None


@kopf.on.startup()
def operator_startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.posting.level = logging.WARNING
    settings.persistence.diffbase_storage = NoDiffBase()
    if "reconciler" not in memo:
        ours = OperatorSettings()
        api = bounded_api(ours.api_connect_timeout_seconds, ours.api_read_timeout_seconds)
        memo["reconciler"] = CampaignReconciler(Kube(api), ours)
    reconciler = _reconciler(memo)
    _bound_kopf_calls(settings, reconciler.settings)
    reconciler.start(reconciler.settings.reconcile_workers)
    stop = threading.Event()
    memo["resync_stop"] = stop
    thread = threading.Thread(target=_resync_loop, args=(memo, stop), daemon=True, name="resync")
    thread.start()


def _bound_kopf_calls(kopf_settings: kopf.OperatorSettings, ours: OperatorSettings) -> None:
    """kopf's own calls get the same bounds as the reconciler's; a watch that the apiserver
    should have ended after `server_timeout` is given up by the client a minute later."""
    kopf_settings.networking.connect_timeout = ours.api_connect_timeout_seconds
    kopf_settings.networking.request_timeout = ours.api_read_timeout_seconds
    kopf_settings.watching.connect_timeout = ours.api_connect_timeout_seconds
    kopf_settings.watching.server_timeout = 300
    kopf_settings.watching.client_timeout = 360


@kopf.on.cleanup()
def operator_cleanup(memo: kopf.Memo, **_: Any) -> None:
    memo["resync_stop"].set()
    _reconciler(memo).stop()


def _resync_loop(memo: kopf.Memo, stop: threading.Event) -> None:
    """Deadlines and live GPU-hours move with the clock, not with events: every live
    campaign the watch has shown is queued for a reconcile each round. No API call here,
    so a hung apiserver cannot stall the resync, and reconciles still start (and give up
    in bounded time) while it hangs."""
    reconciler: CampaignReconciler = memo["reconciler"]
    while not stop.wait(reconciler.settings.resync_seconds):
        for namespace, name in reconciler.live_campaigns():
            reconciler.enqueue(namespace, name)


def _reconciler(memo: kopf.Memo) -> CampaignReconciler:
    return memo["reconciler"]


@kopf.on.event(naming.GROUP, naming.VERSION, PLURAL_CAMPAIGNS)
async def campaign_event(event: dict[str, Any], body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    reconciler, meta = _reconciler(memo), body["metadata"]
    phase = (body.get("status") or {}).get("phase")
    live = event["type"] != "DELETED" and phase not in TERMINAL
    reconciler.track(meta["namespace"], meta["name"], live)
    reconciler.enqueue(meta["namespace"], meta["name"])


@kopf.on.event(naming.GROUP, naming.VERSION, PLURAL_RUNS)
def run_event(event: dict[str, Any], body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Queues the run's campaign (its reconcile adopts the runs it lists)."""
    reconciler = _reconciler(memo)
    meta, spec = body["metadata"], body.get("spec") or {}
    namespace, campaign = meta["namespace"], spec.get("campaign", "")
    if event["type"] != "DELETED" and not labelled(dict(body), campaign):
        # A run without its campaign's label (made by hand): the campaign's reconcile would
        # not list it, so it is labelled and owned here first, or marked an orphan.
        campaign_body = reconciler.kube.get_campaign(namespace, campaign)
        if campaign_body is None:
            mark_orphan(reconciler.kube, dict(body), campaign)
            return
        reconciler.kube.patch_metadata(
            PLURAL_RUNS, namespace, meta["name"], adoption(dict(body), campaign_body)
        )
        return  # the change comes back as an event
    reconciler.enqueue(namespace, campaign)


@kopf.on.event("batch", "v1", "jobs", labels={naming.CAMPAIGN_LABEL: kopf.PRESENT})
async def job_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    _owned_event(body, memo)


@kopf.on.event("", "v1", "pods", labels={naming.CAMPAIGN_LABEL: kopf.PRESENT})
async def pod_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    _owned_event(body, memo)


def _owned_event(body: kopf.Body, memo: kopf.Memo) -> None:
    meta = body["metadata"]
    _reconciler(memo).enqueue(meta["namespace"], meta["labels"][naming.CAMPAIGN_LABEL])
