"""The step-by-step trace a person reads afterwards: `trace.jsonl` and `trace.md`.

Each event is one JSON line (for programs) and one Markdown section (for people). All
text passes through the redactor first, so secrets never reach the trace.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kintern_agent.messages import Message, Usage
from kintern_agent.redact import Redactor

MARKDOWN_RESULT_CHARS = 1500


@dataclass(frozen=True)
class CallRecord:
    """One tool call of a step and what came back to the model."""

    name: str
    arguments: Any
    result: str
    is_error: bool = False


@dataclass(frozen=True)
class StepRecord:
    """One iteration: the model's reply, its tool calls, and the running totals."""

    iteration: int
    text: str
    calls: list[CallRecord]
    usage: Usage
    context_tokens: int
    total_tokens: int
    cost_usd: float
    notes: list[str] = field(default_factory=list)


class Trace:
    """Appends events to `<dir>/trace.jsonl` and `<dir>/trace.md`."""

    def __init__(self, directory: Path, redactor: Redactor):
        self.directory = directory
        self.redactor = redactor
        directory.mkdir(parents=True, exist_ok=True)
        self.jsonl = directory / "trace.jsonl"
        self.markdown = directory / "trace.md"

    def start(self, campaign: str, model: str, resumed_at: int | None) -> None:
        how = f"resumed at iteration {resumed_at}" if resumed_at is not None else "started"
        self._write(
            {"event": "start", "campaign": campaign, "model": model, "resumedAt": resumed_at},
            f"# Agent {how}: campaign `{campaign}`, model `{model}`\n",
        )

    def prompt(self, messages: list[Message]) -> None:
        parts = [f"### {m.role}\n\n{m.text}\n" for m in messages]
        self._write(
            {"event": "prompt", "messages": [m.to_dict() for m in messages]},
            "## Prompt\n\n" + "\n".join(parts),
        )

    def step(self, r: StepRecord) -> None:
        data = {
            "event": "step",
            "iteration": r.iteration,
            "text": r.text,
            "calls": [c.__dict__ for c in r.calls],
            "usage": r.usage.__dict__,
            "contextTokens": r.context_tokens,
            "totalTokens": r.total_tokens,
            "costUsd": round(r.cost_usd, 6),
            "notes": r.notes,
        }
        self._write(data, render_step(r))

    def event(self, kind: str, message: str, **details: Any) -> None:
        """A compaction, a guard trigger, a stop: one line for people, details for programs."""
        self._write({"event": kind, "message": message, **details}, f"> **{kind}**: {message}\n")

    def _write(self, data: dict[str, Any], markdown: str) -> None:
        data = {"time": round(time.time(), 3), **data}
        line = self.redactor.redact(json.dumps(data, default=str))
        with self.jsonl.open("a") as f:
            f.write(line + "\n")
        with self.markdown.open("a") as f:
            f.write(self.redactor.redact(markdown) + "\n")


def render_step(r: StepRecord) -> str:
    lines = [
        f"## Step {r.iteration}",
        f"*context {r.context_tokens} tokens; this call {r.usage.input_tokens} in / "
        f"{r.usage.output_tokens} out; total {r.total_tokens} tokens, ${r.cost_usd:.4f}*",
        "",
    ]
    if r.text:
        lines += [r.text, ""]
    for c in r.calls:
        lines.append(f"**{c.name}** `{json.dumps(c.arguments, default=str)}`")
        result = (
            c.result
            if len(c.result) <= MARKDOWN_RESULT_CHARS
            else (c.result[:MARKDOWN_RESULT_CHARS] + " [...]")
        )
        prefix = "error: " if c.is_error else ""
        lines += ["", "```", prefix + result, "```", ""]
    lines += [f"> {n}" for n in r.notes]
    return "\n".join(lines)
