"""The reconcile work queue: a burst of events for one campaign is one reconcile, a
campaign is never reconciled by two workers at once, and an event during a reconcile is
not lost (it gets one more)."""

import itertools
import random
import threading
from collections.abc import Callable

import pytest

from kintern_operator.workqueue import Key, WorkQueue

A, B = ("ns", "a"), ("ns", "b")


def test_a_burst_for_one_campaign_waits_as_one_key() -> None:
    queue = WorkQueue()
    for key in (A, A, B, A, B):
        queue.add(key)
    assert len(queue) == 2
    assert [queue.get(), queue.get()] == [A, B]


def test_a_key_added_while_running_runs_once_more_after() -> None:
    queue = WorkQueue()
    queue.add(A)
    assert queue.get() == A
    queue.add(A)
    queue.add(A)
    assert len(queue) == 0  # not taken by a second worker while the first runs
    queue.done(A)
    assert queue.get() == A
    queue.done(A)
    assert len(queue) == 0


class Workers:
    """Worker threads reconciling from a queue. A reconcile lasts until the test releases
    it, and a shared logical clock ticks at every `add` and every reconcile start, so
    "covered" is an order of observed events, not a timing."""

    def __init__(self, queue: WorkQueue, count: int) -> None:
        self.queue = queue
        self.clock = itertools.count()
        self.cond = threading.Condition()
        self.running: dict[Key, threading.Event] = {}  # key -> releases its reconcile
        self.overlaps: list[Key] = []  # a key taken while another worker had it
        self.errors: list[BaseException] = []  # reach the test, not just a thread warning
        self.added: dict[Key, int] = {}  # the tick of each key's latest add
        self.started: dict[Key, int] = {}  # the tick of each key's latest reconcile start
        self.free_running = False
        self.releases: list[threading.Event] = []  # every reconcile's, for `stop`
        self.threads = [threading.Thread(target=self._work) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def add(self, key: Key) -> None:
        """An event for `key`; unless one of its reconciles runs, wait until one starts."""
        with self.cond:
            self.queue.add(key)
            tick = self.added[key] = next(self.clock)
            if key not in self.running:
                self._wait_for(lambda: self.started.get(key, -1) > tick, f"{key} to start")

    def finish(self, key: Key) -> None:
        """Let the reconcile of `key` end, if one runs, and wait until it has; an event
        that came meanwhile must then start another."""
        with self.cond:
            release = self.running.get(key)
            if release is None:
                return
            release.set()
            self._wait_for(lambda: self.running.get(key) is not release, f"{key} to end")
            tick = self.added.get(key, -1)
            if tick > self.started[key]:
                self._wait_for(
                    lambda: self.started[key] > tick, f"{key}'s event during a reconcile"
                )

    def _wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        if not self.cond.wait_for(predicate, timeout=5):
            self.errors.append(TimeoutError(f"never saw {what}"))

    def _work(self) -> None:
        try:
            while (key := self.queue.get()) is not None:
                release = threading.Event()
                with self.cond:
                    self.releases.append(release)
                    if key in self.running:
                        self.overlaps.append(key)
                    self.running[key] = release
                    self.started[key] = next(self.clock)
                    self.cond.notify_all()
                    if self.free_running:
                        release.set()
                release.wait()
                with self.cond:
                    if self.running.get(key) is release:
                        del self.running[key]
                    self.cond.notify_all()
                self.queue.done(key)
        except BaseException as e:
            self.errors.append(e)

    def uncovered(self) -> list[Key]:
        """Keys with an add that no reconcile started after (call holding `cond`)."""
        return [k for k, tick in self.added.items() if self.started.get(k, -1) < tick]

    def settle(self, timeout: float = 5) -> bool:
        """Release every reconcile, then wait until every add is covered and none runs."""
        with self.cond:
            self.free_running = True
            for release in self.running.values():
                release.set()
            return self.cond.wait_for(
                lambda: not self.uncovered() and not self.running, timeout=timeout
            )

    def stop(self) -> None:
        self.queue.close()
        with self.cond:
            self.free_running = True
            for release in self.releases:
                release.set()
        for thread in self.threads:
            thread.join()


@pytest.mark.parametrize("seed", range(5))
def test_workers_never_share_a_key_and_every_event_is_covered(seed: int) -> None:
    rng, keys = random.Random(seed), [("ns", f"c{i}") for i in range(3)]
    workers = Workers(WorkQueue(), 4)
    for _ in range(300):  # events arrive while reconciles of the same key run, and not
        key = rng.choice(keys)
        if rng.random() < 0.6:
            workers.add(key)
        else:
            workers.finish(key)
        if workers.errors or workers.overlaps:
            break
    settled = not workers.errors and workers.settle()
    workers.add(A)  # an event after everything settled still gets its reconcile
    settled_again = not workers.errors and workers.settle()
    workers.stop()
    assert workers.overlaps == [], "two workers reconciled the same campaign at once"
    assert workers.errors == []
    assert settled and settled_again, f"events never reconciled: {workers.uncovered()}"
