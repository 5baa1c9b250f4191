"""Strategies by name, for the CLI and benchmarks."""

from __future__ import annotations

from typing import Any

from ..models import Model
from ..tools import Toolset
from ._compiler import LLMCompiler
from ._react import ReAct
from ._rewoo import ReWOO
from ._run import Budget, Strategy
from ._search import DFSDT, AStar

STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in (ReAct, ReWOO, LLMCompiler, DFSDT, AStar)}
"""``react``, ``rewoo``, ``compiler``, ``dfsdt``, ``astar``."""


def make_strategy(name: str, model: Model, toolset: Toolset, budget: Budget | None = None, **options: Any) -> Strategy:
    """The strategy called ``name`` over ``model`` and ``toolset`` (options go to its class)."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"no strategy {name!r}; choose from {', '.join(STRATEGIES)}") from None
    return cls(model, toolset, budget, **options)
