"""What the tools need from outside, built once per agent and handed to each tool."""

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from kintern.core.backend import CampaignBackend
from kintern_agent.outputs import OutputStore
from kintern_agent.state import RunBook
from kintern_agent.tools.http import (
    Endpoints,
    Http,
    Source,
    arxiv_source,
    datasets_server_source,
    github_source,
    hub_source,
    semantic_scholar_source,
)


@dataclass(frozen=True)
class ResearchContext:
    """The HTTP client and the services the research tools call."""

    http: Http
    hub: Source
    datasets_server: Source
    arxiv: Source
    semantic_scholar: Source
    github: Source

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, timeout_s: float = 30.0
    ) -> "ResearchContext":
        env = os.environ if env is None else env
        endpoints = Endpoints.from_env(env)
        return cls(
            http=Http(timeout_s),
            hub=hub_source(endpoints, env),
            datasets_server=datasets_server_source(endpoints, env),
            arxiv=arxiv_source(endpoints),
            semantic_scholar=semantic_scholar_source(endpoints, env),
            github=github_source(endpoints, env),
        )


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall time (monotonic) and real sleeping."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Stopped(Exception):
    """Whoever runs the agent asked it to stop (local mode's Ctrl-C)."""


class StoppableClock(SystemClock):
    """Real time whose sleeps end early, raising Stopped, when `stop` is set."""

    def __init__(self, stop: threading.Event):
        self.stop = stop

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Stopped()


@dataclass
class CampaignContext:
    """The campaign's backend, the run book, and how to wait."""

    backend: CampaignBackend
    runs: RunBook
    outputs: OutputStore
    clock: Clock
    poll_s: float = 30.0
