"""Tool: search code on GitHub (training scripts, reward functions, data preparation)."""

from kintern_agent.tools.base import KinternTool
from kintern_agent.tools.context import ResearchContext

TEXT_MATCH = "application/vnd.github.text-match+json"


class SearchGithubCode(KinternTool):
    name = "search_github_code"
    description = (
        "Search code on GitHub, e.g. 'GRPOTrainer reward_funcs language:python'. Returns "
        "repository, path and matching fragments; read a file with read_github_file."
    )
    inputs = {
        "query": {"type": "string", "description": "GitHub code search query."},
        "limit": {
            "type": "integer",
            "description": "Most results (default 8, at most 30).",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, query: str, limit: int | None = None) -> str:
        n = max(1, min(limit or 8, 30))
        r = self.research
        params = {"q": query, "per_page": n}
        data = r.http.get_json(r.github, "/search/code", params, accept=TEXT_MATCH)
        parts = []
        for item in data.get("items", [])[:n]:
            repo = item.get("repository", {}).get("full_name")
            fragments = [m.get("fragment", "") for m in item.get("text_matches", [])[:2]]
            body = "\n".join(f"    {line}" for f in fragments for line in f.splitlines()[:6])
            parts.append(f"- {repo}: {item.get('path')}\n{body}".rstrip())
        total = data.get("total_count", len(parts))
        return f"{total} results\n" + "\n".join(parts) if parts else f"(no code matches {query!r})"
