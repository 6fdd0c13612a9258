"""Leader election through an apiserver outage: connection errors are failed renewals,
not the end of the renewal thread; leadership is given up before the Lease can expire,
also when a renewal call hangs, and kept when the apiserver comes back in time. (The
SIGSTOP test of tests/integration/test_operator_hang.py does the same on a real one.)"""

import threading
import time
from datetime import UTC, datetime

from kubernetes import client
from urllib3.exceptions import MaxRetryError

from kintern_operator.leader import LeaderElector


class FlakyLeases:
    """A Lease API that answers `up_first` calls, is unreachable for the next `down`, then
    holds our Lease."""

    def __init__(self, identity: str, down: int, up_first: int = 0) -> None:
        self.identity, self.down, self.up_first, self.calls = identity, down, up_first, 0

    def read_namespaced_lease(self, name: str, namespace: str, **_: object) -> client.V1Lease:
        self.calls += 1
        if self.up_first < self.calls <= self.up_first + self.down:
            raise MaxRetryError(None, "/apis/coordination.k8s.io", "connection refused")
        spec = client.V1LeaseSpec(
            holder_identity=self.identity, lease_duration_seconds=2, renew_time=datetime.now(UTC)
        )
        return client.V1Lease(metadata=client.V1ObjectMeta(name=name), spec=spec)

    def replace_namespaced_lease(
        self, name: str, namespace: str, body: object, **_: object
    ) -> object:
        return body


class HangingLeases(FlakyLeases):
    """Answers the first `answered` reads, then hangs in every call until released."""

    def __init__(self, identity: str, answered: int) -> None:
        super().__init__(identity, down=0)
        self.answered, self.release = answered, threading.Event()

    def read_namespaced_lease(self, name: str, namespace: str, **_: object) -> client.V1Lease:
        if self.calls >= self.answered:
            self.release.wait()
        return super().read_namespaced_lease(name, namespace)


def _elector(down: int, up_first: int = 1) -> tuple[LeaderElector, FlakyLeases]:
    """An elector whose Lease API answers `up_first` calls (acquiring), then is down."""
    elector = LeaderElector(client.ApiClient(), "lease", "ns", "me", 2, renew_seconds=0.1)
    leases = FlakyLeases("me", down, up_first)
    elector.coord = leases  # type: ignore[assignment]
    return elector, leases


def _lost_within(elector: LeaderElector, seconds: float) -> tuple[bool, float]:
    stop, lost = threading.Event(), threading.Event()
    start = time.monotonic()
    assert elector.acquire(stop)
    elector.keep(stop, on_lost=lost.set)
    gone = lost.wait(seconds)
    stop.set()
    return gone, time.monotonic() - start


def test_an_outage_shorter_than_the_renew_deadline_keeps_leadership() -> None:
    elector, leases = _elector(down=5)  # about half a second of refused connections
    gone, _ = _lost_within(elector, 2.5)
    assert not gone
    assert leases.calls > 10  # renewals went on after the errors


def test_a_long_outage_gives_leadership_up_before_the_lease_expires() -> None:
    elector, _ = _elector(down=1000)
    gone, after = _lost_within(elector, 5)
    assert gone
    assert after < 2.0  # the Lease lasts 2 s; another replica may take it only then


def test_a_renewal_that_hangs_gives_leadership_up_before_the_lease_expires() -> None:
    elector = LeaderElector(client.ApiClient(), "lease", "ns", "me", 2, renew_seconds=0.1)
    leases = HangingLeases("me", answered=3)
    elector.coord = leases  # type: ignore[assignment]
    try:
        gone, after = _lost_within(elector, 5)
    finally:
        leases.release.set()
    assert gone
    assert after < 2.0


def test_a_lease_without_spec_is_taken_as_vacant() -> None:
    elector, leases = _elector(down=0, up_first=0)

    def bare(name: str, namespace: str, **_: object) -> client.V1Lease:
        return client.V1Lease(metadata=client.V1ObjectMeta(name=name))

    leases.read_namespaced_lease = bare  # type: ignore[method-assign]
    assert elector.try_acquire()


def test_acquiring_waits_out_an_unreachable_apiserver() -> None:
    elector, _ = _elector(down=3, up_first=0)
    assert elector.acquire(threading.Event())
