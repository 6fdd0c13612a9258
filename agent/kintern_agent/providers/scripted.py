"""The scripted model: a test double of a provider that replays replies written in advance.

Tests drive the real loop with it; `scripted/<file.yaml>` in `agent.model` runs a
campaign with no LLM at all. Each step of the script is a `Reply`, or a function of
the conversation so far that returns one (to react to a tool result). Calls without
tools are compaction requests and are answered by `summarize`.

    model = ScriptedModel([
        call("search_papers", query="GPQA fine-tuning"),
        lambda messages: call("get_run", name=last_result(messages).split()[1]),
        call("finish", summary="done"),
    ])
"""

import itertools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from smolagents import Tool

from kintern_agent.messages import Message, Reply, ToolCall, Usage
from kintern_agent.providers.base import estimate_tokens

Step = Reply | Callable[[list[Message]], Reply]
Summarizer = Callable[[list[Message]], str]


class ScriptExhausted(Exception):
    """The loop asked for more replies than the script has (a bug in the test)."""


class ScriptedModel:
    """Replays `script`; records what each call was shown in `calls` and `summary_calls`."""

    def __init__(
        self,
        script: Iterable[Step],
        summarize: Summarizer | None = None,
        model_id: str = "scripted",
    ):
        self.model_id = model_id
        self._steps = iter(script)
        self._summarize = summarize or _default_summary
        self._ids = itertools.count(1)
        self.calls: list[list[Message]] = []
        self.summary_calls: list[list[Message]] = []

    @classmethod
    def from_file(cls, path: Path) -> "ScriptedModel":
        """A YAML script: a list of {call: tool, arguments: {...}, thought: ...} or {say: text}."""
        entries = yaml.safe_load(path.read_text()) or []
        return cls((_entry_reply(e) for e in entries), model_id=f"scripted/{path.name}")

    def complete(self, messages: Sequence[Message], tools: Sequence[Tool]) -> Reply:
        shown = list(messages)
        if not tools:
            self.summary_calls.append(shown)
            return _reply(Message(role="assistant", text=self._summarize(shown)), shown, tools)
        self.calls.append(shown)
        step = next(self._steps, None)
        if step is None:
            raise ScriptExhausted(f"the script has no reply for call {len(self.calls)}")
        reply = step if isinstance(step, Reply) else step(shown)
        calls = tuple(
            ToolCall(id=c.id or f"call-{next(self._ids)}", name=c.name, arguments=c.arguments)
            for c in reply.message.tool_calls
        )
        message = Message(role="assistant", text=reply.message.text, tool_calls=calls)
        return _reply(message, shown, tools)

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[Tool]) -> int:
        return estimate_tokens(messages, tools)


def call(name: str, /, *, thought: str = "", **arguments: Any) -> Reply:
    """A reply that calls one tool (the id is filled in when it is replayed)."""
    return calls((name, arguments), thought=thought)


def calls(*pairs: tuple[str, dict[str, Any]], thought: str = "") -> Reply:
    """A reply that calls several tools at once."""
    tool_calls = tuple(ToolCall(id="", name=n, arguments=a) for n, a in pairs)
    return Reply(message=Message(role="assistant", text=thought, tool_calls=tool_calls))


def say(text: str) -> Reply:
    """A reply with text and no tool call."""
    return Reply(message=Message(role="assistant", text=text))


def last_result(messages: Sequence[Message]) -> str:
    """The text of the latest tool result the model was shown."""
    return next((m.text for m in reversed(messages) if m.role == "tool"), "")


def _reply(message: Message, shown: list[Message], tools: Sequence[Tool]) -> Reply:
    """The reply with the usage a provider reports: the prompt (tools included) and output."""
    prompt = estimate_tokens(shown, tools)
    usage = Usage(input_tokens=prompt, output_tokens=estimate_tokens([message]))
    return Reply(message=message, usage=usage)


def _default_summary(messages: list[Message]) -> str:
    return f"(summary of {len(messages)} earlier messages)"


def _entry_reply(entry: dict[str, Any]) -> Reply:
    if "say" in entry:
        return say(str(entry["say"]))
    return call(entry["call"], thought=entry.get("thought", ""), **entry.get("arguments", {}))
