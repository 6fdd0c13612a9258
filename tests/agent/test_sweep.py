"""builtin/sweep: baseline, learning rates, epochs on the contenders only, final evaluation;
and a restarted planner that continues without creating any run twice."""

from kintern.api.result import Diagnosis
from kintern_agent.sweep import SweepPlanner, SweepSettings
from tests.support.builders import campaign
from tests.support.memory_backend import MemoryBackend, failed, succeeded

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


def test_a_restarted_sweep_creates_no_run_twice():
    outcomes = [succeeded(0.25), succeeded(0.3), succeeded(0.6), succeeded(0.2), succeeded(0.6)]
    backend = MemoryBackend(_campaign(**{"budget.maxRuns": 5}), outcomes)
    first = SweepPlanner(backend, settings=FAST)
    first.run()
    created = len(backend.create_calls)
    names = _names(backend)
    SweepPlanner(backend, settings=FAST).run()
    assert _names(backend) == names, "the second planner made new runs"
    assert len(set(names)) == len(names)
    assert len(backend.create_calls) >= created


def test_without_data_the_sweep_says_what_is_missing():
    backend = MemoryBackend(_campaign(datasets=[]), [])
    assert "spec.datasets" in SweepPlanner(backend, settings=FAST).run()
    assert backend.list_runs() == []
