"""A fake trainer for tests and benchmarks: it watches pods and ends the Running pods of
named Jobs with a chosen outcome, through kwok's kwok.kintern.dev/* annotation contract.

    outcomes = {"qwen3-gpqa-r001": Outcome(0, {"score": {"value": 0.31}})}
    with FakeTrainer(cluster.api, namespace, outcomes):
        ...  # the operator's Job completes; its pod carries the termination message

A Job maps to one Outcome (every pod of it) or to a list (the n-th pod gets the n-th,
the last one repeats), which is how a test plays a failure and then a good retry.
"""

import json
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import urllib3
from kubernetes import client, watch

from kintern.devcluster.kwok import completion_annotations


@dataclass(frozen=True)
class Outcome:
    """How one pod ends: exit code, optional termination message (dicts become JSON),
    optional reason (e.g. OOMKilled), after how many seconds of running."""

    exit_code: int = 0
    message: str | dict[str, Any] | None = None
    reason: str | None = None
    after_seconds: float = 0.0

    def annotations(self) -> dict[str, str]:
        message = self.message
        if isinstance(message, dict):
            message = json.dumps(message)
        return completion_annotations(self.exit_code, message, self.reason)


Plan = Outcome | Sequence[Outcome]


def apiserver_away(err: BaseException) -> bool:
    """The apiserver is stopped or restarting (refused, reset, 5xx): worth waiting out."""
    if isinstance(err, client.ApiException):
        return err.status is not None and err.status >= 500
    return isinstance(err, urllib3.exceptions.HTTPError | ConnectionError)


def job_name_of(pod: client.V1Pod) -> str | None:
    """The name of the Job that owns the pod, if any."""
    for owner in (pod.metadata and pod.metadata.owner_references) or []:
        if owner.kind == "Job":
            return str(owner.name)
    return None


class FakeTrainer:
    """Completes Job pods per an outcome table while it runs (a context manager)."""

    def __init__(
        self,
        api: client.ApiClient,
        namespace: str,
        outcomes: Mapping[str, Plan],
        default: Outcome | None = None,
    ) -> None:
        self.core = client.CoreV1Api(api)
        self.namespace = namespace
        self.outcomes = dict(outcomes)
        self.default = default
        self.completed: dict[str, Outcome] = {}
        self._attempts: dict[str, int] = defaultdict(int)
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="fake-trainer", daemon=True)
        self._timers: list[threading.Timer] = []
        self._errors: list[BaseException] = []

    def __enter__(self) -> "FakeTrainer":
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for timer in self._timers:
            timer.cancel()
        self._thread.join(timeout=10)
        if self._errors and exc is None:
            raise RuntimeError(f"fake trainer failed: {self._errors[0]!r}") from self._errors[0]

    def _outcome_for(self, job: str) -> Outcome | None:
        plan = self.outcomes.get(job, self.default)
        if plan is None or isinstance(plan, Outcome):
            return plan
        attempt = self._attempts[job]
        self._attempts[job] += 1
        return plan[min(attempt, len(plan) - 1)]

    def _run(self) -> None:
        watcher = watch.Watch()
        since: str | None = None
        while not self._stop.is_set():
            try:
                self._watch_once(watcher, since)
                since = watcher.resource_version
            except Exception as err:  # reported by __exit__, not lost in the thread
                if isinstance(err, client.ApiException) and err.status == 410:
                    since = None  # 410 Gone: the resourceVersion expired; list again
                elif apiserver_away(err):
                    self._stop.wait(0.5)  # the fault tests stop the apiserver for a while
                else:
                    self._errors.append(err)
                    return

    def _watch_once(self, watcher: watch.Watch, since: str | None) -> None:
        extra = {"resource_version": since} if since else {}
        for event in watcher.stream(
            self.core.list_namespaced_pod, self.namespace, timeout_seconds=2, **extra
        ):
            self._consider(event["object"])
            if self._stop.is_set():
                return

    def _consider(self, pod: client.V1Pod) -> None:
        job, meta = job_name_of(pod), pod.metadata
        running = pod.status is not None and pod.status.phase == "Running"
        if job is None or meta is None or not running or meta.deletion_timestamp:
            return
        with self._lock:
            if meta.uid in self._seen:
                return
            self._seen.add(str(meta.uid))
            outcome = self._outcome_for(job)
        if outcome is None:
            return
        timer = threading.Timer(outcome.after_seconds, self._complete, (str(meta.name), outcome))
        self._timers.append(timer)
        timer.start()

    def _complete(self, pod_name: str, outcome: Outcome) -> None:
        body = {"metadata": {"annotations": outcome.annotations()}}
        while True:
            try:
                self.core.patch_namespaced_pod(pod_name, self.namespace, body)
                break
            except Exception as err:
                if isinstance(err, client.ApiException) and err.status == 404:
                    return  # a pod that is already gone needs no outcome
                if not apiserver_away(err) or self._stop.wait(0.5):
                    self._errors.append(err)
                    return
        self.completed[pod_name] = outcome
