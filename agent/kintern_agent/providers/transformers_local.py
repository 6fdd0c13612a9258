"""Local models through transformers, by way of smolagents' `TransformersModel`.

A local chat template has no native tool-call turns that all models share, so the
conversation is flattened the way smolagents' ToolCallingAgent does it: calls become
assistant text, results become user text, and the reply's JSON tool call is parsed
back with smolagents' parser.
"""

import json
from collections.abc import Sequence
from typing import Any

from smolagents import Tool
from smolagents.models import ChatMessage, ChatMessageToolCallFunction, MessageRole
from smolagents.models import Model as SmolModel

from kintern_agent.messages import Message, Reply, ToolCall, Usage
from kintern_agent.providers.base import estimate_tokens

STOP_SEQUENCES = ["Observation:", "Calling tools:"]
_ROLES = {
    "system": MessageRole.SYSTEM,
    "user": MessageRole.USER,
    "assistant": MessageRole.ASSISTANT,
    "tool": MessageRole.TOOL_RESPONSE,
}


class LocalTransformersModel:
    """Runs a smolagents Model (normally a TransformersModel) behind the ChatModel interface."""

    def __init__(self, engine: SmolModel):
        self.engine = engine
        self.model_id = engine.model_id or "local"

    def complete(self, messages: Sequence[Message], tools: Sequence[Tool]) -> Reply:
        out = self.engine.generate(
            to_chat_messages(messages),
            stop_sequences=STOP_SEQUENCES,
            tools_to_call_from=list(tools) or None,
        )
        text = out.content if isinstance(out.content, str) else ""
        calls = parse_calls(self.engine, out, len(messages)) if tools else ()
        usage = out.token_usage
        return Reply(
            message=Message(role="assistant", text=text, tool_calls=calls),
            usage=Usage(usage.input_tokens, usage.output_tokens) if usage else Usage(),
        )

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[Tool]) -> int:
        return estimate_tokens(messages, tools)


def load_transformers_model(model_id: str, max_new_tokens: int = 2048) -> LocalTransformersModel:
    """A local model from a Hub id or a directory (loaded once, on the GPU when there is one)."""
    from smolagents import TransformersModel

    return LocalTransformersModel(
        TransformersModel(model_id=model_id, max_new_tokens=max_new_tokens)
    )


def to_chat_messages(messages: Sequence[Message]) -> list[ChatMessage]:
    out = []
    for m in messages:
        text = m.text
        if m.tool_calls:
            calls = [{"name": c.name, "arguments": c.arguments} for c in m.tool_calls]
            text = f"{text}\nCalling tools:\n{json.dumps(calls)}".strip()
        if m.role == "tool":
            text = f"Observation ({m.tool_name}):\n{text}"
        out.append(ChatMessage(role=_ROLES[m.role], content=[{"type": "text", "text": text}]))
    return out


def parse_calls(engine: SmolModel, out: ChatMessage, step: int) -> tuple[ToolCall, ...]:
    """The JSON tool call in a local model's text, or none when it wrote plain text."""
    if not out.tool_calls and not (isinstance(out.content, str) and "{" in out.content):
        return ()
    try:
        parsed = engine.parse_tool_calls(out)
    except ValueError:
        return ()
    return tuple(
        ToolCall(id=f"local-{step}-{i}", name=c.function.name, arguments=_arguments(c.function))
        for i, c in enumerate(parsed.tool_calls or [])
    )


def _arguments(function: ChatMessageToolCallFunction) -> dict[str, Any] | str:
    value = function.arguments
    return value if isinstance(value, dict | str) else {}
