"""Anthropic's Messages API through the `anthropic` SDK: native tool use, prompt caching
and exact token counting.

The system prompt and the tool list are stable from call to call, so they carry a
cache breakpoint; the request's top-level `cache_control` adds one at the end of the
conversation, so each step reads the previous step's prefix from the cache.
"""

from collections.abc import Sequence
from typing import Any, cast

import anthropic
from anthropic.types import MessageParam, TextBlockParam, ToolParam
from smolagents import Tool

from kintern_agent.messages import Message, Reply, ToolCall, Usage
from kintern_agent.providers.base import (
    ModelError,
    function_schema,
    retry_after_seconds,
    status_error,
)

EPHEMERAL = {"type": "ephemeral"}
DEFAULT_MAX_OUTPUT_TOKENS = 8192


class AnthropicModel:
    """Claude models. The key comes from ANTHROPIC_API_KEY unless given."""

    def __init__(
        self,
        model_id: str,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 600,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
    ):
        self.model_id = model_id
        self.max_output_tokens = max_output_tokens
        self.client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def complete(self, messages: Sequence[Message], tools: Sequence[Tool]) -> Reply:
        system, turns = render_messages(messages)
        try:
            response = self.client.messages.create(
                model=self.model_id,
                max_tokens=self.max_output_tokens,
                system=cast(list[TextBlockParam], system),
                messages=cast(list[MessageParam], turns),
                tools=cast(list[ToolParam], render_tools(tools)),
                cache_control={"type": "ephemeral"},
            )
        except anthropic.APIError as e:
            raise model_error(e) from e
        return parse_response(response)

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[Tool]) -> int:
        system, turns = render_messages(messages)
        try:
            counted = self.client.messages.count_tokens(
                model=self.model_id,
                system=cast(list[TextBlockParam], system),
                messages=cast(list[MessageParam], turns),
                tools=cast(list[ToolParam], render_tools(tools)),
            )
        except anthropic.APIError as e:
            raise model_error(e) from e
        return counted.input_tokens


def render_tools(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    rendered = []
    for tool in tools:
        schema = function_schema(tool)
        rendered.append(
            {
                "name": schema["name"],
                "description": schema["description"],
                "input_schema": schema["parameters"],
            }
        )
    if rendered:
        rendered[-1]["cache_control"] = EPHEMERAL
    return rendered


def render_messages(
    messages: Sequence[Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """System blocks and alternating user/assistant turns (tool results go in user turns)."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            system.append({"type": "text", "text": m.text})
            continue
        role = "assistant" if m.role == "assistant" else "user"
        blocks = _blocks(m)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if system:
        system[-1]["cache_control"] = EPHEMERAL
    return system, turns


def _blocks(m: Message) -> list[dict[str, Any]]:
    if m.role == "tool":
        return [
            {
                "type": "tool_result",
                "tool_use_id": m.tool_call_id,
                "content": m.text or "(no output)",
                "is_error": m.is_error,
            }
        ]
    blocks: list[dict[str, Any]] = [{"type": "text", "text": m.text}] if m.text else []
    for c in m.tool_calls:
        arguments = c.arguments if isinstance(c.arguments, dict) else {"raw": c.arguments}
        blocks.append({"type": "tool_use", "id": c.id, "name": c.name, "input": arguments})
    return blocks or [{"type": "text", "text": "(empty)"}]


def parse_response(response: Any) -> Reply:
    texts, calls = [], []
    for block in response.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            calls.append(ToolCall(id=block.id, name=block.name, arguments=dict(block.input)))
    u = response.usage
    cache_read = u.cache_read_input_tokens or 0
    cache_write = u.cache_creation_input_tokens or 0
    usage = Usage(
        input_tokens=u.input_tokens + cache_read + cache_write,
        output_tokens=u.output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )
    message = Message(role="assistant", text="\n".join(texts), tool_calls=tuple(calls))
    return Reply(message=message, usage=usage)


def model_error(e: anthropic.APIError) -> ModelError:
    if isinstance(e, anthropic.APIStatusError):
        headers = e.response.headers
        return status_error("Anthropic", e.status_code, e.message, retry_after_seconds(headers))
    return ModelError(f"Anthropic could not be reached: {e}", transient=True)
