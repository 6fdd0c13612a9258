"""Tool: read one file from a GitHub repository."""

from kintern_agent.tools.base import KinternTool, page
from kintern_agent.tools.context import ResearchContext

RAW = "application/vnd.github.raw+json"


class ReadGithubFile(KinternTool):
    name = "read_github_file"
    description = "Read a file of a GitHub repository, a page of about 12,000 characters at a time."
    inputs = {
        "repo": {"type": "string", "description": "owner/name, e.g. huggingface/trl."},
        "path": {"type": "string", "description": "Path in the repository."},
        "offset": {
            "type": "integer",
            "description": "Character offset (default 0).",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(self, repo: str, path: str, offset: int | None = None) -> str:
        r = self.research
        text = r.http.get_text(r.github, f"/repos/{repo}/contents/{path.lstrip('/')}", accept=RAW)
        return page(text, offset or 0)
