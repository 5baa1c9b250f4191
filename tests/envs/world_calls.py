"""Calling a world's tools from tests: the result, the value of a call that must succeed,
or the message of one that must fail (after checking it changed nothing)."""

from __future__ import annotations

import asyncio
from typing import Any

from rollyard.envs import Environment
from rollyard.tools import ToolResult


def call(world: Environment, tool: str, **args: Any) -> ToolResult:
    return asyncio.run(world.toolset.call("t1", tool, args))


def ok(world: Environment, tool: str, **args: Any) -> Any:
    result = call(world, tool, **args)
    assert result.status == "ok", result.content
    return result.value


def error(world: Environment, tool: str, **args: Any) -> str:
    """The message of a call that must fail, after checking it changed nothing."""
    before = world.state()
    result = call(world, tool, **args)
    assert result.status == "error", result.content
    assert world.state() == before
    return result.content


def assert_tools_documented(world: Environment) -> None:
    """Every tool and every argument has a description a model can read."""
    for tool in world.toolset.tools:
        assert tool.description and tool.description != tool.name
        for name, schema in tool.parameters.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"
