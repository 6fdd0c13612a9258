"""Showing the agent's progress: rich panels in a terminal, one log line per call headless."""

import json
import logging
from typing import Protocol

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from kintern_agent.trace import StepRecord

log = logging.getLogger("kintern_agent")
RESULT_PREVIEW_CHARS = 600
QUIET_EVENTS = frozenset({"compaction", "stop"})


class Display(Protocol):
    def step(self, record: StepRecord) -> None: ...

    def event(self, kind: str, message: str) -> None: ...


class LogDisplay:
    """Headless: one log line per tool call and per event (the pod's log)."""

    def step(self, record: StepRecord) -> None:
        for call in record.calls:
            first = call.result.strip().splitlines()[0] if call.result.strip() else ""
            log.info("step %d: %s -> %s", record.iteration, call.name, first[:200])
        if not record.calls:
            log.info("step %d: %s", record.iteration, record.text[:200])

    def event(self, kind: str, message: str) -> None:
        level = logging.INFO if kind in QUIET_EVENTS else logging.WARNING
        log.log(level, "%s: %s", kind, message)


class RichDisplay:
    """Interactive: a panel per step with the model's text, calls and results."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console()

    def step(self, record: StepRecord) -> None:
        body = Text()
        if record.text:
            body.append(record.text.strip() + "\n\n", style="italic")
        for call in record.calls:
            body.append(f"{call.name} ", style="bold cyan")
            body.append(json.dumps(call.arguments, default=str)[:300] + "\n")
            style = "red" if call.is_error else "green"
            body.append(call.result[:RESULT_PREVIEW_CHARS].rstrip() + "\n\n", style=style)
        title = (
            f"step {record.iteration} | context {record.context_tokens} tokens | "
            f"total {record.total_tokens} tokens | ${record.cost_usd:.4f}"
        )
        self.console.print(Panel(body, title=title, title_align="left"))

    def event(self, kind: str, message: str) -> None:
        self.console.print(f"[bold yellow]{kind}[/]: {message}")
