"""Leader election on a coordination.k8s.io Lease, so two replicas never both act.

The holder renews the Lease every `renew_seconds`, each attempt bounded in time; a
candidate takes it over only after it expired. The holder gives leadership up once no
renewal has succeeded for `renew_deadline` (shorter than the Lease), measured from when
the last good renewal was sent, and a watchdog thread enforces that even while a renewal
call hangs. Losing it stops the operator (the Deployment restarts the process), which is
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

from kintern_operator.kube import TRANSIENT

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
        renew_deadline: float | None = None,
    ) -> None:
        self.coord = client.CoordinationV1Api(api)
        self.name, self.namespace = name, namespace
        self.identity = identity or f"{socket.gethostname()}-{id(self):x}"
        self.lease_seconds, self.renew_seconds = lease_seconds, renew_seconds
        # client-go's ratio (10 s of a 15 s Lease): what is left covers clock skew and the
        # moment it takes this process to stop.
        self.renew_deadline = renew_deadline or max(renew_seconds, lease_seconds * 2 / 3)
        if not renew_seconds <= self.renew_deadline < lease_seconds:
            raise ValueError(
                f"renew deadline {self.renew_deadline}s must be at least the renew period "
                f"({renew_seconds}s) and shorter than the Lease ({lease_seconds}s)"
            )
        self._call_timeout = self._timeout(self.renew_deadline)
        self._guard = threading.Lock()
        self._valid_until = 0.0  # time.monotonic(); leadership is proven until then

    def _spec(self, acquire: datetime | None = None) -> dict[str, object]:
        spec: dict[str, object] = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.lease_seconds,
            "renewTime": _micro(_now()),
        }
        if acquire is not None:
            spec["acquireTime"] = _micro(acquire)
        return spec

    def try_acquire(self) -> bool:
        """One attempt: create, renew our own, or take over an expired Lease."""
        try:
            lease = self.coord.read_namespaced_lease(
                self.name, self.namespace, _request_timeout=self._call_timeout
            )
        except ApiException as err:
            if err.status != 404:
                raise
            return self._create()
        spec = lease.spec or client.V1LeaseSpec()  # a Lease without spec is vacant
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
            self.coord.replace_namespaced_lease(
                self.name, self.namespace, lease, _request_timeout=self._call_timeout
            )
            return True
        except ApiException as err:
            if err.status == 409:  # someone else wrote it first
                return False
            raise

    def _create(self) -> bool:
        body = client.V1Lease.model_validate(
            {"metadata": {"name": self.name}, "spec": self._spec(_now())}
        )
        try:
            self.coord.create_namespaced_lease(
                self.namespace, body, _request_timeout=self._call_timeout
            )
            return True
        except ApiException as err:
            if err.status == 409:
                return False
            raise

    def release(self) -> None:
        """Give the Lease up on a clean shutdown (only if we still hold it)."""
        try:
            lease = self.coord.read_namespaced_lease(
                self.name, self.namespace, _request_timeout=self._call_timeout
            )
            if lease.spec is None or lease.spec.holder_identity != self.identity:
                return
            lease.spec.holder_identity = None
            lease.spec.lease_duration_seconds = 1
            self.coord.replace_namespaced_lease(
                self.name, self.namespace, lease, _request_timeout=self._call_timeout
            )
            log.info("released the lease %s/%s", self.namespace, self.name)
        except TRANSIENT as err:
            log.warning("could not release the lease: %s", _why(err))

    def acquire(self, stop: threading.Event) -> bool:
        log.info("waiting to lead as %s (lease %s/%s)", self.identity, self.namespace, self.name)
        while not stop.is_set():
            if self._attempt("acquire"):
                log.info("became leader as %s", self.identity)
                return True
            stop.wait(self.renew_seconds)
        return False

    def _attempt(self, what: str) -> bool:
        """`try_acquire`, with the apiserver unreachable, refusing or too slow counted as a
        failed attempt. A success proves the Lease ours until `renew_deadline` after the
        attempt began (the renewTime it wrote is no earlier than that). Anything else (a
        bug) propagates: it ends the election rather than hide behind a green /healthz."""
        began = time.monotonic()
        # A call may take as long as leadership is still proven (a candidate's, half the
        # renew deadline): past that, its answer could not keep leadership anyway.
        left = self.valid_for()
        self._call_timeout = self._timeout(left if left > 0 else self.renew_deadline / 2)
        try:
            won = self.try_acquire()
        except TRANSIENT as err:
            log.warning("lease %s failed: %s", what, _why(err))
            return False
        if won:
            with self._guard:
                self._valid_until = max(self._valid_until, began + self.renew_deadline)
        return won

    @staticmethod
    def _timeout(seconds: float) -> tuple[float, float]:
        bound = max(0.5, seconds)
        return (bound, bound)

    def valid_for(self) -> float:
        """Seconds for which leadership is still proven (0 or less: it is not)."""
        with self._guard:
            return self._valid_until - time.monotonic()

    def keep(self, stop: threading.Event, on_lost: Callable[[], None]) -> list[threading.Thread]:
        """Renew in the background; call `on_lost` once when leadership is no longer proven.

        One thread renews; another watches the deadline, so a renewal call that hangs (an
        apiserver that accepts connections and never answers) still ends leadership in
        time: this replica has stopped before another may take the expired Lease.
        """
        lost = threading.Event()

        def renew() -> None:
            while not stop.wait(self.renew_seconds) and not lost.is_set():
                self._attempt("renewal")

        def watchdog() -> None:
            while not stop.wait(max(0.0, min(self.valid_for(), self.renew_seconds))):
                if self.valid_for() <= 0:
                    lost.set()
                    log.error(
                        "lost leadership of %s/%s: no renewal succeeded in %.1fs",
                        self.namespace,
                        self.name,
                        self.renew_deadline,
                    )
                    on_lost()
                    return

        threads = [
            threading.Thread(target=renew, daemon=True, name="leader-renew"),
            threading.Thread(target=watchdog, daemon=True, name="leader-watchdog"),
        ]
        for thread in threads:
            thread.start()
        return threads


def _why(err: BaseException) -> str:
    return str(getattr(err, "reason", None) or err)


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
