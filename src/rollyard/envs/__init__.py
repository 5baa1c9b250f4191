"""Environments: stateful tool worlds with reset, snapshot/restore, state and diff."""

from ._base import Environment, SQLiteWorld, ToolError, world_tool
from ._diff import Row, State, StateDiff, diff_states
from ._registry import WORLDS, make_world

__all__ = [
    "WORLDS",
    "Environment",
    "Row",
    "SQLiteWorld",
    "State",
    "StateDiff",
    "ToolError",
    "diff_states",
    "make_world",
    "world_tool",
]
