"""Tool: search data sets on the Hugging Face Hub."""

from typing import Any

from kintern_agent.tools.base import KinternTool
from kintern_agent.tools.context import ResearchContext

SHOWN_TAGS = 6


class SearchDatasets(KinternTool):
    name = "search_datasets"
    description = (
        "Search data sets on the Hugging Face Hub by keywords, most downloaded first. "
        "Inspect a promising one with inspect_dataset before training on it."
    )
    inputs = {
        "query": {"type": "string", "description": "Keywords, e.g. 'science multiple choice'."},
        "limit": {
            "type": "integer",
            "description": "Most results (default 10, at most 50).",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, query: str, limit: int | None = None) -> str:
        n = max(1, min(limit or 10, 50))
        r = self.research
        params = {"search": query, "limit": n, "sort": "downloads", "direction": -1}
        items = r.http.get_json(r.hub, "/api/datasets", params)
        return "\n".join(repo_line(i) for i in items[:n]) or f"(no data sets match {query!r})"


def repo_line(item: dict[str, Any]) -> str:
    """One Hub repository (data set or model) as a line: id, downloads, likes, key tags."""
    tags = [t for t in item.get("tags", []) if not t.startswith(("region:", "arxiv:"))]
    gated = ", gated" if item.get("gated") else ""
    return (
        f"- {item.get('id')} ({item.get('downloads', 0)} downloads, {item.get('likes', 0)} "
        f"likes{gated}) {' '.join(tags[:SHOWN_TAGS])}"
    ).rstrip()
