"""Which agent works a local campaign: the built-in sweep planner or the LLM agent loop."""

import threading
from collections.abc import Callable

from kintern.local.backend import LocalBackend


def agent_for(backend: LocalBackend, stop: threading.Event) -> Callable[[], str]:
    model = backend.campaign().spec.agent.model
    from kintern_agent.cli import BUILTIN_SWEEP, local_agent
    from kintern_agent.sweep import SweepPlanner

    if model == BUILTIN_SWEEP:
        return SweepPlanner(backend, stop).run

    trace = backend.store.trace_dir
    return local_agent(backend, stop, trace_dir=trace)
