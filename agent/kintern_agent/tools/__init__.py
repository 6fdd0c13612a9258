"""The agent's tools, one per module, each a smolagents Tool with a declared schema.

`build_tools` assembles the research tools (papers, Hub, docs, GitHub), the campaign
tools (runs, waiting, the campaign's state, finishing) and the tools of any MCP
servers.
"""

from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import CampaignContext, ResearchContext
from kintern_agent.tools.create_training_run import CreateTrainingRun
from kintern_agent.tools.finish import FINISH, Finish
from kintern_agent.tools.get_campaign import GetCampaign
from kintern_agent.tools.get_run import GetRun
from kintern_agent.tools.github_code import SearchGithubCode
from kintern_agent.tools.github_file import ReadGithubFile
from kintern_agent.tools.inspect_dataset import InspectDataset
from kintern_agent.tools.list_runs import ListRuns
from kintern_agent.tools.mcp import McpServer, mcp_tools
from kintern_agent.tools.model_card import ModelCard
from kintern_agent.tools.paper_links import PaperLinks
from kintern_agent.tools.propose_data_prep import ProposeDataPrep
from kintern_agent.tools.read_paper import ReadPaper
from kintern_agent.tools.read_saved_output import ReadSavedOutput
from kintern_agent.tools.search_datasets import SearchDatasets
from kintern_agent.tools.search_docs import SearchDocs
from kintern_agent.tools.search_models import SearchModels
from kintern_agent.tools.search_papers import SearchPapers
from kintern_agent.tools.wait_for_runs import WaitForRuns

RESEARCH_TOOLS: tuple[type[KinternTool], ...] = (
    SearchPapers,
    ReadPaper,
    PaperLinks,
    SearchDatasets,
    InspectDataset,
    SearchModels,
    ModelCard,
    SearchDocs,
    SearchGithubCode,
    ReadGithubFile,
)
CAMPAIGN_TOOLS: tuple[type[KinternTool], ...] = (
    GetCampaign,
    ListRuns,
    GetRun,
    WaitForRuns,
    CreateTrainingRun,
    ProposeDataPrep,
    ReadSavedOutput,
)


def build_tools(
    research: ResearchContext,
    campaign: CampaignContext,
    mcp_servers: list[McpServer] | None = None,
) -> list[KinternTool]:
    """Every tool the agent may call, finish last."""
    tools: list[KinternTool] = [cls(research) for cls in RESEARCH_TOOLS]
    tools += [cls(campaign) for cls in CAMPAIGN_TOOLS]
    tools.append(Finish())
    taken = {t.name for t in tools}
    for server in mcp_servers or []:
        tools += mcp_tools(server, taken)
    return tools


__all__ = [
    "FINISH",
    "CampaignContext",
    "KinternTool",
    "McpServer",
    "ResearchContext",
    "ToolError",
    "build_tools",
]
