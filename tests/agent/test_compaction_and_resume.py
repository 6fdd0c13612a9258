"""Long histories are compacted (and fail closed); a restarted agent resumes without duplicates."""

import itertools
import threading

import pytest

from kintern.api.conditions import Condition
from kintern_agent.agent import CAMPAIGN_ENDED, CONTEXT_OVERFLOW, FINISHED, STOPPED
from kintern_agent.factory import build_agent
from kintern_agent.messages import Message
from kintern_agent.providers.scripted import ScriptedModel, call
from kintern_agent.state import AgentMemory
from kintern_agent.tools.context import StoppableClock
from tests.agent.helpers import a_campaign, make_agent, research_for, tool_texts
from tests.support.memory_backend import MemoryBackend, succeeded

SCIQ = {"name": "allenai/sciq"}
COMPACTED = "[Earlier steps were compacted"


def researcher(messages: list[Message]):
    """Searches on and on until it finds its memory compacted, then finishes."""
    if any(COMPACTED in m.text for m in messages):
        return call("finish", summary="continued after compaction")
    searches = sum(1 for m in messages if m.tool_name == "search_papers")
    return call("search_papers", query=f"topic {searches}")


def test_a_long_history_is_compacted_keeping_system_task_runs_and_last_steps(tmp_path, web):
    campaign = a_campaign(agent={"model": "scripted/none.yaml", "compactAtTokens": 8000})
    script = itertools.chain(
        [call("create_training_run", recipe="eval", rationale="Baseline.")],
        itertools.repeat(researcher),
    )
    agent, model, _ = make_agent(
        tmp_path,
        script,
        web=web,
        campaign=campaign,
        summarize=lambda shown: "Searched papers on GRPO and GPQA; proposed the baseline.",
    )

    outcome = agent.run()

    assert outcome.status == FINISHED
    assert len(model.summary_calls) == 1
    event = next(e for e in agent.trace.jsonl.read_text().splitlines() if '"compaction"' in e)
    before, after = _counts(event)
    print(f"\ncompaction: {before} tokens before, {after} after (limit 8000)")
    assert before > 8000 > 0.6 * 8000 >= after
    after_compaction = model.calls[-1]
    assert after_compaction[0].role == "system"
    assert after_compaction[1].text.startswith("Start the campaign `demo`")
    summary = after_compaction[2].text
    assert "Searched papers on GRPO" in summary
    assert "Runs created so far (authoritative): demo-r001" in summary
    assert len(after_compaction) < len(model.calls[-2])
    shown_to_summarizer = model.summary_calls[0][1].text
    assert "create_training_run" in shown_to_summarizer


class CountingModel(ScriptedModel):
    """A scripted model that records every count_tokens request (each one a paid API call
    on Anthropic's side)."""

    def __init__(self, script) -> None:
        super().__init__(script)
        self.counted: list[int] = []

    def count_tokens(self, messages, tools) -> int:
        self.counted.append(super().count_tokens(messages, tools))
        return self.counted[-1]


def counting_agent(tmp_path, web, script, limit: int):
    campaign = a_campaign(agent={"model": "scripted/none.yaml", "compactAtTokens": limit})
    model = CountingModel(script)
    agent = build_agent(
        campaign,
        MemoryBackend(campaign),
        trace_dir=tmp_path / "trace",
        model=model,
        research=research_for(web),
        clock=StoppableClock(threading.Event()),
        environ={},
    )
    return agent, model


def test_tokens_are_counted_only_near_the_compaction_threshold(tmp_path, web):
    short = [call("search_papers", query="GPQA"), call("finish", summary="done")]
    agent, model = counting_agent(tmp_path / "short", web, short, limit=100_000)
    assert agent.run().status == FINISHED
    assert model.counted == [], "a context far under the limit needs no count_tokens request"

    agent, model = counting_agent(tmp_path / "long", web, itertools.repeat(researcher), 8000)
    assert agent.run().status == FINISHED
    compaction = next(e for e in agent.trace.jsonl.read_text().splitlines() if '"compaction"' in e)
    before, after = _counts(compaction)
    steps = len(model.calls)
    print(f"\n{steps} steps, {len(model.counted)} count_tokens requests: {model.counted}")
    assert before > 8000 and after in model.counted
    near = [n for n in model.counted if n != after]
    assert near and all(n >= 0.85 * 8000 for n in near), "counted far from the threshold"
    assert len(model.counted) < steps / 2


def test_compaction_that_cannot_fit_stops_instead_of_looping(tmp_path, web):
    campaign = a_campaign(
        goal="Improve GPQA. " + "Background notes. " * 2500,
        agent={"model": "scripted/none.yaml", "compactAtTokens": 5000},
    )
    agent, model, backend = make_agent(
        tmp_path, itertools.repeat(researcher), web=web, campaign=campaign
    )

    outcome = agent.run()

    assert outcome.status == CONTEXT_OVERFLOW
    assert "after compaction" in outcome.summary and "compactAtTokens" in outcome.summary
    assert model.calls == [] and len(model.summary_calls) <= 1
    assert backend.progress[-1].done


class Killed(Exception):
    """The pod was killed (raised from inside the loop by the test)."""


def kill(messages: list[Message]):
    raise Killed()


