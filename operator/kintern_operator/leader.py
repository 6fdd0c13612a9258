"""Leader election on a coordination.k8s.io Lease, so two replicas never both act.

The holder renews the Lease every `renew_seconds`; a candidate takes it over only after
it expired. Losing it stops the operator (the Deployment restarts the process), which is
what controller-runtime does too.
"""

import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kubernetes import client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(
        self,
        api: client.ApiClient,
        name: str,
        namespace: str,
        identity: str | None = None,
        lease_seconds: int = 15,
        renew_seconds: float = 5,
    ) -> None:
        self.coord = client.CoordinationV1Api(api)
        self.name, self.namespace = name, namespace
        self.identity = identity or f"{socket.gethostname()}-{id(self):x}"
        self.lease_seconds, self.renew_seconds = lease_seconds, renew_seconds

    def _spec(self, acquire: datetime | None = None) -> dict[str, object]:
        now = _micro(_now())
        spec: dict[str, object] = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.lease_seconds,
            "renewTime": now,
        }
        if acquire is not None:
            spec["acquireTime"] = _micro(acquire)
        return spec

    def try_acquire(self) -> bool:
        """One attempt: create, renew our own, or take over an expired Lease."""
        try:
            lease = self.coord.read_namespaced_lease(self.name, self.namespace)
        except ApiException as err:
            if err.status != 404:
                raise
            body = {"metadata": {"name": self.name}, "spec": self._spec(_now())}
            try:
                self.coord.create_namespaced_lease(self.namespace, body)
                return True
            except ApiException as create_err:
                if create_err.status == 409:
                    return False
                raise
        spec = lease.spec
        mine = spec.holder_identity == self.identity
        renewed = spec.renew_time or spec.acquire_time
        duration = timedelta(seconds=spec.lease_duration_seconds or self.lease_seconds)
        vacant = not spec.holder_identity
        expired = vacant or renewed is None or renewed + duration < _now()
        if not (mine or expired):
            return False
        lease.spec = client.V1LeaseSpec(**_snake(self._spec(None if mine else _now())))
        if mine:
            lease.spec.acquire_time = spec.acquire_time
        try:
            self.coord.replace_namespaced_lease(self.name, self.namespace, lease)
            return True
        except ApiException as err:
            if err.status == 409:  # someone else wrote it first
                return False
            raise

    def release(self) -> None:
        """Give the Lease up on a clean shutdown (only if we still hold it)."""
        try:
            lease = self.coord.read_namespaced_lease(self.name, self.namespace)
            if lease.spec.holder_identity != self.identity:
                return
            lease.spec.holder_identity = None
            lease.spec.lease_duration_seconds = 1
            self.coord.replace_namespaced_lease(self.name, self.namespace, lease)
            log.info("released the lease %s/%s", self.namespace, self.name)
        except ApiException as err:
            log.warning("could not release the lease: %s", err.reason)

    def acquire(self, stop: threading.Event) -> bool:
        log.info("waiting to lead as %s (lease %s/%s)", self.identity, self.namespace, self.name)
        while not stop.is_set():
            if self._attempt("acquire"):
                log.info("became leader as %s", self.identity)
                return True
            stop.wait(self.renew_seconds)
        return False

    def _attempt(self, what: str) -> bool:
        """`try_acquire`, with the apiserver unreachable or refusing counted as a failed
        attempt: a stopped or restarting apiserver must not end the election thread."""
        try:
            return self.try_acquire()
        except Exception as err:  # ApiException, or urllib3's connection errors
            log.warning("lease %s failed: %s", what, getattr(err, "reason", None) or err)
            return False

    def keep(self, stop: threading.Event, on_lost: Callable[[], None]) -> threading.Thread:
        """Renew in the background; call `on_lost` once if the Lease may be lost.

        Leadership is given up when no renewal succeeded for the lease's duration less one
        renewal period, so this replica has stopped before another may take the expired
        Lease (client-go's renew deadline does the same).
        """
        give_up_after = max(self.renew_seconds, self.lease_seconds - self.renew_seconds)

        def loop() -> None:
            last_ok = time.monotonic()
            while not stop.wait(self.renew_seconds):
                if self._attempt("renewal"):
                    last_ok = time.monotonic()
                    continue
                if time.monotonic() - last_ok > give_up_after:
                    log.error("lost leadership of %s/%s", self.namespace, self.name)
                    on_lost()
                    return

        thread = threading.Thread(target=loop, daemon=True, name="leader-renew")
        thread.start()
        return thread


def _snake(spec: dict[str, object]) -> dict[str, object]:
    names = {
        "holderIdentity": "holder_identity",
        "leaseDurationSeconds": "lease_duration_seconds",
        "renewTime": "renew_time",
        "acquireTime": "acquire_time",
    }
    out: dict[str, object] = {}
    for key, value in spec.items():
        if key in ("renewTime", "acquireTime"):
            value = datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        out[names[key]] = value
    return out
