"""The operator SIGKILLed at random moments of a campaign, twenty times over, still ends
with every run counted once, one Job per run, and GPU-hours equal to what the pods ran.

Each kill lands at an observed moment of one run's life (tests/support/moments.py: the
run exists, its status is written, its Job exists, its pod started, it ended), drawn at
random. The randomness is seeded (KINTERN_FAULT_SEED overrides it, and a failure prints
it and the schedule), so a failing schedule replays the same moments. Runs are proposed
with the agent's token while the kills go on; the fake trainer ends each pod after a
random time, some of them with a failure.
Leader election is off here: a killed process is gone before the next starts, and the
Lease has its own test; without it every kill lands on a working operator.
"""

import os
import random

import pytest

from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, agent_identity, result_message
from tests.support.moments import MOMENTS, reach
from tests.support.operator import OperatorProcess
from tests.support.recorder import Recorder
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
KILLS = 20
RUNS = 10
GPUS = 2
SEED = int(os.environ.get("KINTERN_FAULT_SEED", "20261127"))


def _outcomes(rng: random.Random) -> dict[str, Outcome]:
    """Each run's pod ends after 0.3-3 s; about one in four fails."""
    plan = {}
    for i in range(RUNS):
        after = rng.uniform(0.3, 3.0)
        if rng.random() < 0.25:
            plan[f"trun-demo-r{i:03d}"] = Outcome(1, "RuntimeError: boom", after_seconds=after)
        else:
            score = round(rng.uniform(0.2, 0.6), 3)
            plan[f"trun-demo-r{i:03d}"] = Outcome(0, result_message(score), after_seconds=after)
    return plan


def _schedule(rng: random.Random) -> list[tuple[str, str]]:
    """For each kill, the run and the moment of its life it waits for: the first RUNS
    kills follow the run just proposed, the rest a run proposed earlier."""
    return [(f"demo-r{kill % RUNS:03d}", rng.choice(MOMENTS)) for kill in range(KILLS)]


def _kill_at_moments(
    operator: OperatorProcess, agent: KinternApi, schedule: list[tuple[str, str]], api
) -> None:
    """Start, propose the next run, wait for the kill's moment, SIGKILL."""
    for kill, (run, moment) in enumerate(schedule):
        operator.start()
        if kill < RUNS:
            agent.create_run(run)
        reach(api, agent.namespace, run, moment)
        operator.kill()


def test_twenty_random_kills_lose_and_duplicate_nothing(cluster, namespace, tmp_path):
    rng = random.Random(SEED)
    outcomes = _outcomes(rng)
    schedule = _schedule(rng)
    print(f"seed {SEED}: kills at {schedule}")
    admin = KinternApi(cluster.api, namespace)
    operator = OperatorProcess(cluster.kubeconfig, namespace, tmp_path, leader_election="false")
    with Recorder(cluster.api, namespace) as seen, FakeTrainer(cluster.api, namespace, outcomes):
        with operator:
            admin.create_campaign(
                **{
                    "budget.maxConcurrentRuns": 3,
                    "budget.maxRuns": RUNS,
                    "compute.gpusPerRun": GPUS,
                    "objective.target": 0.99,
                }
            )
            admin.wait_campaign("Running")
        agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
        _kill_at_moments(operator, agent, schedule, cluster.api)
        with operator:  # the last start, left to finish the campaign
            runs = {
                name: admin.wait_run(name.removeprefix("trun-"), "Succeeded", "Failed", timeout=90)
                for name in outcomes
            }
            campaign = eventually(
                lambda: (c := admin.campaign())["status"]["usage"]["runs"]["running"] == 0 and c,
                "the campaign to count every run",
            )
    assert operator.starts == KILLS + 2, f"seed {SEED}"
    _assert_each_run_once(runs, outcomes, seen, campaign)


def _assert_each_run_once(runs, outcomes, seen, campaign) -> None:
    counts = campaign["status"]["usage"]["runs"]
    succeeded = sum(1 for o in outcomes.values() if o.exit_code == 0)
    assert (counts["total"], counts["succeeded"], counts["failed"]) == (
        RUNS,
        succeeded,
        RUNS - succeeded,
    ), f"seed {SEED}"
    for job, outcome in outcomes.items():
        status = runs[job]["status"]
        assert status["phase"] == ("Succeeded" if outcome.exit_code == 0 else "Failed"), job
        assert seen.job_uids(job) == 1, f"{job} created more than once (seed {SEED})"
        assert len(seen.pods_of(job)) == 1, f"{job} ran more than one pod (seed {SEED})"
        assert status["gpuHours"] == pytest.approx(seen.pod_gpu_hours(GPUS, job), abs=1e-6), job
    assert set(seen.jobs) == set(outcomes)
    assert campaign["status"]["usage"]["gpuHours"] == pytest.approx(
        seen.pod_gpu_hours(GPUS), abs=1e-3
    ), f"seed {SEED}"