def test_a_restart_resumes_where_it_stopped(tmp_path, web):
    first = [
        call("create_training_run", recipe="sft", rationale="First run.", datasets=[SCIQ]),
        call("list_runs"),
        kill,
    ]
    agent, _, backend = make_agent(tmp_path, first, web=web, outcomes=[succeeded(0.3)])
    with pytest.raises(Killed):
        agent.run()

    def resumed(messages: list[Message]):
        note = messages[-1].text
        assert "restarted and resumes here (iteration 2)" in note
        assert "demo-r001 | sft" in note
        return call(
            "create_training_run", recipe="sft", rationale="Second run.", datasets=[SCIQ], hours=2
        )

    second = [resumed, call("finish", summary="two runs")]
    agent, model, backend = make_agent(tmp_path, second, web=web, backend=backend)
    outcome = agent.run()

    assert outcome.status == FINISHED and outcome.iterations == 4
    assert [r.metadata["name"] for r in backend.list_runs()] == ["demo-r001", "demo-r002"]
    assert "Created run demo-r002" in tool_texts(model.calls[-1], "create_training_run")[-1]


class DiesAfterCreating(MemoryBackend):
    """A backend whose pod dies after the first run is created, before state is saved."""

    died = False

    def save_state(self, state: str) -> None:
        if self.create_calls and not self.died:
            self.died = True
            raise Killed()
        super().save_state(state)


def test_a_step_replayed_after_a_crash_never_creates_a_run_twice(tmp_path, web):
    # The agent replays the step with the same name; that the backend then returns the
    # run that exists is the memory double's rule here, and the real KubernetesBackend's
    # on the apiserver (a 409) in tests/integration/test_agent_replays_a_step.py.
    propose = call("create_training_run", recipe="sft", rationale="First run.", datasets=[SCIQ])
    backend = DiesAfterCreating(a_campaign())
    agent, _, _ = make_agent(tmp_path, [propose], web=web, backend=backend)
    with pytest.raises(Killed):
        agent.run()
    assert backend.state is None  # the step that created the run was never saved

    agent, model, _ = make_agent(
        tmp_path, [propose, call("finish", summary="one run")], web=web, backend=backend
    )
    assert agent.run().status == FINISHED

    assert backend.create_calls == ["demo-r001", "demo-r001"]
    assert len(backend.list_runs()) == 1
    assert "Created run demo-r001" in tool_texts(model.calls[-1], "create_training_run")[0]


def test_a_replayed_name_with_another_spec_is_reported_not_overwritten(tmp_path, web):
    backend = DiesAfterCreating(a_campaign())
    first = call("create_training_run", recipe="sft", rationale="First.", datasets=[SCIQ])
    agent, _, _ = make_agent(tmp_path, [first], web=web, backend=backend)
    with pytest.raises(Killed):
        agent.run()

    other = call("create_training_run", recipe="dpo", rationale="Other.", datasets=[SCIQ])
    agent, model, _ = make_agent(
        tmp_path, [other, other, call("finish", summary="ok")], web=web, backend=backend
    )
    agent.run()

    texts = tool_texts(model.calls[-1], "create_training_run")
    assert "demo-r001 already existed with another spec" in texts[0]
    assert "Created run demo-r002 (dpo)" in texts[1]
    assert [r.spec.recipe for r in backend.list_runs()] == ["sft", "dpo"]


def test_a_finished_agent_does_not_start_again(tmp_path, web):
    agent, _, backend = make_agent(tmp_path, [call("finish", summary="done")], web=web)
    agent.run()
    again, model, _ = make_agent(tmp_path, [], web=web, backend=backend)

    outcome = again.run()

    assert (outcome.status, outcome.summary) == (FINISHED, "done") and model.calls == []


def _counts(event_line: str) -> tuple[int, int]:
    import json

    event = json.loads(event_line)
    return event["before"], event["after"]


def test_a_stop_request_interrupts_a_wait_and_leaves_the_last_whole_step_saved(tmp_path, web):
    stop = threading.Event()

    def wait_then_stop(messages: list[Message]):
        stop.set()
        return call("wait_for_runs")

    script = [call("create_training_run", recipe="eval", rationale="Baseline."), wait_then_stop]
    backend = MemoryBackend(a_campaign())
    agent = build_agent(
        backend.campaign(),
        backend,
        trace_dir=tmp_path,
        model=ScriptedModel(script),
        research=research_for(web),
        clock=StoppableClock(stop),
        poll_s=60,
        environ={},
    )

    outcome = agent.run(stop)

    assert outcome.status == STOPPED
    assert AgentMemory.from_json(backend.state).iteration == 1
    assert not backend.progress[-1].done


def test_an_agent_stopped_because_its_campaign_ended_says_why_and_is_done(tmp_path, web):
    stop = threading.Event()

    def target_reached_then_stop(messages: list[Message]):
        status = backend.campaign_object.status
        reached = "target 0.35 reached: 0.4000 by demo-r001"
        status.conditions.append(
            Condition(type="Complete", status="True", reason="TargetReached", message=reached)
        )
        stop.set()  # what local mode does once the campaign has ended
        return call("wait_for_runs")

    script = [
        call("create_training_run", recipe="eval", rationale="Baseline."),
        target_reached_then_stop,
    ]
    backend = MemoryBackend(a_campaign())
    agent = build_agent(
        backend.campaign(),
        backend,
        trace_dir=tmp_path,
        model=ScriptedModel(script),
        research=research_for(web),
        clock=StoppableClock(stop),
        poll_s=60,
        environ={},
    )

    outcome = agent.run(stop)

    expected = "stopped: the campaign ended (target 0.35 reached: 0.4000 by demo-r001)"
    assert (outcome.status, outcome.summary, outcome.ok) == (CAMPAIGN_ENDED, expected, True)
    status = backend.campaign().status
    assert status.agent_summary == expected and status.agent_done
    assert backend.progress[-1].done
