"""Tool: search models on the Hugging Face Hub."""

from kintern_agent.tools.base import KinternTool
from kintern_agent.tools.context import ResearchContext
from kintern_agent.tools.search_datasets import repo_line


class SearchModels(KinternTool):
    name = "search_models"
    description = (
        "Search models on the Hugging Face Hub by keywords, most downloaded first (for "
        "example fine-tunes of the base model, or reward models). Read one with model_card."
    )
    inputs = {
        "query": {"type": "string", "description": "Keywords, e.g. 'Qwen3-1.7B GPQA'."},
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
        items = r.http.get_json(r.hub, "/api/models", params)
        return "\n".join(repo_line(i) for i in items[:n]) or f"(no models match {query!r})"
