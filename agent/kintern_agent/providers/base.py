"""The one interface every model provider implements, and what they share.

A provider turns the conversation and the tool schemas into one model call and
returns the assistant's reply with its token usage. Failures it cannot recover from
raise `ModelError`; `transient` ones (rate limits, timeouts, 5xx) are retried by
`providers.retry`.
"""

import json
import math
from collections.abc import Sequence
from typing import Any, Protocol

from smolagents import Tool

from kintern_agent.messages import Message, Reply

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4


class ChatModel(Protocol):
    """A chat model that can call tools."""

    model_id: str

    def complete(self, messages: Sequence[Message], tools: Sequence[Tool]) -> Reply:
        """One model call: the reply to `messages`, choosing among `tools` (may be empty)."""
        ...

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[Tool]) -> int:
        """How many prompt tokens `messages` and `tools` take for this model."""
        ...


class ModelError(Exception):
    """The provider failed. `transient` errors are worth retrying after `retry_after` s."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None):
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


def function_schema(tool: Tool) -> dict[str, Any]:
    """The tool as a function whose parameters are plain JSON Schema (draft 2020-12):
    {name, description, parameters}. Providers validate tool schemas as JSON Schema."""
    properties = {key: json_schema(spec) for key, spec in tool.inputs.items()}
    required = [key for key, spec in tool.inputs.items() if not spec.get("nullable")]
    parameters = {"type": "object", "properties": properties, "required": required}
    return {"name": tool.name, "description": tool.description, "parameters": parameters}


def json_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """One smolagents input as JSON Schema. smolagents marks an optional input with
    OpenAPI's `nullable` and an untyped one with type `any`, neither of which JSON Schema
    knows: an optional input's type becomes a type array with "null" (and its enum
    admits null), an untyped input has no `type`."""
    schema = {k: v for k, v in spec.items() if k != "nullable"}
    types = schema.pop("type", "any")
    types = [t for t in (types if isinstance(types, list) else [types]) if t != "any"]
    if types and spec.get("nullable") and "null" not in types:
        types.append("null")
    if types:
        schema["type"] = types[0] if len(types) == 1 else types
    if spec.get("nullable") and "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


def estimate_tokens(messages: Sequence[Message], tools: Sequence[Tool] = ()) -> int:
    """A provider-neutral estimate (about 4 characters a token) for models with no counter."""
    chars = sum(len(json.dumps(function_schema(t))) for t in tools)
    for m in messages:
        chars += len(m.text) + sum(len(json.dumps(c.to_dict())) for c in m.tool_calls)
    return math.ceil(chars / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS * len(messages)


def arguments_from_json(raw: str | None) -> dict[str, Any] | str:
    """Tool-call arguments as a dict, or the raw text when the model sent something else."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, dict) else raw


def status_error(provider: str, status: int, detail: str, retry_after: float | None) -> ModelError:
    """A ModelError for an HTTP status: 408, 409, 429 and 5xx are transient."""
    transient = status in (408, 409, 429) or status >= 500
    return ModelError(
        f"{provider} answered HTTP {status}: {detail}", transient=transient, retry_after=retry_after
    )


def retry_after_seconds(headers: Any) -> float | None:
    """The Retry-After header in seconds, when the provider sent one."""
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
