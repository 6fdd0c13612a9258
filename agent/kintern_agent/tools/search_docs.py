"""Tool: search the Hugging Face documentation (TRL, transformers, datasets, the Hub...)."""

from kintern_agent.tools.base import KinternTool, cut
from kintern_agent.tools.context import ResearchContext

EXCERPT_CHARS = 800


class SearchDocs(KinternTool):
    name = "search_docs"
    description = (
        "Search the Hugging Face documentation (trl, transformers, datasets, peft, hub...) "
        "for how a trainer option, data format or API works. Returns excerpts with links."
    )
    inputs = {
        "query": {
            "type": "string",
            "description": "What to look up, e.g. 'GRPO reward functions'.",
        },
        "product": {
            "type": "string",
            "description": "Only this product, e.g. trl.",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, query: str, product: str | None = None) -> str:
        r = self.research
        params = {"q": query, **({"product": product} if product else {})}
        hits = r.http.get_json(r.hub, "/api/docs/search", params)
        parts = []
        for hit in hits[:8]:
            heading = " > ".join(h for h in (hit.get("heading1"), hit.get("heading2")) if h)
            text = cut(" ".join((hit.get("text") or "").split()), EXCERPT_CHARS)
            parts.append(
                f"## [{hit.get('product')}] {heading}\n{hit.get('source_page_url')}\n{text}"
            )
        return "\n\n".join(parts) or f"(no documentation found for {query!r})"
