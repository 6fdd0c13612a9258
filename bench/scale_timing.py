"""When each benchmark run was created, approved and got its Job, as the benchmark saw it
(bench/operator_scale.py). Kubernetes stamps objects in whole seconds, too coarse for
latencies, so two watches record the moment each change arrives: a run's Approved
condition turning True, and a training Job being ADDED.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client, watch

GROUP, VERSION = "kintern.dev", "v1alpha1"
RUN_LABEL = "kintern.dev/bench=1"
TRAINER_LABEL = "app.kubernetes.io/component=trainer"


@dataclass
class Timeline:
    """Monotonic seconds per run name: created, approved, Job seen."""

    created: dict[str, float] = field(default_factory=dict)
    approved: dict[str, float] = field(default_factory=dict)
    job: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, table: dict[str, float], run: str) -> None:
        with self.lock:
            table.setdefault(run, time.monotonic())

    def latencies(self, start: dict[str, float], end: dict[str, float]) -> list[float]:
        return sorted(end[r] - start[r] for r in end if r in start)


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0..1) of sorted `values`, by nearest rank."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


class Watches:
    """Two watch threads filling a Timeline until `stop`."""

    def __init__(self, api: client.ApiClient, timeline: Timeline) -> None:
        self.api, self.timeline = api, timeline
        self._stop = threading.Event()
        custom, batch = client.CustomObjectsApi(api), client.BatchV1Api(api)

        # Typed `-> Any`, so the watch hands over plain dicts: deserialising ten thousand
        # Jobs into client models would cost the benchmark more CPU than it measures.
        def runs(**kw: Any) -> Any:
            return custom.list_cluster_custom_object(
                "kintern.dev", "v1alpha1", "trainingruns", **kw
            )

        def jobs(**kw: Any) -> Any:
            return batch.list_job_for_all_namespaces(**kw)

        self._threads = [
            threading.Thread(target=self._follow, args=(runs, RUN_LABEL, self._run), daemon=True),
            threading.Thread(
                target=self._follow, args=(jobs, TRAINER_LABEL, self._job), daemon=True
            ),
        ]

    def start(self) -> Watches:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self, event: dict[str, Any]) -> None:
        body = event["object"]
        for condition in (body.get("status") or {}).get("conditions") or []:
            if condition.get("type") == "Approved" and condition.get("status") == "True":
                self.timeline.note(self.timeline.approved, body["metadata"]["name"])

    def _job(self, event: dict[str, Any]) -> None:
        if event["type"] == "ADDED":
            name = event["object"]["metadata"]["name"]
            self.timeline.note(self.timeline.job, name.removeprefix("trun-"))

    def _follow(
        self, lister: Callable[..., Any], selector: str, note: Callable[[dict[str, Any]], None]
    ) -> None:
        follow(lister, note, self._stop, selector)


def follow(
    lister: Callable[..., Any],
    note: Callable[[dict[str, Any]], None],
    stop: threading.Event,
    selector: str = "",
) -> None:
    """Hand every watch event of `lister` to `note` until `stop`, resuming each 5-second
    watch where the last one ended (listing again only when that version expired)."""
    since: str | None = None
    while not stop.is_set():
        extra = {"resource_version": since} if since else {}
        try:
            for event in watch.Watch().stream(
                lister, label_selector=selector, timeout_seconds=5, **extra
            ):
                if event["type"] == "ERROR":
                    raise client.ApiException(status=event["object"].get("code"))
                since = event["object"]["metadata"]["resourceVersion"]
                note(event)
                if stop.is_set():
                    return
        except client.ApiException as err:
            if err.status != 410:
                raise
            since = None  # the resourceVersion expired: list again
