"""`kintern agent`: run a campaign's agent, headless in its pod or interactive in a terminal.

In the pod the operator sets KINTERN_CAMPAIGN and KINTERN_NAMESPACE and the
credentials Secret's keys (ANTHROPIC_API_KEY, HF_TOKEN, ...) as environment; the
ServiceAccount token is mounted. In a terminal, `--kubeconfig` and `--campaign` do the
same from a workstation and each step is shown as it happens.
"""

import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from kintern.core.backend import BackendError, CampaignBackend
from kintern_agent.display import LogDisplay, RichDisplay
from kintern_agent.factory import build_agent
from kintern_agent.providers import ModelError
from kintern_agent.providers.base import ChatModel
from kintern_agent.sweep import SweepPlanner
from kintern_agent.tools.context import StoppableClock

EXIT_OK = 0
EXIT_STOPPED = 1
EXIT_CANNOT_START = 2
LOCAL_POLL_S = 2.0
BUILTIN_SWEEP = "builtin/sweep"


def agent_main(
    campaign: str | None = None,
    namespace: str | None = None,
    kubeconfig: Path | None = None,
    trace_dir: Path | None = None,
    interactive: bool | None = None,
) -> int:
    """Run the agent of `campaign` (default $KINTERN_CAMPAIGN) in `namespace` (default
    $KINTERN_NAMESPACE, else default) on the cluster; the exit code: 0 finished or
    reached its iteration limit, 1 stopped early (see the campaign's agentSummary),
    2 could not start."""
    name = campaign or os.environ.get("KINTERN_CAMPAIGN")
    ns = namespace or os.environ.get("KINTERN_NAMESPACE") or "default"
    console = Console(stderr=True)
    if not name:
        console.print("no campaign: pass --campaign or set KINTERN_CAMPAIGN")
        return EXIT_CANNOT_START
    from kubernetes.config import ConfigException

    from kintern_agent.backends.kubernetes import KubernetesBackend

    try:
        backend = KubernetesBackend.connect(name, ns, kubeconfig)
    except ConfigException as e:
        console.print(
            f"cannot reach the cluster ({e}): run in the agent's pod or pass --kubeconfig"
        )
        return EXIT_CANNOT_START
    tty = sys.stdout.isatty() if interactive is None else interactive
    return run_agent(backend, trace_dir=trace_dir or default_trace_dir(name), interactive=tty)


def run_agent(
    backend: CampaignBackend,
    *,
    trace_dir: Path,
    interactive: bool = False,
    model: ChatModel | None = None,
) -> int:
    """Run the agent of the backend's campaign to its end; the exit code as agent_main's."""
    console = Console(stderr=not interactive)
    if not interactive:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if model is None and backend.campaign().spec.agent.model == BUILTIN_SWEEP:
        summary = SweepPlanner(backend).run()
        console.print(f"builtin/sweep finished: {summary}")
        return EXIT_OK
    try:
        campaign = backend.campaign()
        display = RichDisplay(console) if interactive else LogDisplay()
        agent = build_agent(campaign, backend, trace_dir=trace_dir, model=model, display=display)
    except BackendError as e:
        console.print(f"the agent cannot start: {e}")
        return EXIT_CANNOT_START
    except ModelError as e:
        return cannot_start(backend, console, f"the agent cannot start: {e}", e.transient)
    try:
        outcome = agent.run()
    finally:
        agent.close()
    console.print(
        f"agent {outcome.status} after {outcome.iterations} iterations, {outcome.tokens} "
        f"tokens, ${outcome.cost_usd:.2f}; trace in {trace_dir}\n{outcome.summary}"
    )
    return EXIT_OK if outcome.ok else EXIT_STOPPED


def cannot_start(backend: CampaignBackend, console: Console, reason: str, transient: bool) -> int:
    """Say why the agent cannot start; when a restart cannot help either (the model is
    unknown, its packages are missing), end the campaign's agent with that reason, so the
    campaign's status says it instead of a crash-looping pod."""
    console.print(reason)
    if not transient:
        try:
            usage = backend.campaign().status.usage
            spent = (usage.agent_iterations, usage.agent_tokens, usage.agent_cost_usd)
            backend.report_progress(*spent, reason, done=True)
        except BackendError as e:
            console.print(f"(and the campaign could not be told: {e})")
    return EXIT_CANNOT_START


def local_agent(
    backend: CampaignBackend, stop: threading.Event, *, trace_dir: Path
) -> Callable[[], str]:
    """Local mode's agent factory (`kintern run`): the loop as work for the agent thread;
    setting `stop` ends it at the next step or wait, resumable by the next run."""

    def work() -> str:
        agent = build_agent(
            backend.campaign(),
            backend,
            trace_dir=trace_dir,
            clock=StoppableClock(stop),
            poll_s=LOCAL_POLL_S,
        )
        try:
            return agent.run(stop).summary
        finally:
            agent.close()

    return work


def default_trace_dir(campaign: str) -> Path:
    root = os.environ.get("KINTERN_TRACE_DIR") or os.path.join(
        tempfile.gettempdir(), "kintern-agent"
    )
    return Path(root) / campaign
