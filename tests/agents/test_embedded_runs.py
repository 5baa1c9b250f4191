"""The same strategies end to end on the embedded model: success is not required, but
no crash, a clean status, and every call accounted for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rollyard.agents import Budget, make_strategy
from rollyard.models import EmbeddedModel
from rollyard.tools.examples import calculator, notes

pytestmark = pytest.mark.embedded

CLEAN = {"success", "budget_exceeded", "loop_detected", "max_steps", "parse_error"}

# Kept short (two or three model calls of at most 64 tokens each): the embedded model
# runs on the CPU, and under its grammar every call is still a few seconds.
OPTIONS: dict[str, dict[str, Any]] = {
    "react": {"max_steps": 2},
    "rewoo": {},
    "compiler": {"max_replans": 0},
    "dfsdt": {"max_nodes": 2, "max_depth": 2},
    "astar": {"max_nodes": 2, "max_depth": 2},
}


@pytest.mark.parametrize("strategy", list(OPTIONS))
def test_strategy_on_the_embedded_model(embedded: EmbeddedModel, strategy: str) -> None:
    agent = make_strategy(
        strategy,
        embedded,
        calculator(),
        Budget(max_requests=3, max_seconds=120),
        max_tokens=64,
        temperature=0.0,
        **OPTIONS[strategy],
    )
    result = asyncio.run(agent.run("Add 2 and 3, and multiply 4 by 5."))
    assert result.status in CLEAN, result.reason
    llm_steps = [s for s in result.steps if s.kind == "llm"]
    assert result.llm_calls == len(llm_steps) >= 1
    assert result.prompt_tokens == sum(s.detail["prompt_tokens"] for s in llm_steps) > 0
    assert result.completion_tokens == sum(s.detail["completion_tokens"] for s in llm_steps) > 0
    assert result.tool_calls == sum(1 for s in result.steps if s.kind == "tool")
    if result.dag is not None:
        ran = [n for n in result.dag if n.started is not None]
        assert len(ran) == result.tool_calls


def test_tree_search_on_a_stateful_toolset(embedded: EmbeddedModel) -> None:
    memo = notes()
    agent = make_strategy("dfsdt", embedded, memo, Budget(max_requests=2), max_tokens=64, max_nodes=2, max_depth=2)
    result = asyncio.run(agent.run("Write a note titled 'todo' that says 'buy milk'."))
    assert result.status in CLEAN, result.reason
    assert result.tree is not None and len(result.tree) - 1 == result.llm_calls
