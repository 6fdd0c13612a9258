"""Shared pieces of the agent tests: the local web's routes, a fake clock, an agent builder."""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kintern.api.campaign import PostTrainingCampaign
from kintern_agent.agent import Agent
from kintern_agent.display import LogDisplay
from kintern_agent.factory import build_agent
from kintern_agent.providers.scripted import ScriptedModel, Step, Summarizer
from kintern_agent.tools import ResearchContext
from tests.agent.fake_web import FakeWeb
from tests.support.builders import campaign as build_campaign
from tests.support.memory_backend import MemoryBackend, RunOutcome

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_text(name))


def serve_research(web: FakeWeb) -> None:
    """Answer every research route with responses shaped like the real services'."""
    web.json("/api/papers/search", fixture_json("hf_papers_search.json"))
    web.text(
        "/papers/2402.03300.md", fixture_text("paper_2402.03300.md"), content_type="text/markdown"
    )
    web.text("/api/query", fixture_text("arxiv_search.xml"), content_type="application/atom+xml")
    web.json("/graph/v1/paper/arXiv:2402.03300/citations", fixture_json("s2_citations.json"))
    web.json("/api/datasets", fixture_json("hub_datasets_search.json"))
    web.json("/splits", fixture_json("ds_splits.json"))
    web.json("/first-rows", fixture_json("ds_first_rows.json"))
    web.json("/size", fixture_json("ds_size.json"))
    web.json("/api/models/Qwen/Qwen3-1.7B-Base", fixture_json("hub_model_info.json"))
    web.text("/Qwen/Qwen3-1.7B-Base/raw/main/README.md", fixture_text("model_readme.md"))
    web.json("/api/docs/search", fixture_json("docs_search.json"))
    web.json("/search/code", fixture_json("github_search.json"))


def local_endpoints(web: FakeWeb) -> dict[str, str]:
    """Environment variables that point every research tool at the local web."""
    return {
        "KINTERN_HUB_URL": web.url,
        "KINTERN_DATASETS_SERVER_URL": web.url,
        "KINTERN_ARXIV_URL": web.url,
        "KINTERN_SEMANTIC_SCHOLAR_URL": web.url,
        "KINTERN_GITHUB_API_URL": web.url,
    }


def research_for(
    web: FakeWeb, env: dict[str, str] | None = None, timeout_s: float = 1.0
) -> ResearchContext:
    return ResearchContext.from_env({**local_endpoints(web), **(env or {})}, timeout_s=timeout_s)


class FakeClock:
    """Time that moves only when the agent sleeps."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def a_campaign(**overrides: Any) -> PostTrainingCampaign:
    """The test campaign `demo`: GPQA-like goal, Policy approvals, a scripted agent."""
    defaults: dict[str, Any] = {
        "agent": {"model": "scripted/none.yaml", "maxIterations": 40},
        "approvals": {"mode": "Policy", "policy": {"maxGpuHoursPerRun": 2}},
    }
    return build_campaign("demo", **{**defaults, **overrides})


def make_agent(
    tmp_path: Path,
    script: Iterable[Step],
    *,
    web: FakeWeb,
    backend: MemoryBackend | None = None,
    outcomes: Iterable[RunOutcome] = (),
    summarize: Summarizer | None = None,
    campaign: PostTrainingCampaign | None = None,
    environ: dict[str, str] | None = None,
) -> tuple[Agent, ScriptedModel, MemoryBackend]:
    """A real agent on a memory backend, driven by `script`, its tools on the local web."""
    campaign = campaign or a_campaign()
    backend = backend or MemoryBackend(campaign, outcomes)
    model = ScriptedModel(script, summarize=summarize)
    agent = build_agent(
        campaign,
        backend,
        trace_dir=tmp_path / "trace",
        model=model,
        research=research_for(web, environ),
        clock=FakeClock(),
        poll_s=60,
        display=LogDisplay(),
        environ=environ or {},
    )
    return agent, model, backend


def tool_texts(messages: list[Any], name: str) -> list[str]:
    """The results of every call to tool `name` in a conversation."""
    return [m.text for m in messages if m.role == "tool" and m.tool_name == name]
