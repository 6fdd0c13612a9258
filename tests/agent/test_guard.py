"""The repetition guard on its own: identical calls, short cycles, decay and stopping."""

import pytest

from kintern_agent.guard import RepetitionGuard
from kintern_agent.messages import ToolCall


def c(tool: str, /, **arguments: object) -> ToolCall:
    return ToolCall(id="x", name=tool, arguments=dict(arguments))


def feed(guard: RepetitionGuard, calls: list[tuple[ToolCall, str]]):
    return [guard.observe(call, result) for call, result in calls]


def test_three_identical_calls_with_the_same_result_trigger():
    seen = feed(RepetitionGuard(), [(c("get_run", name="r1"), "Pending")] * 3)
    assert seen[:2] == [None, None]
    assert (seen[2].kind, seen[2].calls, seen[2].stop) == (
        "identical",
        ("get_run(name='r1')",),
        False,
    )


def test_a_changing_result_is_not_repetition():
    calls = [(c("get_run", name="r1"), f"Running for {m} min") for m in range(6)]
    assert feed(RepetitionGuard(), calls) == [None] * 6


@pytest.mark.parametrize("length", [2, 3, 4, 5])
def test_cycles_of_two_to_five_calls_repeated_twice_trigger(length):
    cycle = [(c("search_papers", query=f"q{i}"), f"result {i}") for i in range(length)]
    seen = feed(RepetitionGuard(), cycle * 2)
    assert seen[-1] is not None and seen[-1].kind == "cycle" and len(seen[-1].calls) == length
    assert all(s is None for s in seen[:-1])


def test_it_stops_at_the_third_trigger_unless_calm_returns_in_between():
    guard = RepetitionGuard()
    same = [(c("list_runs"), "none")] * 3
    assert [feed(guard, same)[-1].stop for _ in range(3)] == [False, False, True]

    calm = RepetitionGuard(calm_calls=5)
    feed(calm, same)
    feed(calm, [(c("search_papers", query=f"q{i}"), str(i)) for i in range(5)])
    assert feed(calm, same)[-1].trigger == 1


def test_its_memory_survives_a_restart():
    guard = RepetitionGuard()
    feed(guard, [(c("list_runs"), "none")] * 2)
    restored = RepetitionGuard()
    restored.restore(guard.to_dict())
    assert restored.observe(c("list_runs"), "none") is not None
