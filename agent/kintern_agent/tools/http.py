"""HTTP for the research tools: configurable base URLs, credentials kept out of sight,
and every expected failure (timeout, 401, 403, 404, 429, 5xx) turned into a ToolError
the model can read and act on.

Base URLs come from the environment so that tests (and air-gapped mirrors) point the
tools at a local server.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from kintern_agent.tools.base import ToolError

DEFAULT_TIMEOUT_S = 30.0
USER_AGENT = "kintern-agent/0.1"


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the services the research tools call."""

    hub: str = "https://huggingface.co"
    datasets_server: str = "https://datasets-server.huggingface.co"
    arxiv: str = "https://export.arxiv.org"
    semantic_scholar: str = "https://api.semanticscholar.org"
    github: str = "https://api.github.com"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Endpoints":
        env = os.environ if env is None else env
        default = cls()
        return cls(
            hub=env.get("KINTERN_HUB_URL", env.get("HF_ENDPOINT", default.hub)),
            datasets_server=env.get("KINTERN_DATASETS_SERVER_URL", default.datasets_server),
            arxiv=env.get("KINTERN_ARXIV_URL", default.arxiv),
            semantic_scholar=env.get("KINTERN_SEMANTIC_SCHOLAR_URL", default.semantic_scholar),
            github=env.get("KINTERN_GITHUB_API_URL", default.github),
        )


@dataclass(frozen=True)
class Source:
    """One service: its name for messages, base URL, headers (credentials) and a 401 hint."""

    name: str
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    unauthorized_hint: str = "the request needs credentials that the agent does not have"


class Http:
    """A small JSON/text client whose failures are ToolErrors."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.timeout_s = timeout_s
        self.client = httpx.Client(
            timeout=timeout_s, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )

    def get_json(
        self,
        source: Source,
        path: str,
        params: Mapping[str, Any] | None = None,
        accept: str = "application/json",
    ) -> Any:
        response = self._get(source, path, params, {"Accept": accept})
        try:
            return response.json()
        except ValueError as e:
            raise ToolError(f"{source.name} answered {path} with something that is not JSON") from e

    def get_text(
        self,
        source: Source,
        path: str,
        params: Mapping[str, Any] | None = None,
        accept: str = "text/plain",
    ) -> str:
        return self._get(source, path, params, {"Accept": accept}).text

    def _get(
        self,
        source: Source,
        path: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        url = source.base_url.rstrip("/") + path
        try:
            response = self.client.get(url, params=params, headers={**headers, **source.headers})
        except httpx.TimeoutException as e:
            raise ToolError(
                f"{source.name} did not answer within {self.timeout_s:.0f}s ({path}); "
                "try again later or use another source"
            ) from e
        except httpx.TransportError as e:
            raise ToolError(f"{source.name} could not be reached ({type(e).__name__})") from e
        if response.status_code >= 400:
            raise ToolError(status_message(source, path, response))
        return response


def status_message(source: Source, path: str, response: httpx.Response) -> str:
    status = response.status_code
    if status == 401:
        return f"{source.name} refused {path} (401 unauthorized): {source.unauthorized_hint}"
    if status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
        return f"{source.name} rate limit reached (403); use another source for now"
    if status == 403:
        return f"{source.name} refused {path} (403 forbidden): it is private or gated"
    if status == 404:
        return f"{source.name} has no {path} (404 not found); check the id's exact spelling"
    if status == 429:
        wait = response.headers.get("retry-after")
        after = f"retry after {wait}s" if wait else "retry later"
        return f"{source.name} is rate-limiting requests (429); {after} or use another source"
    if status >= 500:
        return f"{source.name} had a server error ({status}) on {path}; try again later"
    return f"{source.name} answered {path} with HTTP {status}: {response.text[:200]}"


def hub_source(endpoints: Endpoints, env: Mapping[str, str]) -> Source:
    token = env.get("HF_TOKEN")
    return Source(
        "Hugging Face Hub",
        endpoints.hub,
        {"Authorization": f"Bearer {token}"} if token else {},
        "the repository may be gated or private and the agent's HF token is missing or "
        "has no access to it",
    )


def datasets_server_source(endpoints: Endpoints, env: Mapping[str, str]) -> Source:
    hub = hub_source(endpoints, env)
    return Source(
        "the Hugging Face dataset viewer",
        endpoints.datasets_server,
        hub.headers,
        hub.unauthorized_hint,
    )


def github_source(endpoints: Endpoints, env: Mapping[str, str]) -> Source:
    token = env.get("GITHUB_TOKEN")
    return Source(
        "GitHub",
        endpoints.github,
        {"Authorization": f"Bearer {token}"} if token else {},
        "GitHub code search needs a token and GITHUB_TOKEN is missing or invalid; "
        "search papers and Hub repositories instead",
    )


def arxiv_source(endpoints: Endpoints) -> Source:
    return Source("arXiv", endpoints.arxiv)


def semantic_scholar_source(endpoints: Endpoints, env: Mapping[str, str]) -> Source:
    key = env.get("SEMANTIC_SCHOLAR_API_KEY")
    return Source("Semantic Scholar", endpoints.semantic_scholar, {"x-api-key": key} if key else {})
