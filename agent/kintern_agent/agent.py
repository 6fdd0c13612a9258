"""The agent loop: model call, tool calls, compaction, repetition guard, saved state.

Built on smolagents' Tool (schemas, argument validation) and Model types, with our own
loop rather than `ToolCallingAgent`, because the loop must (1) rewrite its history
mid-run for compaction and stop cleanly when that fails, where smolagents only offers
after-step callbacks and an interrupt that raises; (2) resume from a saved state,
where smolagents' memory steps serialise but do not load back; (3) hand the model only
expected failures as text and let bugs raise, where `ToolCallingAgent` turns every
exception into an observation; (4) end at the iteration limit with a clear status,
where smolagents makes one more unplanned call for a final answer; and (5) keep native
tool-call turns per provider (Anthropic prompt caching), where smolagents flattens
them into text.

One iteration is one model call and the tools it asks for. State is saved and
progress reported after every iteration.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from smolagents.tools import validate_tool_arguments

from kintern.core.backend import BackendError, CampaignBackend
from kintern.core.campaigns import stopped_by_end
from kintern_agent import prompts
from kintern_agent.compaction import CompactionPolicy, ContextOverflow, compact
from kintern_agent.display import Display
from kintern_agent.guard import Repetition, RepetitionGuard
from kintern_agent.messages import Message, Reply, ToolCall, tool_result, user
from kintern_agent.outputs import DEFAULT_MAX_OUTPUT_CHARS, OutputStore, clip
from kintern_agent.providers.base import ChatModel, ModelError, estimate_tokens
from kintern_agent.providers.pricing import cost_usd
from kintern_agent.redact import Redactor
from kintern_agent.state import AgentMemory
from kintern_agent.tools import FINISH, KinternTool, ToolError
from kintern_agent.tools.context import Stopped
from kintern_agent.trace import CallRecord, StepRecord, Trace

log = logging.getLogger(__name__)

FINISHED = "finished"
ITERATION_LIMIT = "iteration_limit"
CONTEXT_OVERFLOW = "context_overflow"
REPETITION = "repetition"
MODEL_ERROR = "model_error"
STOPPED = "stopped"
CAMPAIGN_ENDED = "campaign_ended"
MAX_TEXT_REPLIES = 2
# The context's size is estimated from the last reply's usage; an estimate above this
# share of the compaction limit is counted exactly (one count_tokens request).
COUNT_NEAR_SHARE = 0.9


@dataclass(frozen=True)
class AgentConfig:
    max_iterations: int = 300
    compact_at_tokens: int = 170_000
    keep_last_messages: int = 6
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS


@dataclass(frozen=True)
class Outcome:
    """How the agent ended: a status from the constants above and a readable summary."""

    status: str
    summary: str
    iterations: int
    tokens: int
    cost_usd: float

    @property
    def ok(self) -> bool:
        return self.status in (FINISHED, ITERATION_LIMIT, CAMPAIGN_ENDED)


@dataclass
class StepResult:
    calls: list[CallRecord]
    notes: list[str]
    finish_summary: str | None = None
    repetition: Repetition | None = None


class Agent:
    """Runs one campaign's agent until it finishes or must stop."""

    def __init__(
        self,
        model: ChatModel,
        tools: Sequence[KinternTool],
        backend: CampaignBackend,
        state: AgentMemory,
        config: AgentConfig,
        trace: Trace,
        outputs: OutputStore,
        redactor: Redactor,
        display: Display,
        closers: Sequence[Callable[[], None]] = (),
    ):
        self.model = model
        self.tools = list(tools)
        self.by_name = {t.name: t for t in self.tools}
        self.backend = backend
        self.state = state
        self.config = config
        self.trace = trace
        self.outputs = outputs
        self.redactor = redactor
        self.display = display
        self.closers = list(closers)
        self.guard = RepetitionGuard()
        self.guard.restore(state.guard)
        self.policy = CompactionPolicy(config.compact_at_tokens, config.keep_last_messages)

    def run(self, stop: threading.Event | None = None) -> Outcome:
        """Iterate until finish, the iteration limit, or a stop; the outcome says which.

        Setting `stop` (with a StoppableClock for the tools' waits) ends the agent at the
        next step or wait, leaving its saved state to resume from.
        """
        if self.state.done:
            return self._outcome()
        try:
            return self._loop(stop or threading.Event())
        except Stopped:
            return self._interrupted()

    def _loop(self, stop: threading.Event) -> Outcome:
        while True:
            if stop.is_set():
                return self._interrupted()
            if self.state.iteration >= self.config.max_iterations:
                limit = self.config.max_iterations
                return self._stop(ITERATION_LIMIT, f"stopped at the iteration limit ({limit})")
            try:
                context_tokens = self._fit_context()
                reply = self.model.complete(self.state.messages, self.tools)
            except ContextOverflow as e:
                return self._stop(CONTEXT_OVERFLOW, f"stopped: {e}")
            except ModelError as e:
                return self._fail(f"the model failed: {e}")
            outcome = self._iterate(reply, context_tokens)
            if outcome is not None:
                return outcome

    def close(self) -> None:
        """Release what the agent holds (MCP server sessions)."""
        for close in self.closers:
            close()

    def _iterate(self, reply: Reply, context_tokens: int) -> Outcome | None:
        s = self.state
        s.iteration += 1
        self._charge(reply)
        s.messages.append(reply.message)
        self._measured(reply.usage.total if reply.usage.input_tokens else 0)
        if reply.message.tool_calls:
            s.text_replies = 0
            result = self._call_tools(reply.message.tool_calls)
        else:
            result = self._text_reply()
        record = StepRecord(
            s.iteration,
            reply.message.text,
            result.calls,
            reply.usage,
            context_tokens,
            s.usage.total,
            s.cost_usd,
            result.notes,
        )
        self.trace.step(record)
        self.display.step(record)
        self._checkpoint()
        if result.finish_summary is not None:
            return self._stop(FINISHED, result.finish_summary)
        if result.repetition is not None and result.repetition.stop:
            return self._stop(REPETITION, repetition_summary(result.repetition))
        return None

    def _call_tools(self, calls: Sequence[ToolCall]) -> StepResult:
        result = StepResult(calls=[], notes=[])
        for call in calls:
            text, is_error = self._execute(call)
            shown = self.redactor.redact(
                clip(
                    text,
                    f"step{self.state.iteration}-{call.name}-{call.id}",
                    self.outputs,
                    self.config.max_output_chars,
                )
            )
            self.state.messages.append(tool_result(call, shown, is_error))
            result.calls.append(CallRecord(call.name, call.arguments, shown, is_error))
            if call.name == FINISH and not is_error:
                result.finish_summary = shown
            result.repetition = self.guard.observe(call, shown) or result.repetition
        if result.repetition is not None:
            self._warn_repetition(result)
        self.state.guard = self.guard.to_dict()
        return result

    def _execute(self, call: ToolCall) -> tuple[str, bool]:
        """The tool's output, or the text of an expected failure; bugs raise."""
        tool = self.by_name.get(call.name)
        if tool is None:
            return (
                f"Error: there is no tool {call.name!r}; use one of: {', '.join(self.by_name)}",
                True,
            )
        if not isinstance(call.arguments, dict):
            return f"Error: the arguments of {call.name} must be a JSON object", True
        try:
            validate_tool_arguments(tool, call.arguments)
        except (ValueError, TypeError) as e:
            return f"Error: invalid arguments for {call.name}: {e}", True
        try:
            # A secret the model put in an argument (a run's rationale, a search query)
            # must not reach the cluster, the web or a person: it is redacted first.
            return str(tool(**self.redactor.redact_value(call.arguments))), False
        except (ToolError, BackendError) as e:
            return f"Error: {e}", True

    def _warn_repetition(self, result: StepResult) -> None:
        r = result.repetition
        assert r is not None
        text = prompts.render(
            "repetition",
            kind=r.kind,
            calls=list(r.calls),
            repeats=r.repeats,
            trigger=r.trigger,
            max_triggers=self.guard.max_triggers,
        )
        if not r.stop:
            self.state.messages.append(user(text))
        result.notes.append(text)
        self.trace.event("repetition", text, trigger=r.trigger, stop=r.stop)
        self.display.event("repetition", text.splitlines()[0])

    def _text_reply(self) -> StepResult:
        s = self.state
        s.text_replies += 1
        last = s.messages[-1].text
        if s.text_replies >= MAX_TEXT_REPLIES:
            return StepResult(calls=[], notes=[], finish_summary=last or "(no summary)")
        nudge = prompts.render("no_tool_call")
        s.messages.append(user(nudge))
        return StepResult(calls=[], notes=[nudge])

    def _fit_context(self) -> int:
        """The context's size in tokens, compacting it first when it is over the limit.
        Counted exactly only when the estimate comes near the limit."""
        tokens = self._estimated_context()
        if tokens >= COUNT_NEAR_SHARE * self.policy.limit_tokens:
            tokens = self.model.count_tokens(self.state.messages, self.tools)
            self._measured(tokens)
        if tokens <= self.policy.limit_tokens:
            return tokens
        runs = ", ".join(self.state.runs.created) or "none"
        done = compact(self.state.messages, self.model, self.tools, self.policy, runs, tokens)
        self.state.messages = done.messages
        self.state.compactions += 1
        self._measured(done.after_tokens)
        self._charge(Reply(message=Message(role="assistant"), usage=done.usage))
        message = (
            f"compacted the context from {done.before_tokens} to {done.after_tokens} tokens "
            f"({done.summarized} messages summarised)"
        )
        self.trace.event(
            "compaction",
            message,
            before=done.before_tokens,
            after=done.after_tokens,
            summarized=done.summarized,
        )
        self.display.event("compaction", message)
        return done.after_tokens

    def _estimated_context(self) -> int:
        """The last measured size (a reply's prompt and output, or a count) plus an
        estimate of the messages added since; an estimate of everything when unmeasured."""
        s = self.state
        if s.context_tokens and s.context_messages <= len(s.messages):
            return s.context_tokens + estimate_tokens(s.messages[s.context_messages :])
        return estimate_tokens(s.messages, self.tools)

    def _measured(self, tokens: int) -> None:
        """The context as it is now takes `tokens` (0: unknown, the provider said nothing)."""
        self.state.context_tokens, self.state.context_messages = tokens, len(self.state.messages)

    def _charge(self, reply: Reply) -> None:
        self.state.usage = self.state.usage + reply.usage
        self.state.cost_usd += cost_usd(self.model.model_id, reply.usage)

    def _checkpoint(self, summary: str | None = None) -> None:
        s = self.state
        try:
            self.backend.save_state(s.to_json())
            self.backend.report_progress(s.iteration, s.usage.total, s.cost_usd, summary, s.done)
        except BackendError as e:
            log.warning("could not save the agent's state or progress: %s", e)
            self.trace.event("backend_error", str(e))

    def _stop(self, status: str, summary: str) -> Outcome:
        s = self.state
        s.done, s.stop_reason, s.summary = True, status, summary
        self.trace.event(
            "stop",
            summary,
            status=status,
            iterations=s.iteration,
            tokens=s.usage.total,
            costUsd=round(s.cost_usd, 6),
        )
        self.display.event("stop", f"{status}: {summary.splitlines()[0] if summary else ''}")
        self._checkpoint(summary)
        return self._outcome()

    def _fail(self, reason: str) -> Outcome:
        """A stop that a restart may get past (the provider is down): state stays resumable."""
        self.trace.event("failed", reason)
        self.display.event("failed", reason)
        self._checkpoint()
        s = self.state
        return Outcome(MODEL_ERROR, reason, s.iteration, s.usage.total, s.cost_usd)

    def _interrupted(self) -> Outcome:
        """Asked to stop: because the campaign ended (the agent is done, and says why), or
        otherwise (the state saved after the last whole step stays resumable)."""
        try:
            ended = stopped_by_end(self.backend.campaign().status)
        except BackendError:
            ended = None
        if ended is not None:
            return self._stop(CAMPAIGN_ENDED, ended)
        s = self.state
        self.trace.event(STOPPED, f"stopped on request at iteration {s.iteration}")
        return Outcome(STOPPED, "stopped on request", s.iteration, s.usage.total, s.cost_usd)

    def _outcome(self) -> Outcome:
        s = self.state
        return Outcome(
            s.stop_reason or FINISHED, s.summary or "", s.iteration, s.usage.total, s.cost_usd
        )


def repetition_summary(r: Repetition) -> str:
    return (
        f"stopped by the repetition guard after {r.trigger} warnings: the agent kept "
        f"repeating {' -> '.join(r.calls)} with the same results"
    )
