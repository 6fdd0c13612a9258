"""Model providers, chosen by `agent.model` = provider/model.

    anthropic/claude-opus-4-6      the Anthropic API (ANTHROPIC_API_KEY)
    openai/gpt-5                   OpenAI, or any OpenAI-compatible server at agent.endpoint
                                   (OPENAI_API_KEY; vLLM, TGI and gateways)
    hf/Qwen/Qwen3-32B              Hugging Face inference providers (HF_TOKEN)
    local/Qwen/Qwen3-8B            a local transformers model (Hub id or directory)
    scripted/path/to/script.yaml   replays a script: no LLM (tests, demos)

Every provider but `scripted` is wrapped in retries with backoff. A provider whose
packages are missing (the agent image holds only the `agent` extra: no torch) is refused
with what to do instead, before anything is imported.
"""

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kintern_agent.providers.base import ChatModel, ModelError
from kintern_agent.providers.retry import RetryingModel


@dataclass(frozen=True)
class ModelSettings:
    """How to reach the model: `agent.model`, `agent.endpoint` and the per-call timeout."""

    model: str
    endpoint: str | None = None
    timeout_s: float = 600


def _anthropic(name: str, s: ModelSettings) -> ChatModel:
    from kintern_agent.providers.anthropic_api import AnthropicModel

    return AnthropicModel(name, base_url=s.endpoint, timeout_s=s.timeout_s)


def _openai(name: str, s: ModelSettings) -> ChatModel:
    from kintern_agent.providers.openai_api import OpenAICompatibleModel

    key = os.environ.get("OPENAI_API_KEY")
    return OpenAICompatibleModel(name, key, base_url=s.endpoint, timeout_s=s.timeout_s)


def _hf(name: str, s: ModelSettings) -> ChatModel:
    from kintern_agent.providers.openai_api import HF_ROUTER_URL, OpenAICompatibleModel

    url = s.endpoint or HF_ROUTER_URL
    key = os.environ.get("HF_TOKEN")
    return OpenAICompatibleModel(name, key, base_url=url, timeout_s=s.timeout_s, label="HF")


def _local(name: str, s: ModelSettings) -> ChatModel:
    from kintern_agent.providers.transformers_local import load_transformers_model

    return load_transformers_model(name)


# The packages a provider needs beyond the `agent` extra that the agent image is built from.
EXTRA_PACKAGES: dict[str, tuple[str, ...]] = {"local": ("torch", "transformers")}

PROVIDERS: dict[str, Callable[[str, ModelSettings], ChatModel]] = {
    "anthropic": _anthropic,
    "openai": _openai,
    "hf": _hf,
    "local": _local,
}


def make_model(settings: ModelSettings) -> ChatModel:
    """The provider named by `settings.model`; raises ModelError for an unknown one."""
    provider, _, name = settings.model.partition("/")
    if provider == "scripted":
        from kintern_agent.providers.scripted import ScriptedModel

        return ScriptedModel.from_file(Path(name))
    if provider not in PROVIDERS or not name:
        known = ", ".join([*PROVIDERS, "scripted"])
        raise ModelError(
            f"unknown model {settings.model!r}: write provider/model with provider one of {known}",
            transient=False,
        )
    missing = [p for p in EXTRA_PACKAGES.get(provider, ()) if importlib.util.find_spec(p) is None]
    if missing:
        raise ModelError(
            f"agent.model {settings.model!r} runs the model inside the agent, which needs "
            f"{' and '.join(missing)}: not installed here (the agent image holds the "
            "`agent` extra only). Serve the model with an OpenAI-compatible server (vLLM, "
            "TGI) and set agent.model to openai/<model> with agent.endpoint, or set "
            "agent.image to an image built with kintern[agent,trainer]",
            transient=False,
        )
    return RetryingModel(PROVIDERS[provider](name, settings))


__all__ = ["ChatModel", "ModelError", "ModelSettings", "make_model"]
