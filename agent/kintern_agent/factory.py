"""Building an agent for a campaign: the model, tools, prompts, saved state and trace.

    agent = build_agent(campaign, backend, trace_dir=Path("trace"))
    outcome = agent.run()

`model` defaults to the provider named by `spec.agent.model`; tests pass a
ScriptedModel, a local ResearchContext and a fake clock.
"""

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from kintern.api.campaign import CampaignSpec, PostTrainingCampaign
from kintern.core.backend import BackendError, CampaignBackend
from kintern_agent import prompts
from kintern_agent.agent import Agent, AgentConfig
from kintern_agent.display import Display, LogDisplay
from kintern_agent.messages import system, user
from kintern_agent.outputs import OutputStore
from kintern_agent.providers import ModelSettings, make_model
from kintern_agent.providers.base import ChatModel
from kintern_agent.redact import Redactor
from kintern_agent.state import AgentMemory, RunBook
from kintern_agent.tools import CampaignContext, McpServer, ResearchContext, build_tools
from kintern_agent.tools.context import Clock, SystemClock
from kintern_agent.tools.mcp import McpUnavailable
from kintern_agent.tools.run_view import run_line
from kintern_agent.trace import Trace

log = logging.getLogger(__name__)


def build_agent(
    campaign: PostTrainingCampaign,
    backend: CampaignBackend,
    *,
    trace_dir: Path,
    model: ChatModel | None = None,
    research: ResearchContext | None = None,
    clock: Clock | None = None,
    poll_s: float = 30.0,
    display: Display | None = None,
    environ: Mapping[str, str] | None = None,
) -> Agent:
    """An agent for `campaign`, resuming from the backend's saved state when there is one."""
    env = os.environ if environ is None else environ
    spec = campaign.spec
    name = str(campaign.metadata["name"])
    model = model or make_model(ModelSettings(spec.agent.model, spec.agent.endpoint))
    redactor = Redactor(env)
    trace = Trace(trace_dir, redactor)
    outputs = OutputStore(trace_dir / "outputs")
    saved = backend.load_state()
    state = resume(saved, backend) if saved is not None else fresh_state(campaign)
    servers = start_mcp_servers(spec.agent.mcp_servers)
    context = CampaignContext(backend, state.runs, outputs, clock or SystemClock(), poll_s)
    tools = build_tools(research or ResearchContext.from_env(env), context, servers)
    config = AgentConfig(spec.agent.max_iterations, spec.agent.compact_at_tokens)
    trace.start(name, model.model_id, state.iteration if saved is not None else None)
    if saved is None:
        trace.prompt(state.messages)
    return Agent(
        model,
        tools,
        backend,
        state,
        config,
        trace,
        outputs,
        redactor,
        display or LogDisplay(),
        [s.close for s in servers],
    )


def resume(saved: str, backend: CampaignBackend) -> AgentMemory:
    """The saved state, with a note that the agent restarted unless it had finished."""
    state = AgentMemory.from_json(saved)
    if not state.done:
        state.messages.append(user(resume_note(backend, state)))
    return state


def fresh_state(campaign: PostTrainingCampaign) -> AgentMemory:
    name = str(campaign.metadata["name"])
    variables = prompt_variables(name, campaign.spec)
    messages = [
        system(prompts.render("system", **variables)),
        user(prompts.render("task", campaign=name, goal=campaign.spec.goal)),
    ]
    return AgentMemory(runs=RunBook(name), messages=messages)


def resume_note(backend: CampaignBackend, state: AgentMemory) -> str:
    try:
        states = "\n".join(run_line(r) for r in backend.list_runs()) or "(no runs)"
    except BackendError as e:
        states = f"(the runs could not be listed: {e})"
    runs = ", ".join(state.runs.created) or "none"
    return prompts.render("resume", iteration=state.iteration, runs=runs, states=states)


def prompt_variables(name: str, spec: CampaignSpec) -> dict[str, object]:
    o, b = spec.objective, spec.budget
    return {
        "campaign": name,
        "goal": spec.goal,
        "base_model": spec.base_model,
        "benchmark": o.benchmark,
        "metric": o.metric,
        "direction": o.direction,
        "target": o.target,
        "gpu_hours": b.gpu_hours,
        "max_runs": b.max_runs,
        "max_concurrent": b.max_concurrent_runs,
        "deadline": b.deadline,
        "gpus_per_run": spec.compute.gpus_per_run,
        "approval_rules": approval_rules(spec),
        "max_iterations": spec.agent.max_iterations,
    }


def approval_rules(spec: CampaignSpec) -> str:
    a, p = spec.approvals, spec.approvals.policy
    if a.mode == "Manual":
        rule = "Manual: a person approves every run, so expect runs to wait in AwaitingApproval."
    elif a.mode == "Auto":
        rule = "Auto: every run that fits the budget is approved at once."
    else:
        rule = (
            f"Policy: runs of at most {p.max_gpu_hours_per_run} GPU-hours with recipes "
            f"{', '.join(p.allowed_recipes)} are approved at once; a person decides the rest."
        )
    custom = "allowed" if p.allow_custom_code else "not allowed (rejected by policy)"
    publish = "allowed" if p.allow_publish else "not allowed"
    return f"{rule} Custom code (propose_data_prep) is {custom}; pushing to the Hub is {publish}."


def start_mcp_servers(targets: list[str]) -> list[McpServer]:
    """The MCP servers that start; one that does not is logged and left out."""
    servers = []
    for target in targets:
        try:
            servers.append(McpServer(target))
        except McpUnavailable as e:
            log.warning("%s; continuing without it", e)
    return servers
