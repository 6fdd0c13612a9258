"""builtin/sweep: baseline, learning rates, epochs on the contenders only, final evaluation;
and a restarted planner that continues without creating any run twice."""

import threading
from dataclasses import dataclass, field

from kintern.api.conditions import Condition
from kintern.api.result import Diagnosis
from kintern.api.run import TrainingRun, TrainingRunSpec
from kintern_agent.sweep import SweepPlanner, SweepSettings
from tests.support.builders import campaign
from tests.support.memory_backend import (
    MemoryBackend,
    awaiting_approval,
    failed,
    rejected,
    succeeded,
)

FAST = SweepSettings(poll_seconds=0.0)


def _campaign(**overrides):
    return campaign(
        **{
            "datasets": [{"name": "science.jsonl"}],
            "agent.sweep": {"learningRates": [1e-5, 1e-4, 1e-3], "epochs": [1, 2, 3]},
            "budget.maxConcurrentRuns": 1,
            **overrides,
        }
    )


def _names(backend: MemoryBackend) -> list[str]:
    return [r.metadata["name"] for r in backend.list_runs()]


def test_sweep_tries_more_epochs_only_on_contenders_and_prunes_losers():
    outcomes = [
        succeeded(0.25, n=400),  # baseline
        succeeded(0.26, n=400),  # lr1: loses clearly
        succeeded(0.50, n=400),  # lr2: best
        failed(Diagnosis(kind="divergence", evidence="loss 1e4")),  # lr3
        succeeded(0.58, n=400),  # lr2-ep2: better, keep going
        succeeded(0.55, n=400),  # lr2-ep3: worse, branch pruned
        succeeded(0.58, n=400),  # final evaluation of lr2-ep2
    ]
    backend = MemoryBackend(_campaign(), outcomes)
    summary = SweepPlanner(backend, settings=FAST).run()
    assert _names(backend) == [
        "demo-baseline", "demo-lr1", "demo-lr2", "demo-lr3", "demo-lr2-ep2", "demo-lr2-ep3",
        "demo-final",
    ]  # fmt: skip
    final = backend.get_run("demo-final")
    assert (final.spec.recipe, final.spec.model) == ("eval", "run:demo-lr2-ep2")
    assert "best demo-lr2-ep2 at 0.5800" in summary
    assert backend.campaign().status.agent_done


def _restart_outcomes() -> list:
    # Each run is Running when first read and finished on the second read.
    return [succeeded(v, n=400, after_reads=2) for v in (0.25, 0.26, 0.50, 0.30, 0.58, 0.55, 0.58)]


@dataclass
class StopsWhileRunning(MemoryBackend):
    """Stops the planner the moment it sees its `stop_at`-th run Running, and keeps every
    run's spec as first created, so a create call that reuses a name for another run is
    caught (the backend itself, like the apiserver's 409, returns the existing run)."""

    stop_at: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    first_specs: dict[str, TrainingRunSpec] = field(default_factory=dict)
    reused_for_another_run: list[str] = field(default_factory=list)

    def create_run(self, name: str, spec: TrainingRunSpec) -> TrainingRun:
        if name in self.first_specs and self.first_specs[name] != spec:
            self.reused_for_another_run.append(name)
        self.first_specs.setdefault(name, spec)
        return super().create_run(name, spec)

    def get_run(self, name: str) -> TrainingRun:
        run = super().get_run(name)
        created = list(dict.fromkeys(self.create_calls))
        if created.index(name) + 1 == self.stop_at and run.status.phase == "Running":
            self.stop.set()
        return run


def test_a_restarted_sweep_creates_no_run_twice():
    # A run beyond the script is rejected at once, so a planner that makes extra runs ends.
    extra = rejected("no outcome scripted for this run")
    uninterrupted = MemoryBackend(_campaign(), _restart_outcomes(), default=extra)
    SweepPlanner(uninterrupted, settings=FAST).run()
    every_run = _names(uninterrupted)

    backend = StopsWhileRunning(_campaign(), _restart_outcomes(), extra, stop_at=3)
    assert SweepPlanner(backend, stop=backend.stop, settings=FAST).run() == "stopped"
    assert backend.stop.is_set(), "the planner ended before its third run was seen Running"
    assert len(set(backend.create_calls)) == 3

    summary = SweepPlanner(backend, settings=FAST).run()
    assert _names(backend) == every_run, "the restarted planner made runs of its own"
    assert len(backend.list_runs()) == len(set(backend.create_calls))
    assert backend.reused_for_another_run == []
    assert summary == uninterrupted.campaign().status.agent_summary


def test_without_data_the_sweep_says_what_is_missing():
    backend = MemoryBackend(_campaign(datasets=[]), [])
    assert "spec.datasets" in SweepPlanner(backend, settings=FAST).run()
    assert backend.list_runs() == []


class EndsAtFirstSft(MemoryBackend):
    """A campaign that reaches its target while the first SFT run trains."""

    def create_run(self, name, spec):
        run = super().create_run(name, spec)
        if name == "demo-lr1":
            status = self.campaign_object.status
            status.phase, status.message = "Succeeded", "ended: target 0.9 reached"
            reached = "target 0.9 reached: 0.9500 by demo-lr1"
            status.conditions.append(
                Condition(type="Complete", status="True", reason="TargetReached", message=reached)
            )
        return run


def test_a_sweep_whose_campaign_ends_stops_and_says_why():
    backend = EndsAtFirstSft(_campaign(), [succeeded(0.25), awaiting_approval()])

    summary = SweepPlanner(backend, settings=FAST).run()

    assert _names(backend) == ["demo-baseline", "demo-lr1"], "nothing after the end"
    expected = "builtin/sweep stopped: the campaign ended (target 0.9 reached: 0.9500 by demo-lr1)"
    assert summary == expected
    status = backend.campaign().status
    assert status.agent_summary == expected and status.agent_done


def test_a_sweep_asked_to_stop_while_its_campaign_runs_reports_nothing():
    stop = threading.Event()
    stop.set()
    backend = MemoryBackend(_campaign(), [awaiting_approval()])
    assert SweepPlanner(backend, stop, FAST).run() == "stopped"
    assert backend.campaign().status.agent_summary is None, "it resumes: no final word yet"
