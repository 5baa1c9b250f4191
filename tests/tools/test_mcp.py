"""MCP toolsets against a real MCP server process (the ``mcp`` SDK), over stdio and
streamable HTTP; a hung server times out cleanly."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rollyard.tools import MCPError, MCPToolset

ROOT = Path(__file__).resolve().parents[2]
SERVER = [sys.executable, "-m", "tests.tools.mcp_server"]


def test_stdio_tools_list_call_and_errors() -> None:
    async def main() -> None:
        async with MCPToolset.stdio([*SERVER, "stdio"], cwd=str(ROOT), call_timeout_s=1.0) as tools:
            assert {"add", "lookup", "fail", "sleepy"} <= set(tools.names())
            spec = next(s for s in tools.specs() if s.name == "add")
            assert spec.parameters and set(spec.parameters["properties"]) == {"a", "b"}
            added = await tools.call("c1", "add", {"a": 2, "b": 3})
            assert added.status == "ok" and "5" in added.content
            facts = await tools.call("c2", "lookup", '{"city": "Paris"}')
            assert facts.status == "ok" and facts.value["population"] == 2_100_000
            failed = await tools.call("c3", "fail", {"reason": "on purpose"})
            assert failed.status == "error" and "on purpose" in failed.content
            slow = await tools.call("c4", "sleepy", {"seconds": 30})
            assert slow.status in ("timeout", "error")  # the 1 s call timeout fired
            # The server still answers after a timed-out call.
            again = await tools.call("c5", "add", {"a": 1, "b": 1})
            assert again.status == "ok"

    asyncio.run(asyncio.wait_for(main(), timeout=60))


def test_hung_server_times_out_cleanly() -> None:
    async def main() -> None:
        with pytest.raises(MCPError, match="did not answer"):
            async with MCPToolset.stdio([*SERVER, "hang"], cwd=str(ROOT), connect_timeout_s=1.5, close_timeout_s=2):
                pass

    asyncio.run(asyncio.wait_for(main(), timeout=30))


def test_streamable_http() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([*SERVER, "http", str(port)], cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and process.poll() is None, "MCP server did not start"
                time.sleep(0.2)

        async def main() -> None:
            async with MCPToolset.http(f"http://127.0.0.1:{port}/mcp") as tools:
                result = await tools.call("h1", "add", {"a": 40, "b": 2})
                assert result.status == "ok" and "42" in result.content

        asyncio.run(asyncio.wait_for(main(), timeout=30))
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_unreachable_http_server_is_an_mcp_error() -> None:
    async def main() -> None:
        with pytest.raises(MCPError):
            async with MCPToolset.http("http://127.0.0.1:9/mcp", connect_timeout_s=3):
                pass

    asyncio.run(asyncio.wait_for(main(), timeout=30))
