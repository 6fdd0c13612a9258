"""MCP servers named in the campaign become tools the model can call."""

import sys
from pathlib import Path

import pytest

from kintern_agent.agent import FINISHED
from kintern_agent.providers.scripted import call
from kintern_agent.tools import McpServer, ToolError
from kintern_agent.tools.mcp import mcp_tools
from tests.agent.helpers import a_campaign, make_agent, tool_texts

SERVER = f"{sys.executable} {Path(__file__).parent / 'mcp_server.py'}"


@pytest.fixture(scope="module")
def server():
    started = McpServer(SERVER)
    yield started
    started.close()


def test_an_mcp_servers_tools_get_schemas_and_answers(server):
    tools = {t.name: t for t in mcp_tools(server, taken={"broken"})}
    board = tools["leaderboard"]
    assert board.inputs["benchmark"]["type"] == "string"
    assert board.inputs["top"]["nullable"] is True
    assert "mcp_server.py" not in board.description and "(MCP server" in board.description
    assert board(benchmark="gpqa-main") == "gpqa-main: instruct model 35.49, ml-intern 32.0 (top 3)"
    with pytest.raises(ToolError, match="broken on purpose: x"):
        tools["mcp_broken"](reason="x")


def test_the_loop_calls_mcp_tools_named_in_the_campaign(tmp_path, web):
    campaign = a_campaign(agent={"model": "scripted/none.yaml", "mcpServers": [SERVER]})
    script = [call("leaderboard", benchmark="gpqa-main", top=1), call("finish", summary="ok")]
    agent, model, _ = make_agent(tmp_path, script, web=web, campaign=campaign)
    try:
        assert agent.run().status == FINISHED
    finally:
        agent.close()
    assert tool_texts(model.calls[-1], "leaderboard") == [
        "gpqa-main: instruct model 35.49, ml-intern 32.0 (top 1)"
    ]


def test_a_server_that_does_not_start_is_left_out(tmp_path, web, caplog):
    campaign = a_campaign(
        agent={"model": "scripted/none.yaml", "mcpServers": ["/nonexistent/mcp-server --stdio"]}
    )
    agent, _, _ = make_agent(tmp_path, [], web=web, campaign=campaign)
    assert "leaderboard" not in agent.by_name
    assert "did not start" in caplog.text
