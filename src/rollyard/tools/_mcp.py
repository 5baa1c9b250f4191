"""``MCPToolset``: the tools of an MCP server (stdio or streamable HTTP), through the
official ``mcp`` SDK. Connecting and calling are bounded in time, and a hung server
never hangs the run: it is timed out and, for stdio, its process is stopped."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from ._tool import PassThroughArguments, Tool
from ._toolset import Toolset


def _field(obj: Any, *names: str) -> Any:
    """The first of ``names`` that ``obj`` has (the SDK renamed camelCase fields)."""
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


class MCPError(RuntimeError):
    """An MCP server could not be reached, or answered a call with an error."""


class MCPToolset(Toolset):
    """Tools served by an MCP server. Use as an async context manager:

    >>> async with MCPToolset.stdio(["python", "server.py"]) as tools:  # doctest: +SKIP
    ...     result = await tools.call("c1", "add", {"a": 1, "b": 2})
    """

    def __init__(
        self,
        server: Any,
        *,
        connect_timeout_s: float = 15.0,
        call_timeout_s: float = 30.0,
        close_timeout_s: float = 5.0,
        requires_approval: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self._server = server
        self.connect_timeout_s = connect_timeout_s
        self.call_timeout_s = call_timeout_s
        self.close_timeout_s = close_timeout_s
        self._requires_approval = set(requires_approval)
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    @classmethod
    def stdio(
        cls, command: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None, **kwargs: Any
    ) -> MCPToolset:
        """A server started as a subprocess, spoken to over its stdin/stdout."""
        from mcp.client.stdio import StdioServerParameters

        params = StdioServerParameters(command=command[0], args=list(command[1:]), env=env, cwd=cwd)
        return cls(params, **kwargs)

    @classmethod
    def http(cls, url: str, **kwargs: Any) -> MCPToolset:
        """A server at a streamable-HTTP URL (``http://127.0.0.1:8000/mcp``)."""
        return cls(url, **kwargs)

    async def __aenter__(self) -> MCPToolset:
        from mcp import Client

        stack = AsyncExitStack()
        client = Client(self._server, read_timeout_seconds=self.call_timeout_s)
        try:
            # asyncio.timeout, not wait_for: the SDK's task group must be entered and
            # left in this same task.
            async with asyncio.timeout(self.connect_timeout_s):
                self._client = await stack.enter_async_context(client)
                listing = await self._client.list_tools()
        except TimeoutError:
            await self._close(stack)
            raise MCPError(f"MCP server did not answer within {self.connect_timeout_s}s") from None
        except Exception as exc:
            await self._close(stack)
            raise MCPError(f"could not connect to the MCP server: {type(exc).__name__}: {exc}") from None
        try:
            for spec in listing.tools:
                schema = _field(spec, "input_schema", "inputSchema") or {"type": "object", "properties": {}}
                self.add(
                    Tool(
                        name=spec.name,
                        description=spec.description or spec.name,
                        function=functools.partial(self._call, spec.name),
                        arguments_model=PassThroughArguments,
                        json_schema=dict(schema),
                        timeout_s=self.call_timeout_s,
                        requires_approval=spec.name in self._requires_approval,
                    )
                )
        except Exception:
            await self._close(stack)
            raise
        self._stack = stack
        return self

    async def _call(self, name: str, **arguments: Any) -> Any:
        if self._client is None:
            raise MCPError("the MCP toolset is not connected")
        result = await self._client.call_tool(name, arguments)
        text = "\n".join(getattr(block, "text", "") for block in result.content if getattr(block, "text", None))
        if _field(result, "is_error", "isError"):
            raise MCPError(text or f"{name} failed")
        structured = _field(result, "structured_content", "structuredContent")
        if isinstance(structured, dict) and set(structured) == {"result"}:
            return structured["result"]  # a plain return value, wrapped by the server
        return structured if structured is not None else text

    async def _close(self, stack: AsyncExitStack) -> None:
        try:
            async with asyncio.timeout(self.close_timeout_s):
                await stack.aclose()
        except (TimeoutError, Exception):  # a server that will not shut down is abandoned, not waited on
            pass

    async def __aexit__(self, *exc: object) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            self._client = None
            await self._close(stack)
