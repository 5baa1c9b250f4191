"""Tools from Python callables with type hints, composable toolsets, MCP toolsets."""

from ._mcp import MCPError, MCPToolset
from ._tool import PassThroughArguments, Tool, ToolResult, ToolStatus, parse_docstring, tool
from ._toolset import Toolset, combine

__all__ = [
    "MCPError",
    "MCPToolset",
    "PassThroughArguments",
    "Tool",
    "ToolResult",
    "ToolStatus",
    "Toolset",
    "combine",
    "parse_docstring",
    "tool",
]
