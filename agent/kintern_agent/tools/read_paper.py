"""Tool: read a paper's text (Hugging Face paper page as Markdown, or the arXiv abstract)."""

from kintern_agent.tools import arxiv
from kintern_agent.tools.base import KinternTool, ToolError, page
from kintern_agent.tools.context import ResearchContext


class ReadPaper(KinternTool):
    name = "read_paper"
    description = (
        "Read a paper by arXiv id, a page of about 12,000 characters at a time (use offset "
        "to go on). Falls back to the arXiv abstract when the full text is not available."
    )
    inputs = {
        "arxiv_id": {"type": "string", "description": "The arXiv id, e.g. 2402.03300."},
        "offset": {
            "type": "integer",
            "description": "Character offset to start from (default 0).",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, arxiv_id: str, offset: int | None = None) -> str:
        paper = arxiv.normalize_id(arxiv_id)
        r = self.research
        try:
            text = r.http.get_text(r.hub, f"/papers/{paper}.md", accept="text/markdown")
        except ToolError as e:
            return self._abstract(paper, str(e))
        return page(text, offset or 0)

    def _abstract(self, paper: str, why: str) -> str:
        r = self.research
        atom = r.http.get_text(
            r.arxiv, "/api/query", {"id_list": paper}, accept="application/atom+xml"
        )
        entries = arxiv.entries(atom, abstract_chars=4000)
        if not entries:
            raise ToolError(f"paper {paper} was found neither on Hugging Face nor on arXiv")
        return f"(full text unavailable: {why}; the arXiv abstract follows)\n{entries[0]}"
