"""The same strategies end to end on the embedded model: success is not required, but
no crash, a clean status, and every call accounted for."""

from __future__ import annotations

import asyncio

import pytest

from rollyard.agents import Budget, LLMCompiler, ReAct
from rollyard.models import EmbeddedModel
from rollyard.tools.examples import calculator

pytestmark = pytest.mark.embedded

CLEAN = {"success", "budget_exceeded", "loop_detected", "max_steps", "parse_error"}


def test_react_on_the_embedded_model(embedded: EmbeddedModel) -> None:
    result = asyncio.run(
        ReAct(embedded, calculator(), Budget(max_requests=3), max_tokens=64, max_steps=3).run("What is 6 times 7?")
    )
    assert result.status in CLEAN, result.reason
    assert result.llm_calls == sum(1 for s in result.steps if s.kind == "llm") >= 1
    assert result.tool_calls == sum(1 for s in result.steps if s.kind == "tool")
    assert result.prompt_tokens > 0 and result.completion_tokens > 0


def test_compiler_on_the_embedded_model(embedded: EmbeddedModel) -> None:
    result = asyncio.run(
        LLMCompiler(embedded, calculator(), Budget(max_requests=4), max_tokens=96, max_replans=1).run(
            "Add 2 and 3, and multiply 4 by 5."
        )
    )
    assert result.status in CLEAN, result.reason
    assert result.llm_calls >= 1 and result.prompt_tokens > 0
    assert result.tool_calls == sum(1 for s in result.steps if s.kind == "tool")
