"""Records every Job and Pod a namespace ever held, for tests that must prove what the
operator did even after objects are gone: which Jobs were created (and how often under one
name), every pod's last state, and so the GPU-hours the pods really ran.

    with Recorder(cluster.api, namespace) as seen:
        ...  # the operator works, pods come and go
    assert seen.job_uids("trun-demo-r001") == 1
    seen.pod_gpu_hours(gpus=2)

Times come from the pods' own container states (as kwok writes them), independently of
anything the operator computes.
"""

import threading
from collections import defaultdict
from collections.abc import Callable
from types import TracebackType
from typing import Any

from kubernetes import client, watch

from kintern.api.times import parse_time
from tests.support.fake_trainer import apiserver_away

TRAINER_SELECTOR = "app.kubernetes.io/component=trainer"


class Recorder:
    """Watches the namespace's training Jobs and Pods while it runs (a context manager)."""

    def __init__(
        self, api: client.ApiClient, namespace: str, selector: str = TRAINER_SELECTOR
    ) -> None:
        self.namespace, self.selector, self.api = namespace, selector, api
        self.batch, self.core = client.BatchV1Api(api), client.CoreV1Api(api)
        self.jobs: dict[str, set[str]] = defaultdict(set)  # name -> every uid it had
        self.pods: dict[str, dict[str, Any]] = {}  # uid -> the pod (wire shape) as last seen
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._follow, args=(self._list_jobs, self._job), daemon=True),
            threading.Thread(target=self._follow, args=(self._list_pods, self._pod), daemon=True),
        ]

    def __enter__(self) -> "Recorder":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._errors and exc is None:
            raise RuntimeError(f"recorder failed: {self._errors[0]!r}") from self._errors[0]

    # --- what was seen ----------------------------------------------------------------

    def job_uids(self, name: str) -> int:
        """How many distinct Jobs ever carried this name."""
        return len(self.jobs.get(name, ()))

    def pods_of(self, job: str) -> list[dict[str, Any]]:
        return [p for p in self.pods.values() if _owner_job(p) == job]

    def pod_seconds(self, pod: dict[str, Any]) -> float:
        """Seconds the pod's first container ran, from its terminated state (0 if none)."""
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        term = ((statuses[0].get("state") or {}).get("terminated") or {}) if statuses else {}
        started, finished = parse_time(term.get("startedAt")), parse_time(term.get("finishedAt"))
        if started is None or finished is None:
            return 0.0
        return max(0.0, (finished - started).total_seconds())

    def pod_gpu_hours(self, gpus: int, job: str | None = None) -> float:
        """GPU-hours of every recorded pod (of one Job if given), at `gpus` GPUs each."""
        pods = self.pods_of(job) if job else list(self.pods.values())
        return sum(self.pod_seconds(p) for p in pods) * gpus / 3600

    # --- watching ---------------------------------------------------------------------

    def _list_jobs(self, **kwargs: Any) -> Any:
        return self.batch.list_namespaced_job(self.namespace, **kwargs)

    def _list_pods(self, **kwargs: Any) -> Any:
        return self.core.list_namespaced_pod(self.namespace, **kwargs)

    def _job(self, job: Any) -> None:
        meta = self.api.sanitize_for_serialization(job)["metadata"]
        self.jobs[meta["name"]].add(meta["uid"])

    def _pod(self, pod: Any) -> None:
        body = self.api.sanitize_for_serialization(pod)
        self.pods[body["metadata"]["uid"]] = body

    def _follow(self, lister: Callable[..., Any], note: Callable[[Any], None]) -> None:
        since: str | None = None
        while not self._stop.is_set():
            try:
                watcher = watch.Watch()
                extra = {"resource_version": since} if since else {}
                for event in watcher.stream(
                    lister, label_selector=self.selector, timeout_seconds=2, **extra
                ):
                    note(event["object"])
                    if self._stop.is_set():
                        return
                since = watcher.resource_version
            except Exception as err:  # reported by __exit__, not lost in the thread
                if isinstance(err, client.ApiException) and err.status == 410:
                    since = None  # 410 Gone: the resourceVersion expired; list again
                elif apiserver_away(err):
                    self._stop.wait(0.5)  # the fault tests stop the apiserver for a while
                else:
                    self._errors.append(err)
                    return


def _owner_job(pod: dict[str, Any]) -> str | None:
    for owner in pod["metadata"].get("ownerReferences") or []:
        if owner.get("kind") == "Job":
            return str(owner["name"])
    return None
