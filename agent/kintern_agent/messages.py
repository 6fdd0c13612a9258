"""The conversation as the agent keeps it: messages, tool calls, token usage and replies.

Provider adapters translate these into each SDK's wire format (Anthropic content blocks,
OpenAI tool messages, a chat template); the loop, compaction, the guard, the trace and
the saved state all read and write only these plain, serialisable values.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for. `arguments` is a string when the model sent bad JSON."""

    id: str
    name: str
    arguments: dict[str, Any] | str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ToolCall":
        return cls(id=data["id"], name=data["name"], arguments=data["arguments"])


@dataclass(frozen=True)
class Message:
    """One message: system, user, assistant (text and tool calls) or tool (one result)."""

    role: Role
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    tool_name: str | None = None
    is_error: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "text": self.text}
        if self.tool_calls:
            data["toolCalls"] = [c.to_dict() for c in self.tool_calls]
        if self.tool_call_id is not None:
            data["toolCallId"] = self.tool_call_id
            data["toolName"] = self.tool_name
        if self.is_error:
            data["isError"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Message":
        return cls(
            role=data["role"],
            text=data.get("text", ""),
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("toolCalls", [])),
            tool_call_id=data.get("toolCallId"),
            tool_name=data.get("toolName"),
            is_error=data.get("isError", False),
        )


def system(text: str) -> Message:
    return Message(role="system", text=text)


def user(text: str) -> Message:
    return Message(role="user", text=text)


def tool_result(call: ToolCall, text: str, is_error: bool = False) -> Message:
    return Message(
        role="tool", text=text, tool_call_id=call.id, tool_name=call.name, is_error=is_error
    )


@dataclass(frozen=True)
class Usage:
    """Tokens one model call used. `input_tokens` counts every prompt token, cached or not."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Reply:
    """What a provider answered: one assistant message and what it cost in tokens."""

    message: Message
    usage: Usage = field(default_factory=Usage)
