"""kopf handlers: thin adapters from watch events to the campaign reconciler.

Every event about a campaign, its runs, or their Jobs and Pods queues the campaign for a
reconcile on the reconciler's workers (see workqueue.py: triggers coalesce, and a handler
returns at once). kopf indexes of the same watches are what the reconcile reads
(cache.py): no list per reconcile. Only `on.event` handlers are used, so kopf
adds no finalizers and writes no bookkeeping annotations. `kopf run -m
kintern_operator.handlers` works; `kintern operator` adds leader election and metrics.
"""

import logging
import threading
from typing import Any

import kopf

from kintern_operator import naming
from kintern_operator.cache import Body, Key, WatchedObjects, trim_job, trim_pod, whole
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
def operator_startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **kwargs: Any) -> None:
    settings.posting.level = logging.WARNING
    settings.persistence.diffbase_storage = NoDiffBase()
    if "reconciler" not in memo:
        ours = OperatorSettings()
        api = bounded_api(ours.api_connect_timeout_seconds, ours.api_read_timeout_seconds)
        memo["reconciler"] = CampaignReconciler(Kube(api), ours)
    reconciler = _reconciler(memo)
    # kopf's indexes, empty now; kopf fills them before the first handler runs.
    # (kopf passes each index as a keyword named after the function that fills it.)
    indexes = [kwargs[f"{kind}_index"] for kind in ("campaign", "run", "job", "pod")]
    reconciler.watched = WatchedObjects(*indexes)
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
    """The reconciler, for a handler: that kopf calls one at all proves its indexes full."""
    reconciler: CampaignReconciler = memo["reconciler"]
    if reconciler.watched is not None:
        reconciler.watched.synced.set()
    return reconciler


# --- indexes: what the reconcile reads (cache.py) --------------------------------------


@kopf.index(naming.GROUP, naming.VERSION, PLURAL_CAMPAIGNS)
async def campaign_index(body: kopf.Body, **_: Any) -> dict[Key, Body]:
    meta = body["metadata"]
    return {(meta["namespace"], meta["name"]): whole(body)}


@kopf.index(naming.GROUP, naming.VERSION, PLURAL_RUNS)
async def run_index(body: kopf.Body, **_: Any) -> dict[Key, Body]:
    """Runs by spec.campaign, labelled or not: a run made by hand, before its campaign or
    without the label, is seen by the campaign's reconcile, which adopts it."""
    campaign = (body.get("spec") or {}).get("campaign", "")
    return {(body["metadata"]["namespace"], campaign): whole(body)}


@kopf.index("batch", "v1", "jobs", labels={naming.CAMPAIGN_LABEL: kopf.PRESENT})
async def job_index(body: kopf.Body, **_: Any) -> dict[Key, Body]:
    meta = body["metadata"]
    return {(meta["namespace"], meta["labels"][naming.CAMPAIGN_LABEL]): trim_job(body)}


@kopf.index("", "v1", "pods", labels={naming.CAMPAIGN_LABEL: kopf.PRESENT})
async def pod_index(body: kopf.Body, **_: Any) -> dict[Key, Body]:
    meta = body["metadata"]
    return {(meta["namespace"], meta["labels"][naming.CAMPAIGN_LABEL]): trim_pod(body)}


# --- events: each queues its campaign ---------------------------------------------------


@kopf.on.event(naming.GROUP, naming.VERSION, PLURAL_CAMPAIGNS)
async def campaign_event(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    reconciler, meta = _reconciler(memo), body["metadata"]
    phase = (body.get("status") or {}).get("phase")
    live = event["type"] != "DELETED" and phase not in TERMINAL
    reconciler.track(meta["namespace"], meta["name"], live)
    reconciler.enqueue(meta["namespace"], meta["name"])


@kopf.on.event(naming.GROUP, naming.VERSION, PLURAL_RUNS)
async def run_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Queues the run's campaign: its reconcile adopts the run, or marks it an orphan when
    the campaign does not exist (and adopts it once it does)."""
    campaign = (body.get("spec") or {}).get("campaign", "")
    _reconciler(memo).enqueue(body["metadata"]["namespace"], campaign)


@kopf.on.event("batch", "v1", "jobs", labels={naming.CAMPAIGN_LABEL: kopf.PRESENT})
async def job_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    _owned_event(body, memo)


@kopf.on.event("", "v1", "pods", labels={naming.CAMPAIGN_LABEL: kopf.PRESENT})
async def pod_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    _owned_event(body, memo)


def _owned_event(body: kopf.Body, memo: kopf.Memo) -> None:
    meta = body["metadata"]
    _reconciler(memo).enqueue(meta["namespace"], meta["labels"][naming.CAMPAIGN_LABEL])
