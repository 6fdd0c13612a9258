"""Tool: follow a paper's links: papers citing it, papers it cites, its data sets and models."""

from typing import Any

from kintern_agent.tools import arxiv
from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import ResearchContext

KINDS = ("citations", "references", "datasets", "models")


class PaperLinks(KinternTool):
    name = "paper_links"
    description = (
        "Follow a paper's links: 'citations' (papers that cite it), 'references' (papers it "
        "cites), 'datasets' or 'models' (Hub repositories that name it). Use it to find the "
        "data a strong paper trained on."
    )
    inputs = {
        "arxiv_id": {"type": "string", "description": "The arXiv id, e.g. 2402.03300."},
        "kind": {
            "type": "string",
            "description": "citations, references, datasets or models.",
            "enum": list(KINDS),
        },
        "limit": {
            "type": "integer",
            "description": "Most results (default 15, at most 50).",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, arxiv_id: str, kind: str, limit: int | None = None) -> str:
        if kind not in KINDS:
            raise ToolError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        n = max(1, min(limit or 15, 50))
        paper = arxiv.normalize_id(arxiv_id)
        lines = (
            self._papers(paper, kind, n)
            if kind in ("citations", "references")
            else (self._repos(paper, kind, n))
        )
        return "\n".join(lines) or f"(no {kind} found for {paper})"

    def _papers(self, paper: str, kind: str, n: int) -> list[str]:
        r = self.research
        params = {"fields": "title,year,externalIds,citationCount", "limit": n}
        data = r.http.get_json(r.semantic_scholar, f"/graph/v1/paper/arXiv:{paper}/{kind}", params)
        key = "citingPaper" if kind == "citations" else "citedPaper"
        return [_paper_line(item.get(key) or {}) for item in data.get("data") or []]

    def _repos(self, paper: str, kind: str, n: int) -> list[str]:
        r = self.research
        params = {"filter": f"arxiv:{paper}", "limit": n, "sort": "downloads", "direction": -1}
        items = r.http.get_json(r.hub, f"/api/{kind}", params)
        return [f"- {i.get('id')} ({i.get('downloads', 0)} downloads)" for i in items[:n]]


def _paper_line(p: dict[str, Any]) -> str:
    ids = p.get("externalIds") or {}
    ref = f"arXiv {ids['ArXiv']}" if ids.get("ArXiv") else "not on arXiv"
    cited = p.get("citationCount")
    return f"- {p.get('title')} ({p.get('year')}, {ref}, cited {cited} times)"
