"""Tool: search research papers on Hugging Face Papers and arXiv."""

from typing import Any

from kintern_agent.tools import arxiv
from kintern_agent.tools.base import KinternTool, ToolError, cut
from kintern_agent.tools.context import ResearchContext

ABSTRACT_CHARS = 300


class SearchPapers(KinternTool):
    name = "search_papers"
    description = (
        "Search research papers by keywords on Hugging Face Papers and arXiv. Returns arXiv "
        "ids, titles, years and the start of each abstract. Read one with read_paper, follow "
        "its citations, data sets and models with paper_links."
    )
    inputs = {
        "query": {"type": "string", "description": "Keywords, e.g. 'GPQA science SFT data'."},
        "limit": {
            "type": "integer",
            "description": "Most results per source (default 8, at most 25).",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, query: str, limit: int | None = None) -> str:
        n = max(1, min(limit or 8, 25))
        sections, failures = [], []
        for title, search in (("Hugging Face Papers", self._hf), ("arXiv", self._arxiv)):
            try:
                sections.append(f"## {title}\n" + (search(query, n) or "(no results)"))
            except ToolError as e:
                failures.append(str(e))
        if not sections:
            raise ToolError("paper search failed: " + "; ".join(failures))
        return "\n\n".join(sections + [f"(note: {f})" for f in failures])

    def _hf(self, query: str, n: int) -> str:
        r = self.research
        items = r.http.get_json(r.hub, "/api/papers/search", {"q": query, "limit": n})
        return "\n".join(_hf_line(item) for item in items[:n])

    def _arxiv(self, query: str, n: int) -> str:
        r = self.research
        params = {"search_query": f"all:{query}", "start": 0, "max_results": n}
        text = r.http.get_text(r.arxiv, "/api/query", params, accept="application/atom+xml")
        return "\n".join(arxiv.entries(text))


def _hf_line(item: dict[str, Any]) -> str:
    paper = item.get("paper", item)
    title = item.get("title") or paper.get("title", "")
    year = (paper.get("publishedAt") or "")[:4]
    summary = cut(" ".join((paper.get("summary") or "").split()), ABSTRACT_CHARS)
    upvotes = paper.get("upvotes")
    votes = f", {upvotes} upvotes" if upvotes else ""
    return f"- {paper.get('id')} ({year}{votes}) {title}: {summary}"
