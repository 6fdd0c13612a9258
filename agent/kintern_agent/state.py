"""What the agent saves after every step, so a killed agent resumes where it stopped.

The state is the conversation, the counters, the guard's memory and the run book (the
next run number and every run created). The backend stores it as opaque JSON text: a
ConfigMap on a cluster, a file in local mode. Run names are `<campaign>-r001`, ... and
the counter is saved with the conversation, so a step replayed after a crash asks for
the same name again, and `create_run` being idempotent makes that a no-op.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from kintern_agent.messages import Message, Usage

STATE_VERSION = 1


@dataclass
class RunBook:
    """Names of the runs this agent creates: deterministic, never reused."""

    campaign: str
    next_number: int = 1
    created: list[str] = field(default_factory=list)

    def next_name(self) -> str:
        return f"{self.campaign}-r{self.next_number:03d}"

    def record(self, name: str) -> None:
        """`name` exists now; the next run gets the next number."""
        if name not in self.created:
            self.created.append(name)
        if name == self.next_name():
            self.next_number += 1


@dataclass
class AgentMemory:
    """Everything needed to resume: the conversation, counters, guard memory, run book.

    (Not `kintern.core.workload.AgentState`, which is the agent's Job as the operator sees it.)
    """

    runs: RunBook
    messages: list[Message] = field(default_factory=list)
    iteration: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    compactions: int = 0
    guard: dict[str, Any] = field(default_factory=dict)
    text_replies: int = 0
    done: bool = False
    stop_reason: str | None = None
    summary: str | None = None
    # The context's last measured size in tokens and how many messages it had then.
    context_tokens: int = 0
    context_messages: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": STATE_VERSION,
                "runs": {
                    "campaign": self.runs.campaign,
                    "nextNumber": self.runs.next_number,
                    "created": self.runs.created,
                },
                "messages": [m.to_dict() for m in self.messages],
                "iteration": self.iteration,
                "usage": self.usage.__dict__,
                "costUsd": self.cost_usd,
                "compactions": self.compactions,
                "guard": self.guard,
                "textReplies": self.text_replies,
                "done": self.done,
                "stopReason": self.stop_reason,
                "summary": self.summary,
                "contextTokens": self.context_tokens,
                "contextMessages": self.context_messages,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> "AgentMemory":
        data = json.loads(text)
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"saved agent state has version {data.get('version')}, not 1")
        runs = data["runs"]
        return cls(
            runs=RunBook(runs["campaign"], runs["nextNumber"], list(runs["created"])),
            messages=[Message.from_dict(m) for m in data["messages"]],
            iteration=data["iteration"],
            usage=Usage(**data["usage"]),
            cost_usd=data["costUsd"],
            compactions=data["compactions"],
            guard=data["guard"],
            text_replies=data["textReplies"],
            done=data["done"],
            stop_reason=data["stopReason"],
            summary=data["summary"],
            context_tokens=data.get("contextTokens", 0),
            context_messages=data.get("contextMessages", 0),
        )
