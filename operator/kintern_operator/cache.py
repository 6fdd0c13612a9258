"""What the operator's watches have shown, for the reconcile to read instead of listing.

kopf keeps an index per kind (handlers.py registers them): campaigns by (namespace,
name), runs by (namespace, spec.campaign), and the Jobs and pods labelled for a campaign
by (namespace, label value). kopf fills every index from its initial listing before any
handler runs, so the first handler call (`synced`) means they are complete.

A watch delivers an object some time after the operator wrote it. The reconcile must not
plan from an older copy of what it just wrote (it would approve a run twice, or write a
status that lacks the approval), so the operator's own writes are kept here too, and a
read takes whichever copy is newer by resourceVersion, until the watch catches up. They
are kept trimmed as the indexes are, and swept every few seconds: a campaign that is not
reconciled again would otherwise hold every Job and run it wrote, whole, for good (at
10,000 runs that was most of the operator's memory).
"""

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

Body = dict[str, Any]
Key = tuple[str, str]
OWN_WRITE_SECONDS = 120.0  # a write the watch never confirms (deleted at once) is dropped
SWEEP_SECONDS = 5.0  # how often the own writes the watch has confirmed are dropped


def trim_pod(body: Mapping[str, Any]) -> Body:
    """The part of a pod the reconcile reads (observe.py): an eighth of a kwok pod's size."""
    meta, status = body["metadata"], body.get("status") or {}
    return {
        "metadata": {k: meta[k] for k in _POD_META if k in meta},
        "status": {k: status[k] for k in _POD_STATUS if k in status},
    }


def trim_job(body: Mapping[str, Any]) -> Body:
    """The part of a Job the reconcile reads: no pod template, no managedFields."""
    spec = body.get("spec") or {}
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": _lean(body["metadata"]),
        "spec": {"suspend": spec.get("suspend")},
        "status": body.get("status") or {},
    }


def whole(body: Mapping[str, Any]) -> Body:
    """A campaign or run as watched, less its managedFields (a third of a run's size,
    which nothing here reads). A shallow copy: nothing here changes it."""
    return {**body, "metadata": _lean(body["metadata"])}


def _lean(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k != "managedFields"}


_POD_META = (
    "name",
    "namespace",
    "uid",
    "labels",
    "ownerReferences",
    "creationTimestamp",
    "deletionTimestamp",
)
_POD_STATUS = ("phase", "startTime", "containerStatuses")


TRIMS = {"campaigns": whole, "runs": whole, "jobs": trim_job, "pods": trim_pod}


class WatchedObjects:
    """Reads from kopf's indexes (mappings of key -> iterable of bodies, written by the
    event loop's thread) merged with the operator's own recent writes."""

    def __init__(
        self,
        campaigns: Mapping[Key, Iterable[Body]],
        runs: Mapping[Key, Iterable[Body]],
        jobs: Mapping[Key, Iterable[Body]],
        pods: Mapping[Key, Iterable[Body]],
    ) -> None:
        self._indexes = {"campaigns": campaigns, "runs": runs, "jobs": jobs, "pods": pods}
        self.synced = threading.Event()
        self._guard = threading.Lock()
        # (kind, index key) -> name -> (when written, body as the apiserver answered)
        self._own: dict[tuple[str, Key], dict[str, tuple[float, Body]]] = {}
        self._swept = time.monotonic()

    def campaign(self, namespace: str, name: str) -> Body | None:
        found = self._read("campaigns", (namespace, name))
        return found[0] if found else None

    def runs(self, namespace: str, campaign: str) -> list[Body]:
        """Runs whose spec.campaign is `campaign`, labelled or not, oldest first."""
        runs = self._read("runs", (namespace, campaign))
        return sorted(
            runs, key=lambda r: (r["metadata"]["creationTimestamp"], r["metadata"]["name"])
        )

    def jobs(self, namespace: str, label: str) -> list[Body]:
        return self._read("jobs", (namespace, label))

    def pods(self, namespace: str, label: str) -> list[Body]:
        return self._read("pods", (namespace, label))

    def wrote(self, kind: str, key: Key, body: Body) -> None:
        """Remember an object the operator just wrote (as the apiserver answered, trimmed
        as its index keeps it)."""
        now = time.monotonic()
        with self._guard:
            written = self._own.setdefault((kind, key), {})
            written[body["metadata"]["name"]] = (now, TRIMS[kind](body))
            if now - self._swept > SWEEP_SECONDS:
                self._swept = now
                for own_kind, own_key in list(self._own):
                    self._merge(own_kind, own_key, self._watched(own_kind, own_key), now)

    def _read(self, kind: str, key: Key) -> list[Body]:
        watched = self._watched(kind, key)
        with self._guard:
            self._merge(kind, key, watched, time.monotonic())
        return list(watched.values())

    def _watched(self, kind: str, key: Key) -> dict[str, Body]:
        return {b["metadata"]["name"]: b for b in _snapshot(self._indexes[kind].get(key))}

    def _merge(self, kind: str, key: Key, watched: dict[str, Body], now: float) -> None:
        """Put into `watched` the own writes newer than it; drop those the watch caught up
        with (or never will). Called under the guard."""
        written = self._own.get((kind, key))
        if written is None:
            return
        for name, (at, body) in list(written.items()):
            seen = watched.get(name)
            if now - at > OWN_WRITE_SECONDS or (seen and _newer_or_same(seen, body)):
                del written[name]
            else:
                watched[name] = body
        if written == {}:
            del self._own[(kind, key)]


def _newer_or_same(seen: Body, own: Body) -> bool:
    try:
        return int(seen["metadata"]["resourceVersion"]) >= int(own["metadata"]["resourceVersion"])
    except (KeyError, TypeError, ValueError):  # not comparable: the watch's copy wins
        return True


def _snapshot(store: Iterable[Body] | None) -> list[Body]:
    """A list of the index's values. kopf's event loop may change the store meanwhile;
    list() copies it in one step under the GIL, and the rare "changed size during
    iteration" between taking the iterator and copying is simply tried again."""
    if store is None:
        return []
    for _ in range(10):
        try:
            return list(store)
        except RuntimeError:
            continue
    return list(store)
