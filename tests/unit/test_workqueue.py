"""The reconcile work queue: a burst of events for one campaign is one reconcile, a
campaign is never reconciled by two workers at once, and an event during a reconcile is
not lost (it gets one more)."""

import threading
import time

from kintern_operator.workqueue import WorkQueue

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


def test_workers_never_share_a_key_and_every_event_is_covered() -> None:
    queue, seen, busy, lock = WorkQueue(), [], set(), threading.Lock()

    def work() -> None:
        while (key := queue.get()) is not None:
            with lock:
                assert key not in busy
                busy.add(key)
            time.sleep(0.001)
            with lock:
                busy.discard(key)
                seen.append(key)
            queue.done(key)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for i in range(200):
        queue.add(A if i % 3 else B)
    deadline = time.monotonic() + 10
    while len(queue) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    last = len(seen)
    queue.add(A)  # an event after everything settled still gets its reconcile
    while len(seen) == last and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.close()
    for worker in workers:
        worker.join()
    assert seen[-1] == A and 2 <= len(seen) < 200
