"""Tools from Python callables with type hints, composable toolsets, MCP toolsets."""

from ._tool import Tool, ToolResult, ToolStatus, parse_docstring, tool
from ._toolset import Toolset, combine

__all__ = ["Tool", "ToolResult", "ToolStatus", "Toolset", "combine", "parse_docstring", "tool"]
