"""Which agent works a local campaign: the built-in sweep planner or the LLM agent loop."""

import threading
from collections.abc import Callable

from kintern.local.backend import LocalBackend

BUILTIN_SWEEP = "builtin/sweep"


def agent_for(backend: LocalBackend, stop: threading.Event) -> Callable[[], str]:
    model = backend.campaign().spec.agent.model
    if model == BUILTIN_SWEEP:
        from kintern_agent.sweep import SweepPlanner

        return SweepPlanner(backend, stop).run
    from kintern_agent.cli import local_agent

    trace = backend.store.trace_dir
    return local_agent(backend, stop, trace_dir=trace)
