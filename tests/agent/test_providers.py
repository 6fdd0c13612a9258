"""Model providers against local servers shaped like the Anthropic and OpenAI APIs,
the retry wrapper, pricing, the local (transformers) adapter and the registry."""

import pytest
from smolagents.models import ChatMessage, MessageRole
from smolagents.models import Model as SmolModel
from smolagents.monitoring import TokenUsage

from kintern_agent.messages import Message, ToolCall, Usage, system, tool_result, user
from kintern_agent.providers import ModelSettings, make_model
from kintern_agent.providers.anthropic_api import AnthropicModel
from kintern_agent.providers.base import ModelError
from kintern_agent.providers.openai_api import OpenAICompatibleModel
from kintern_agent.providers.pricing import cost_usd
from kintern_agent.providers.retry import RetryingModel
from kintern_agent.providers.scripted import ScriptedModel
from kintern_agent.providers.transformers_local import LocalTransformersModel
from kintern_agent.tools.finish import Finish
from kintern_agent.tools.get_run import GetRun
from tests.agent.fake_web import json_response

CALL = ToolCall(id="toolu_1", name="get_run", arguments={"name": "demo-r001"})
CONVERSATION = [
    system("You are the agent."),
    user("Start."),
    Message(role="assistant", text="Reading the run.", tool_calls=(CALL,)),
    tool_result(CALL, "demo-r001 | sft | Succeeded"),
    user("Repetition detected"),
]
TOOLS = [GetRun(None), Finish()]  # type: ignore[arg-type]

ANTHROPIC_REPLY = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-opus-4-6",
    "content": [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_2", "name": "get_run", "input": {"name": "demo-r002"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 100,
        "output_tokens": 20,
        "cache_creation_input_tokens": 50,
        "cache_read_input_tokens": 1000,
    },
}
OPENAI_REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_9",
                        "type": "function",
                        "function": {"name": "get_run", "arguments": '{"name": "demo-r002"}'},
                    }
                ],
            },
        }
    ],
    "usage": {
        "prompt_tokens": 50,
        "completion_tokens": 10,
        "total_tokens": 60,
        "prompt_tokens_details": {"cached_tokens": 20},
    },
}


def test_anthropic_renders_native_tool_turns_with_cache_breakpoints(web):
    web.json("/v1/messages", ANTHROPIC_REPLY)
    model = AnthropicModel("claude-opus-4-6", api_key="sk-ant-test", base_url=web.url)

    reply = model.complete(CONVERSATION, TOOLS)

    assert reply.message.text == "Let me look."
    assert reply.message.tool_calls == (ToolCall("toolu_2", "get_run", {"name": "demo-r002"}),)
    assert reply.usage == Usage(1150, 20, cache_read_tokens=1000, cache_write_tokens=50)
    sent = web.hits("/v1/messages")[0].body
    assert sent["system"] == [
        {"type": "text", "text": "You are the agent.", "cache_control": {"type": "ephemeral"}}
    ]
    assert sent["cache_control"] == {"type": "ephemeral"}
    assert [t["name"] for t in sent["tools"]] == ["get_run", "finish"]
    assert sent["tools"][0]["input_schema"]["required"] == ["name"]
    assert sent["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assistant, results = sent["messages"][1], sent["messages"][2]
    assert assistant["content"][1] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get_run",
        "input": {"name": "demo-r001"},
    }
    assert results["role"] == "user"
    assert results["content"][0]["type"] == "tool_result"
    assert results["content"][0]["tool_use_id"] == "toolu_1"
    assert results["content"][1] == {"type": "text", "text": "Repetition detected"}


def test_anthropic_counts_tokens_with_the_api(web):
    web.json("/v1/messages/count_tokens", {"input_tokens": 4321})
    model = AnthropicModel("claude-opus-4-6", api_key="sk-ant-test", base_url=web.url)
    assert model.count_tokens(CONVERSATION, TOOLS) == 4321


def test_rate_limits_are_retried_and_bad_keys_are_not(web):
    web.route(
        "/v1/messages",
        json_response(
            {"type": "error", "error": {"type": "rate_limit_error"}},
            429,
            headers={"retry-after": "7"},
        ),
        json_response(ANTHROPIC_REPLY),
    )
    waits: list[float] = []
    model = RetryingModel(
        AnthropicModel("claude-opus-4-6", api_key="sk-ant-test", base_url=web.url),
        waits=(5, 15),
        sleep=waits.append,
    )
    assert model.complete(CONVERSATION, TOOLS).message.text == "Let me look."
    assert waits == [7.0]

    web.json(
        "/v1/messages", {"type": "error", "error": {"type": "authentication_error"}}, status=401
    )
    with pytest.raises(ModelError, match="HTTP 401") as failure:
        model.complete(CONVERSATION, TOOLS)
    assert not failure.value.transient and waits == [7.0]


