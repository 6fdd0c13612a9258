"""Small parts of the agent: redaction, cut outputs, saved state, compaction's split, and
what the system prompt promises."""

from kintern.api.run import Decontamination, TrainingRunSpec
from kintern_agent.compaction import split
from kintern_agent.factory import fresh_state
from kintern_agent.messages import Message, ToolCall, Usage, system, tool_result, user
from kintern_agent.outputs import OutputStore, clip
from kintern_agent.redact import Redactor
from kintern_agent.state import AgentMemory, RunBook
from tests.agent.helpers import a_campaign


def test_secret_values_from_the_environment_and_key_shapes_are_redacted():
    env = {
        "ANTHROPIC_API_KEY": "sk-ant-api03-abcdefghijklmnop",
        "HOME": "/root",
        "DB_PASSWORD": "hunter2hunter2",
        "SHORT_TOKEN": "abc",
    }
    text = (
        "key sk-ant-api03-abcdefghijklmnop pw hunter2hunter2 home /root abc "
        "stray hf_ABCDEFGHIJKLMNOPQRSTUVWX and ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    )
    out = Redactor(env).redact(text)
    assert "[redacted ANTHROPIC_API_KEY]" in out and "[redacted DB_PASSWORD]" in out
    assert "/root" in out and " abc " in out
    assert "hf_ABCD" not in out and "ghp_" not in out


def test_long_outputs_are_cut_with_a_pointer_to_the_whole(tmp_path):
    store = OutputStore(tmp_path)
    text = "".join(f"line {i}\n" for i in range(5000))
    shown = clip(text, "step3-read_paper-call 1", store, max_chars=1000)
    assert len(shown) < 1300 and shown.startswith("line 0\n") and shown.endswith("line 4999\n")
    assert "read_saved_output(name='step3-read_paper-call_1', offset=750)" in shown
    assert store.read("step3-read_paper-call_1") == text
    assert store.read("../../etc/passwd") is None
    assert clip("short", "x", store) == "short"


def test_state_round_trips_through_json():
    call = ToolCall(id="c1", name="get_run", arguments={"name": "demo-r001"})
    state = AgentMemory(
        runs=RunBook("demo", 3, ["demo-r001", "demo-r002"]),
        messages=[
            system("s"),
            user("t"),
            Message("assistant", "x", (call,)),
            tool_result(call, "Error: no", is_error=True),
        ],
        iteration=7,
        usage=Usage(10, 5, 2, 1),
        cost_usd=0.25,
        guard={"triggers": 1},
    )
    again = AgentMemory.from_json(state.to_json())
    assert again == state
    assert again.runs.next_name() == "demo-r003"


def test_the_run_book_only_advances_for_the_name_it_handed_out():
    book = RunBook("demo")
    book.record("demo-r001")
    book.record("demo-r001")
    assert (book.next_name(), book.created) == ("demo-r002", ["demo-r001"])


def test_compaction_keeps_head_and_tail_and_never_orphans_tool_results():
    call = ToolCall(id="c", name="list_runs", arguments={})
    messages = [system("s"), user("task")]
    for i in range(5):
        messages += [Message("assistant", f"step {i}", (call,)), tool_result(call, f"r{i}")]
    head, middle, tail = split(messages, keep_last=3)
    assert [m.text for m in head] == ["s", "task"]
    assert tail[0].role == "assistant" and [m.text for m in tail] == ["step 4", "r4"]
    assert len(head) + len(middle) + len(tail) == len(messages)


def test_the_system_prompt_says_what_decontamination_does():
    prompt = " ".join(fresh_state(a_campaign()).messages[0].text.split())
    # The agent's tools never set spec.decontamination: its runs get the default mode.
    assert TrainingRunSpec(campaign="demo", recipe="eval").decontamination == Decontamination()
    assert Decontamination().mode == "drop"
    assert "drops the rows that overlap (or fails the run, when its decontamination" in prompt
    assert "scores as the base model" not in prompt
