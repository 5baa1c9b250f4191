"""Toolsets: named collections of tools that compose (combine, filter, prefix, rename)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..wire import ToolSpec
from ._tool import Tool, ToolResult


class Toolset:
    """A set of tools with unique names. ``snapshot`` / ``restore`` let tree-search
    strategies put a stateful toolset back to an earlier node (the default: stateless)."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.add(item)

    def add(self, item: Tool | Callable[..., Any]) -> Tool:
        tool = item if isinstance(item, Tool) else Tool.from_function(item)
        if tool.name in self._tools:
            raise ValueError(f"two tools are named {tool.name!r}")
        self._tools[tool.name] = tool
        return tool

    @property
    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def specs(self) -> list[ToolSpec]:
        """What a model is offered."""
        return [t.spec() for t in self._tools.values()]

    async def call(self, call_id: str, name: str, arguments: str | dict[str, Any]) -> ToolResult:
        tool = self.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return ToolResult(call_id, name, "unknown_tool", f"no tool named {name!r}; tools: {known}")
        return await tool.call(call_id, arguments)

    # ---- state hooks for tree search ----

    def snapshot(self) -> Any:
        """State to come back to (None: nothing to restore)."""
        return None

    def restore(self, state: Any) -> None:
        """Put the toolset back to ``state`` from ``snapshot``."""

    # ---- composition ----

    def __add__(self, other: Toolset) -> Toolset:
        return combine(self, other)

    def filter(self, keep: Callable[[Tool], bool] | Sequence[str]) -> Toolset:
        """Only the tools ``keep`` accepts (a predicate, or a list of names)."""
        test = keep if callable(keep) else (lambda t, names=set(keep): t.name in names)
        return _Derived(self, [t for t in self.tools if test(t)])

    def prefixed(self, prefix: str) -> Toolset:
        """Every tool renamed ``{prefix}{name}`` (to combine toolsets whose names clash)."""
        return _Derived(self, [dataclasses.replace(t, name=f"{prefix}{t.name}") for t in self.tools])

    def renamed(self, names: dict[str, str]) -> Toolset:
        return _Derived(self, [dataclasses.replace(t, name=names.get(t.name, t.name)) for t in self.tools])


class _Derived(Toolset):
    """A view of another toolset: state hooks go to the source."""

    def __init__(self, source: Toolset, tools: list[Tool]) -> None:
        super().__init__(tools)
        self._source = source

    def snapshot(self) -> Any:
        return self._source.snapshot()

    def restore(self, state: Any) -> None:
        self._source.restore(state)


class _Combined(Toolset):
    def __init__(self, parts: Sequence[Toolset]) -> None:
        super().__init__([t for part in parts for t in part.tools])
        self._parts = list(parts)

    def snapshot(self) -> Any:
        return [part.snapshot() for part in self._parts]

    def restore(self, state: Any) -> None:
        for part, value in zip(self._parts, state, strict=True):
            part.restore(value)


def combine(*toolsets: Toolset) -> Toolset:
    """One toolset of several (tool names must not clash: use ``prefixed``)."""
    return _Combined(toolsets)
