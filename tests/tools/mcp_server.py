"""A real MCP server for the tests, built with the ``mcp`` SDK.

python -m tests.tools.mcp_server stdio
python -m tests.tools.mcp_server http PORT
python -m tests.tools.mcp_server hang        # starts, never speaks MCP
"""

from __future__ import annotations

import asyncio
import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("rollyard-test-tools")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def lookup(city: str) -> dict[str, object]:
    """Facts about a city."""
    return {"city": city, "population": {"Paris": 2_100_000}.get(city, 0)}


@server.tool()
def fail(reason: str) -> str:
    """Always fails, with a reason the client sees."""
    raise ToolError(reason)


@server.tool()
async def sleepy(seconds: float) -> str:
    """Sleeps, then answers."""
    await asyncio.sleep(seconds)
    return "awake"


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if mode == "hang":
        time.sleep(600)  # bounded: even a forgotten process ends by itself
    elif mode == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
