"""Tool: read a Hub model's metadata and model card (README)."""

from kintern_agent.tools.base import KinternTool, ToolError, cut
from kintern_agent.tools.context import ResearchContext

CARD_CHARS = 10_000


class ModelCard(KinternTool):
    name = "model_card"
    description = (
        "Read a Hugging Face model's metadata (task, license, size, tags, base model, data "
        "sets) and its model card: how it was trained and evaluated."
    )
    inputs = {"model_id": {"type": "string", "description": "The model id, e.g. Qwen/Qwen3-1.7B."}}

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, model_id: str) -> str:
        r = self.research
        info = r.http.get_json(r.hub, f"/api/models/{model_id}")
        card_data = info.get("cardData") or {}
        params = (info.get("safetensors") or {}).get("total")
        lines = [
            f"# {info.get('id', model_id)}",
            f"- task: {info.get('pipeline_tag')}",
            f"- license: {card_data.get('license')}",
            f"- parameters: {params if params else 'unknown'}",
            f"- base model: {card_data.get('base_model')}",
            f"- data sets: {card_data.get('datasets')}",
            f"- downloads: {info.get('downloads', 0)}, likes: {info.get('likes', 0)}",
            f"- tags: {' '.join(info.get('tags', [])[:15])}",
        ]
        try:
            card = r.http.get_text(r.hub, f"/{model_id}/raw/main/README.md")
        except ToolError as e:
            card = f"(no model card: {e})"
        return "\n".join(lines) + "\n\n" + cut(card, CARD_CHARS)
