"""The repetition guard: notices an agent going round in circles and stops it.

Each tool call leaves a signature: (tool, hash of its arguments, hash of its result).
Over the last `window` signatures it looks for the same call with the same result
`identical` times in a row, or a cycle of 2 to `max_cycle` calls repeated twice. A
trigger injects a corrective message and clears the window; `max_triggers` triggers
without `calm_calls` ordinary calls in between end the agent.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from kintern_agent.messages import ToolCall


@dataclass(frozen=True)
class Repetition:
    """What the guard saw: a pattern of calls, how often, and whether to stop."""

    kind: str  # "identical" | "cycle"
    calls: tuple[str, ...]  # readable calls, e.g. get_run(name='demo-r001')
    repeats: int
    trigger: int
    stop: bool


@dataclass
class RepetitionGuard:
    window: int = 30
    identical: int = 3
    max_cycle: int = 5
    max_triggers: int = 3
    calm_calls: int = 20
    signatures: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    triggers: int = 0
    calm: int = 0

    def observe(self, call: ToolCall, result: str) -> Repetition | None:
        """Record one call and its result; a Repetition when a pattern shows."""
        self.signatures = [*self.signatures, signature(call, result)][-self.window :]
        self.labels = [*self.labels, label(call)][-self.window :]
        found = self._identical() or self._cycle()
        if found is None:
            self.calm += 1
            if self.calm >= self.calm_calls:
                self.triggers = 0
            return None
        kind, length, repeats = found
        self.triggers += 1
        self.calm = 0
        calls = tuple(self.labels[-length:])
        self.signatures, self.labels = [], []
        return Repetition(kind, calls, repeats, self.triggers, self.triggers >= self.max_triggers)

    def _identical(self) -> tuple[str, int, int] | None:
        tail = self.signatures[-self.identical :]
        if len(tail) == self.identical and len(set(tail)) == 1:
            return ("identical", 1, self.identical)
        return None

    def _cycle(self) -> tuple[str, int, int] | None:
        s = self.signatures
        for length in range(2, self.max_cycle + 1):
            repeated = len(s) >= 2 * length and s[-length:] == s[-2 * length : -length]
            if repeated and len(set(s[-length:])) > 1:
                return ("cycle", length, 2)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "signatures": self.signatures,
            "labels": self.labels,
            "triggers": self.triggers,
            "calm": self.calm,
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.signatures = list(data.get("signatures", []))
        self.labels = list(data.get("labels", []))
        self.triggers = data.get("triggers", 0)
        self.calm = data.get("calm", 0)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def signature(call: ToolCall, result: str) -> str:
    arguments = json.dumps(call.arguments, sort_keys=True, default=str)
    return f"{call.name}:{_digest(arguments)}:{_digest(result)}"


def label(call: ToolCall, width: int = 80) -> str:
    if isinstance(call.arguments, dict):
        args = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
    else:
        args = repr(call.arguments)
    text = f"{call.name}({args})"
    return text if len(text) <= width else text[: width - 3] + "..."
