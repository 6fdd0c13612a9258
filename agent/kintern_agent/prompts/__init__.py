"""The agent's prompts, kept as YAML package data (agent.yaml) and rendered with Jinja."""

from functools import cache
from importlib import resources
from typing import Any

import yaml
from smolagents.agents import populate_template


@cache
def _templates() -> dict[str, str]:
    text = resources.files(__package__).joinpath("agent.yaml").read_text()
    templates: dict[str, str] = yaml.safe_load(text)
    return templates


def render(name: str, **variables: Any) -> str:
    """The prompt `name` from agent.yaml with `variables` filled in (all must be given)."""
    return str(populate_template(_templates()[name], variables))
