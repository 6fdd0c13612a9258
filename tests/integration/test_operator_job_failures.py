"""A run whose pod fails, is OOMKilled or outlives its deadline is reported with the reason
a person needs, and charged to the budget for exactly the time its pod held the GPUs."""

import pytest

from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, condition, events_for
from tests.support.operator import OperatorProcess
from tests.support.recorder import Recorder
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
GPUS = 2
# Kubernetes records times in whole seconds; a Job that deleted its pod (the deadline) is
# charged up to its own verdict's time, at most one second after the pod's end.
ONE_SECOND = GPUS / 3600
TRACEBACK = 'Traceback (most recent call last):\n  File "train.py"\nRuntimeError: loss is NaN'
FAILURES = {
    # run name -> (the pod's ending, or None to run forever; hours asked; reason; in message)
    "crash": (Outcome(1, TRACEBACK, after_seconds=1.0), 1.0, "Error", "loss is NaN"),
    "oom": (
        Outcome(137, "CUDA out of memory", "OOMKilled", after_seconds=1.0),
        1.0,
        "OOMKilled",
        "out of memory",
    ),
    # An 11-second limit: on a loaded machine a 3-second one could end the Job before kwok
    # had started its pod, leaving no pod time to charge.
    "deadline": (None, 0.003, "DeadlineExceeded", "DeadlineExceeded"),
}


def test_failed_runs_carry_their_reason_and_pay_for_their_pod_time(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    outcomes = {f"trun-{name}": o for name, (o, *_) in FAILURES.items() if o is not None}
    with (
        Recorder(cluster.api, namespace) as seen,
        OperatorProcess(cluster.kubeconfig, namespace, tmp_path),
        FakeTrainer(cluster.api, namespace, outcomes),
    ):
        admin.create_campaign(
            **{"compute.gpusPerRun": GPUS, "budget.maxConcurrentRuns": 3, "objective.target": 0.99}
        )
        admin.wait_campaign("Running")
        for name, (_, hours, *_) in FAILURES.items():
            admin.create_run(name, resources={"hours": hours})
        runs = {name: admin.wait_run(name, "Failed", timeout=90) for name in FAILURES}
        campaign = eventually(
            lambda: (c := admin.campaign())["status"]["usage"]["runs"]["failed"] == 3 and c,
            "the campaign to count the failed runs",
        )

    for name, (_, _, reason, detail) in FAILURES.items():
        status = runs[name]["status"]
        assert status["failureReason"] == reason, (name, status)
        assert detail in status["message"], (name, status["message"])
        assert condition(runs[name], "Failed")["reason"] == reason
        assert reason in events_for(cluster.api, namespace, name)
        assert seen.job_uids(f"trun-{name}") == 1
        assert len(seen.pods_of(f"trun-{name}")) == 1
        pod_hours = seen.pod_gpu_hours(GPUS, job=f"trun-{name}")
        assert pod_hours > 0, name
        assert status["gpuHours"] == pytest.approx(pod_hours, abs=ONE_SECOND), name
        assert status["charged"] is True
    assert "loss is NaN" in runs["crash"]["status"]["logTail"]
    charged = sum(r["status"]["gpuHours"] for r in runs.values())
    assert campaign["status"]["usage"]["gpuHours"] == pytest.approx(charged, abs=1e-4)
