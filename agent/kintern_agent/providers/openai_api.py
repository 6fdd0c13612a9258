"""OpenAI-compatible chat completions through the `openai` SDK: OpenAI itself, vLLM, TGI,
a corporate gateway (`agent.endpoint`), and Hugging Face inference providers, whose
router speaks the same protocol.

Token counts for the context are estimated (these servers have no counting endpoint);
the usage each reply reports is exact and is what the cost is computed from.
"""

import json
from collections.abc import Sequence
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletionMessageParam
from smolagents import Tool

from kintern_agent.messages import Message, Reply, ToolCall, Usage
from kintern_agent.providers.base import (
    ModelError,
    arguments_from_json,
    estimate_tokens,
    function_schema,
    retry_after_seconds,
    status_error,
)

HF_ROUTER_URL = "https://router.huggingface.co/v1"


class OpenAICompatibleModel:
    """Any server that implements POST /chat/completions with tools."""

    def __init__(
        self,
        model_id: str,
        api_key: str | None,
        base_url: str | None = None,
        timeout_s: float = 600,
        label: str = "OpenAI",
    ):
        self.model_id = model_id
        self.label = label
        self.client = openai.OpenAI(
            api_key=api_key or "unused", base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def complete(self, messages: Sequence[Message], tools: Sequence[Tool]) -> Reply:
        kwargs: dict[str, Any] = {}
        if tools:
            kwargs["tools"] = [{"type": "function", "function": function_schema(t)} for t in tools]
        try:
            response = self.client.chat.completions.create(
                model=self.model_id,
                messages=cast(list[ChatCompletionMessageParam], render_messages(messages)),
                **kwargs,
            )
        except openai.APIError as e:
            raise model_error(self.label, e) from e
        return parse_response(response)

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[Tool]) -> int:
        return estimate_tokens(messages, tools)


def render_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    rendered: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            rendered.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.text})
        elif m.role == "assistant" and m.tool_calls:
            rendered.append(
                {
                    "role": "assistant",
                    "content": m.text or None,
                    "tool_calls": [_render_call(c) for c in m.tool_calls],
                }
            )
        else:
            rendered.append({"role": m.role, "content": m.text})
    return rendered


def _render_call(c: ToolCall) -> dict[str, Any]:
    arguments = c.arguments if isinstance(c.arguments, str) else json.dumps(c.arguments)
    return {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": arguments}}


def parse_response(response: Any) -> Reply:
    if not response.choices:
        raise ModelError("the server returned no choices", transient=True)
    out = response.choices[0].message
    calls = tuple(
        ToolCall(id=c.id, name=c.function.name, arguments=arguments_from_json(c.function.arguments))
        for c in out.tool_calls or []
    )
    message = Message(role="assistant", text=out.content or "", tool_calls=calls)
    return Reply(message=message, usage=_usage(response.usage))


def _usage(u: Any) -> Usage:
    if u is None:
        return Usage()
    details = getattr(u, "prompt_tokens_details", None)
    cached = (getattr(details, "cached_tokens", None) or 0) if details else 0
    return Usage(
        input_tokens=u.prompt_tokens, output_tokens=u.completion_tokens, cache_read_tokens=cached
    )


def model_error(label: str, e: openai.APIError) -> ModelError:
    if isinstance(e, openai.APIStatusError):
        headers = e.response.headers
        return status_error(label, e.status_code, e.message, retry_after_seconds(headers))
    return ModelError(f"{label} could not be reached: {e}", transient=True)
