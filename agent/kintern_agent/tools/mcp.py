"""MCP servers named in `agent.mcpServers` become tools.

Each entry is a URL (Streamable HTTP) or a command line (started as a subprocess that
speaks MCP over stdio). The `mcp` SDK is asynchronous and the loop is not, so each
server's session lives in a background event loop and the tools call into it. A
server's failures and `isError` results come back to the model as ToolErrors.
"""

import asyncio
import concurrent.futures
import keyword
import logging
import os
import re
import shlex
import threading
from typing import Any

import mcp_types
from mcp import Client, MCPError, StdioServerParameters

from kintern_agent.tools.base import KinternTool, ToolError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 300.0
SMOL_TYPES = {"string", "boolean", "integer", "number", "array", "object", "null"}


class McpUnavailable(Exception):
    """An MCP server could not be started or reached."""


class McpServer:
    """One MCP server's session, held open in a background event loop."""

    def __init__(self, target: str, timeout_s: float = CONNECT_TIMEOUT_S):
        self.target = target
        self.label = target if target.startswith("http") else shlex.split(target)[0]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._ready: concurrent.futures.Future[Client] = concurrent.futures.Future()
        self._closing = asyncio.Event()
        self._held = asyncio.run_coroutine_threadsafe(self._hold(), self._loop)
        try:
            self._client = self._ready.result(timeout_s)
        except (concurrent.futures.TimeoutError, OSError, MCPError) as e:
            self.close()
            raise McpUnavailable(f"MCP server {self.label} did not start: {e}") from e

    async def _hold(self) -> None:
        try:
            async with Client(_server(self.target), read_timeout_seconds=CALL_TIMEOUT_S) as client:
                self._ready.set_result(client)
                await self._closing.wait()
        except Exception as e:  # handed to the waiting constructor, or logged once running
            if not self._ready.done():
                self._ready.set_exception(e)
            else:
                log.warning("MCP server %s closed: %s", self.label, e)

    def _run(self, coroutine: Any, timeout_s: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    def tools(self) -> list[mcp_types.Tool]:
        return list(self._run(self._client.list_tools(), CONNECT_TIMEOUT_S).tools)

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        try:
            result = self._run(self._client.call_tool(name, arguments), CALL_TIMEOUT_S)
        except (MCPError, TimeoutError, concurrent.futures.TimeoutError, OSError) as e:
            raise ToolError(f"MCP server {self.label} failed on {name}: {e}") from e
        text = "\n".join(_content_text(c) for c in result.content)
        if result.is_error:
            raise ToolError(f"{name} failed: {text}")
        return text

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._closing.set)
            try:
                self._held.result(10)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                self._held.cancel()
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def _server(target: str) -> str | StdioServerParameters:
    if target.startswith(("http://", "https://")):
        return target
    command, *args = shlex.split(target)
    return StdioServerParameters(command=command, args=args, env=dict(os.environ))


def _content_text(block: Any) -> str:
    return block.text if isinstance(block, mcp_types.TextContent) else f"[{block.type} content]"


def mcp_tools(server: McpServer, taken: set[str]) -> list[KinternTool]:
    """The server's tools as smolagents tools; a name already taken gets an `mcp_` prefix."""
    tools = []
    for spec in server.tools():
        name = tool_name(spec.name, taken)
        taken.add(name)
        tools.append(McpTool(server, spec, name))
    return tools


def tool_name(raw: str, taken: set[str]) -> str:
    name = re.sub(r"\W", "_", raw)
    if not name or name[0].isdigit() or keyword.iskeyword(name) or name in taken:
        name = f"mcp_{name}"
    return name


def tool_inputs(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A JSON schema's properties as smolagents inputs (optional ones nullable)."""
    required = set(schema.get("required", []))
    inputs = {}
    for key, prop in (schema.get("properties") or {}).items():
        declared = prop.get("type", "any")
        types = declared if isinstance(declared, list) else [declared]
        kept = [t for t in types if t in SMOL_TYPES] or ["any"]
        entry = {k: v for k, v in prop.items() if k in ("items", "enum")}
        entry["type"] = kept[0] if len(kept) == 1 else kept
        entry["description"] = prop.get("description", key)
        if key not in required:
            entry["nullable"] = True
        inputs[key] = entry
    return inputs


class McpTool(KinternTool):
    """One tool of an MCP server."""

    skip_forward_signature_validation = True

    def __init__(self, server: McpServer, spec: mcp_types.Tool, name: str):
        self.name = name
        self.description = (spec.description or spec.name) + f" (MCP server {server.label})"
        self.inputs = tool_inputs(spec.input_schema)
        self.server = server
        self.remote_name = spec.name
        super().__init__()

    def forward(self, **arguments: Any) -> str:
        given = {k: v for k, v in arguments.items() if v is not None}
        return self.server.call(self.remote_name, given)
