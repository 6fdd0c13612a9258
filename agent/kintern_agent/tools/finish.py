"""Tool: end the agent's work with a summary for the people who run the campaign."""

from kintern_agent.tools.base import KinternTool, ToolError

FINISH = "finish"


class Finish(KinternTool):
    name = FINISH
    description = (
        "Finish: call it when the target is reached, the budget is spent, or nothing "
        "promising is left. The summary goes into the campaign's status: what you tried, "
        "what worked, the best run and its score, and what you would try next."
    )
    inputs = {"summary": {"type": "string", "description": "The final summary."}}

    def forward(self, summary: str) -> str:
        if not summary.strip():
            raise ToolError("the summary is empty; say what was tried and what worked")
        return summary.strip()