def test_transient_errors_give_up_after_the_last_wait(web):
    web.json("/v1/chat/completions", {"error": {"message": "overloaded"}}, status=503)
    waits: list[float] = []
    inner = OpenAICompatibleModel("gpt-5", "sk-test", base_url=web.url + "/v1")
    with pytest.raises(ModelError, match="HTTP 503"):
        RetryingModel(inner, waits=(5, 15, 30), sleep=waits.append).complete(CONVERSATION, TOOLS)
    assert waits == [5, 15, 30]
    assert len(web.hits("/v1/chat/completions")) == 4


def test_a_call_that_times_out_is_a_transient_error(web):
    web.route("/v1/chat/completions", json_response(OPENAI_REPLY, delay_s=1.0))
    model = OpenAICompatibleModel("gpt-5", "sk-test", base_url=web.url + "/v1", timeout_s=0.2)
    with pytest.raises(ModelError, match="could not be reached") as failure:
        model.complete(CONVERSATION, TOOLS)
    assert failure.value.transient


def test_openai_compatible_servers_get_tool_messages(web):
    web.json("/v1/chat/completions", OPENAI_REPLY)
    model = OpenAICompatibleModel("gpt-5", "sk-test", base_url=web.url + "/v1")

    reply = model.complete(CONVERSATION, TOOLS)

    assert reply.message.tool_calls == (ToolCall("call_9", "get_run", {"name": "demo-r002"}),)
    assert reply.usage == Usage(50, 10, cache_read_tokens=20)
    sent = web.hits("/v1/chat/completions")[0]
    assert sent.headers["authorization"] == "Bearer sk-test"
    messages = sent.body["messages"]
    assert messages[2]["tool_calls"][0]["function"] == {
        "name": "get_run",
        "arguments": '{"name": "demo-r001"}',
    }
    assert messages[3] == {
        "role": "tool",
        "tool_call_id": "toolu_1",
        "content": "demo-r001 | sft | Succeeded",
    }
    assert sent.body["tools"][1]["function"]["name"] == "finish"


def test_hugging_face_providers_go_through_the_router_with_the_hf_token(web, monkeypatch):
    web.json("/v1/chat/completions", OPENAI_REPLY)
    monkeypatch.setenv("HF_TOKEN", "hf_" + "t" * 30)
    model = make_model(ModelSettings("hf/Qwen/Qwen3-32B", endpoint=web.url + "/v1"))
    model.complete(CONVERSATION, TOOLS)
    sent = web.hits("/v1/chat/completions")[0]
    assert sent.body["model"] == "Qwen/Qwen3-32B"
    assert sent.headers["authorization"] == "Bearer hf_" + "t" * 30


class JsonBlobModel(SmolModel):
    """A smolagents model that answers like a small local model: a JSON blob in text."""

    def __init__(self) -> None:
        super().__init__(model_id="tiny-local")
        self.seen: list[list[ChatMessage]] = []

    def generate(
        self, messages, stop_sequences=None, response_format=None, tools_to_call_from=None, **kwargs
    ):
        self.seen.append(messages)
        text = 'Action: {"name": "get_run", "arguments": {"name": "demo-r002"}}'
        return ChatMessage(
            role=MessageRole.ASSISTANT,
            content=text,
            token_usage=TokenUsage(input_tokens=30, output_tokens=12),
        )


def test_local_models_get_a_flattened_history_and_their_json_call_is_parsed():
    engine = JsonBlobModel()
    reply = LocalTransformersModel(engine).complete(CONVERSATION, TOOLS)

    (parsed,) = reply.message.tool_calls
    assert (parsed.name, parsed.arguments) == ("get_run", {"name": "demo-r002"})
    assert reply.usage == Usage(30, 12)
    flattened = engine.seen[0]
    assert flattened[2].role == MessageRole.ASSISTANT
    assert "Calling tools:" in flattened[2].content[0]["text"]
    assert flattened[3].role == MessageRole.TOOL_RESPONSE
    assert flattened[3].content[0]["text"].startswith("Observation (get_run):")


def test_cost_is_estimated_from_usage_and_the_price_table(monkeypatch):
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=800_000)
    assert cost_usd("claude-opus-4-6", usage) == pytest.approx(0.2 * 5 + 0.8 * 0.5 + 0.1 * 25)
    assert cost_usd("my-local-model", usage) == 0
    monkeypatch.setenv("KINTERN_AGENT_PRICE", "1,2")
    assert cost_usd("my-local-model", usage) == pytest.approx(1.0 + 0.2)


def test_the_registry_builds_providers_by_name(tmp_path):
    script = tmp_path / "script.yaml"
    script.write_text("- call: get_campaign\n- say: done\n")
    scripted = make_model(ModelSettings(f"scripted/{script}"))
    assert isinstance(scripted, ScriptedModel)
    assert scripted.complete([user("go")], TOOLS).message.tool_calls[0].name == "get_campaign"
    assert scripted.complete([user("go")], TOOLS).message.text == "done"
    assert isinstance(make_model(ModelSettings("anthropic/claude-opus-4-6")), RetryingModel)
    with pytest.raises(ModelError, match="unknown model 'gemini/x'"):
        make_model(ModelSettings("gemini/x"))
