"""kintern_campaigns stays right when the reconcile workers report many campaigns at once:
no worker fails on a phase table another one changes, and the counts add up."""

import threading

from prometheus_client import REGISTRY

from kintern_operator import metrics
from tests.support.builders import campaign

NAMESPACE = "metrics-threads"
THREADS, CAMPAIGNS_PER_THREAD = 16, 150
PHASES = ("Pending", "Running", "Succeeded")


def _report_many(worker: int, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    built = []
    for i in range(CAMPAIGNS_PER_THREAD):
        one = campaign(f"c-{worker}-{i}")
        one.metadata["namespace"] = NAMESPACE
        one.status.phase = PHASES[i % len(PHASES)]
        built.append(one)
    barrier.wait()
    try:
        for one in built:
            metrics.report_campaign(one, [])
    except BaseException as err:  # handed to the test thread, which fails on it
        errors.append(err)


def test_campaign_counts_are_right_when_many_workers_report_at_once() -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)
    threads = [
        threading.Thread(target=_report_many, args=(w, barrier, errors)) for w in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    per_phase = THREADS * CAMPAIGNS_PER_THREAD // len(PHASES)
    for phase in PHASES:
        labels = {"namespace": NAMESPACE, "phase": phase}
        assert REGISTRY.get_sample_value("kintern_campaigns", labels) == per_phase, phase
