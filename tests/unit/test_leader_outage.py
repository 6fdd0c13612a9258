"""Leader election through an apiserver outage: connection errors are failed renewals,
not the end of the renewal thread; leadership is given up before the Lease can expire,
and kept when the apiserver comes back in time."""

import threading
import time
from datetime import UTC, datetime

from kubernetes import client
from urllib3.exceptions import MaxRetryError

from kintern_operator.leader import LeaderElector


class FlakyLeases:
    """A Lease API that is unreachable for the first `down` calls, then holds our Lease."""

    def __init__(self, identity: str, down: int) -> None:
        self.identity, self.down, self.calls = identity, down, 0

    def read_namespaced_lease(self, name: str, namespace: str) -> client.V1Lease:
        self.calls += 1
        if self.calls <= self.down:
            raise MaxRetryError(None, "/apis/coordination.k8s.io", "connection refused")
        spec = client.V1LeaseSpec(
            holder_identity=self.identity, lease_duration_seconds=2, renew_time=datetime.now(UTC)
        )
        return client.V1Lease(metadata=client.V1ObjectMeta(name=name), spec=spec)

    def replace_namespaced_lease(self, name: str, namespace: str, body: object) -> object:
        return body


def _elector(down: int) -> tuple[LeaderElector, FlakyLeases]:
    elector = LeaderElector(client.ApiClient(), "lease", "ns", "me", 2, renew_seconds=0.1)
    leases = FlakyLeases("me", down)
    elector.coord = leases  # type: ignore[assignment]
    return elector, leases


def _lost_within(elector: LeaderElector, seconds: float) -> tuple[bool, float]:
    stop, lost = threading.Event(), threading.Event()
    start = time.monotonic()
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


def test_acquiring_waits_out_an_unreachable_apiserver() -> None:
    elector, _ = _elector(down=3)
    assert elector.acquire(threading.Event())
