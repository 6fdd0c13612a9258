"""Context compaction: when the conversation outgrows its limit, summarise the middle.

Kept: the system prompt, the task (the first user message) and the last steps; the
middle is summarised by the same model, and the run book (which runs exist) is
appended from the agent's own records, never from the summary. A kept message that is
still too large is replaced by a placeholder. Compaction must leave the context well
under the limit (`target_share` of it); if it cannot, it raises `ContextOverflow` and
the agent stops with that status instead of compacting again and again.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from smolagents import Tool

from kintern_agent import prompts
from kintern_agent.messages import Message, Usage, system, user
from kintern_agent.providers.base import ChatModel, estimate_tokens

RENDERED_MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class CompactionPolicy:
    limit_tokens: int
    keep_last: int = 6
    target_share: float = 0.6
    max_kept_message_share: float = 0.25

    @property
    def target_tokens(self) -> int:
        return int(self.limit_tokens * self.target_share)


@dataclass(frozen=True)
class Compaction:
    """The result: the new conversation and what it took."""

    messages: list[Message]
    before_tokens: int
    after_tokens: int
    summarized: int
    usage: Usage


class ContextOverflow(Exception):
    """The context cannot be brought under its limit; the agent must stop."""


def compact(
    messages: Sequence[Message],
    model: ChatModel,
    tools: Sequence[Tool],
    policy: CompactionPolicy,
    runs: str,
    before_tokens: int,
) -> Compaction:
    """Summarise the middle of `messages`; raises ContextOverflow if it is still too big."""
    head, middle, tail = split(messages, policy.keep_last)
    usage = Usage()
    kept = list(head)
    if middle:
        reply = model.complete([system(prompts.render("summarizer")), user(render(middle))], [])
        usage = reply.usage
        kept.append(user(prompts.render("summary_header", summary=reply.message.text, runs=runs)))
    limit = int(policy.limit_tokens * policy.max_kept_message_share)
    kept += [shrink(m, limit) for m in tail]
    after = model.count_tokens(kept, tools)
    if after > policy.target_tokens:
        raise ContextOverflow(
            f"the context is {after} tokens after compaction (it was {before_tokens}), over "
            f"the {policy.target_tokens} that compaction must reach for a {policy.limit_tokens}"
            f"-token limit; the system prompt and task alone take "
            f"{model.count_tokens(head, tools)}. Raise agent.compactAtTokens or shorten the goal."
        )
    return Compaction(kept, before_tokens, after, len(middle), usage)


def split(
    messages: Sequence[Message], keep_last: int
) -> tuple[list[Message], list[Message], list[Message]]:
    """(system + task, middle, tail); the tail never starts with orphaned tool results."""
    head_end = 2 if len(messages) >= 2 and messages[1].role == "user" else 1
    start = max(head_end, len(messages) - keep_last)
    while start < len(messages) and messages[start].role == "tool":
        start += 1
    return list(messages[:head_end]), list(messages[head_end:start]), list(messages[start:])


def render(middle: Sequence[Message]) -> str:
    """The middle of the conversation as plain text for the summariser."""
    parts = []
    for m in middle:
        who = f"tool result ({m.tool_name})" if m.role == "tool" else m.role
        text = m.text
        if m.tool_calls:
            text += "\n" + "\n".join(f"-> {c.name}({c.arguments})" for c in m.tool_calls)
        if len(text) > RENDERED_MESSAGE_CHARS:
            text = text[:RENDERED_MESSAGE_CHARS] + " [...]"
        parts.append(f"[{who}]\n{text.strip()}")
    return "\n\n".join(parts)


def shrink(m: Message, limit_tokens: int) -> Message:
    """`m`, or `m` with its text replaced by a placeholder when it alone is over the limit."""
    tokens = estimate_tokens([m])
    if tokens <= limit_tokens:
        return m
    note = f"[{m.role} message of {tokens} tokens removed during compaction: it was too large]"
    return Message(
        role=m.role,
        text=note,
        tool_calls=m.tool_calls,
        tool_call_id=m.tool_call_id,
        tool_name=m.tool_name,
        is_error=m.is_error,
    )
