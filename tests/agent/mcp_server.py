"""A tiny MCP server for the tests, spoken to over stdio: `python mcp_server.py`."""

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("kintern-test-tools")


@server.tool()
def leaderboard(benchmark: str, top: int = 3) -> str:
    """The best known scores on a benchmark."""
    return f"{benchmark}: instruct model 35.49, ml-intern 32.0 (top {top})"


@server.tool()
def broken(reason: str) -> str:
    """A tool that always fails, the way a tool reports an anticipated failure."""
    raise ToolError(f"broken on purpose: {reason}")


if __name__ == "__main__":
    server.run("stdio")
