"""Plans as typed data (LLMCompiler and ReWOO): streaming dispatch, references with
paths and Python objects, parse failures as data, approvals and budgets inside a plan."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rollyard.agents import Budget, LLMCompiler, ReAct, ReWOO, make_strategy
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.tools import Tool, Toolset
from rollyard.wire import MessageEnd, Request, StreamEvent
from tests.agents.test_strategies import Recorder, planner_and_joiner

POPULATION_PLAN = {"steps": [
    {"id": 1, "tool": "lookup", "args": {"city": "Paris"}},
    {"id": 2, "tool": "lookup", "args": {"city": "Tokyo"}},
    {"id": 3, "tool": "add", "args": {"a": {"$ref": 1, "path": ["population"]}, "b": "$2.population"}},
]}  # fmt: skip


class SlowStreamModel(ScriptedModel):
    """The scripted double, streaming its events 30 ms apart (a plan that takes time to arrive)."""

    stream_ended: float = 0.0

    async def stream(self, request: Request, *, chunk_chars: int = 0) -> AsyncIterator[StreamEvent]:
        async for event in super().stream(request, chunk_chars=chunk_chars):
            await asyncio.sleep(0.03)
            if isinstance(event, MessageEnd):
                self.stream_ended = time.monotonic()
            yield event


def test_compiler_starts_steps_while_the_plan_is_still_streaming() -> None:
    rec = Recorder()
    model = SlowStreamModel(planner_and_joiner(POPULATION_PLAN, ["16"]))
    result = asyncio.run(LLMCompiler(model, rec.toolset()).run("Paris + Tokyo population?"))
    assert (result.status, result.answer, result.tool_calls) == ("success", "16", 3)
    assert rec.spans["lookup:Paris"][0] < model.stream_ended  # dispatched before the plan ended
    assert result.dag is not None and [n.result.value for n in result.dag if n.result] == [
        {"city": "Paris", "population": 2},
        {"city": "Tokyo", "population": 14},
        16,  # add got two ints picked out of the dicts by path
    ]
    (plan_step,) = [s for s in result.steps if s.name == "plan"]
    assert plan_step.kind == "llm" and plan_step.detail["completion_tokens"] > 0


def test_references_pass_python_objects_not_text() -> None:
    class Box:
        def __init__(self, items: list[int]) -> None:
            self.items = items

    received: list[Any] = []

    def make_box() -> Any:
        """Make a box."""
        return Box([1, 2, 3])

    def open_box(box: Any) -> int:
        """Count what is in a box."""
        received.append(box)
        return len(box.items)

    plan = {"steps": [{"id": 1, "tool": "make_box", "args": {}}, {"id": 2, "tool": "open_box", "args": {"box": "#E1"}}]}
    for strategy in ("compiler", "rewoo"):
        received.clear()
        model = ScriptedModel(planner_and_joiner(plan, ["3 items"]))
        result = asyncio.run(make_strategy(strategy, model, Toolset([make_box, open_box])).run("count"))
        assert (result.status, result.answer) == ("success", "3 items"), strategy
        assert len(received) == 1 and isinstance(received[0], Box), strategy  # the object itself, never str(box)


def test_unreadable_steps_and_bad_references_are_reported_as_data() -> None:
    rec = Recorder()
    plan = {"steps": [
        {"id": 1, "tool": "add", "args": {"a": 1, "b": 2}},
        {"id": 2, "args": {"a": 1}},  # no tool
        {"id": 3, "tool": "add", "args": {"a": "$4", "b": 1}},  # refers to a later step
        {"id": 4, "tool": "add", "args": {"a": "$1", "b": 1}},
        {"id": 5, "tool": "add", "args": {"a": "$2", "b": 1}},  # depends on the unreadable step
        {"id": 6, "tool": "add", "args": {"a": {"$ref": 1, "path": ["nope"]}, "b": 1}},
    ]}  # fmt: skip
    model = ScriptedModel(planner_and_joiner(plan, ["partial: 3 and 4"]))
    result = asyncio.run(LLMCompiler(model, rec.toolset()).run("t"))
    assert (result.status, result.answer) == ("success", "partial: 3 and 4")
    assert result.dag is not None
    assert [(n.id, n.status) for n in result.dag] == [
        (1, "ok"),
        (2, "parse_error"),
        (3, "parse_error"),
        (4, "ok"),
        (5, "skipped"),
        (6, "error"),
    ]
    assert result.tool_calls == 2
    errors = [s.detail["error"] for s in result.steps if s.kind == "plan"]
    assert errors == ["step 2 names no tool", "step 3 refers to step(s) [4], not planned before it"]
    joiner_prompt = model.requests[-1].messages[-1].text
    assert "[parse_error]" in joiner_prompt and "[skipped]" in joiner_prompt


def test_compiler_gives_up_with_parse_error_after_bounded_replans() -> None:
    model = ScriptedModel(lambda request: "no JSON here, sorry")
    result = asyncio.run(LLMCompiler(model, Recorder().toolset(), max_replans=2).run("t"))
    assert result.status == "parse_error" and result.llm_calls == 3 and result.tool_calls == 0
    assert "could not be read" in model.requests[-1].messages[-1].text  # the replan saw why


@pytest.mark.parametrize("strategy", ["compiler", "rewoo"])
def test_plans_pause_for_approval_and_reuse_finished_steps(strategy: str) -> None:
    rec = Recorder()
    sent: list[Any] = []

    def send(report: dict[str, Any]) -> str:
        """Send a report."""
        sent.append(report)
        return "sent"

    tools = rec.toolset() + Toolset([Tool.from_function(send, requires_approval=True)])
    plan = {"steps": [
        {"id": 1, "tool": "lookup", "args": {"city": "Paris"}},
        {"id": 2, "tool": "send", "args": {"report": "$1"}},
        {"id": 3, "tool": "add", "args": {"a": 1, "b": 1}},
    ]}  # fmt: skip
    agent = make_strategy(strategy, ScriptedModel(planner_and_joiner(plan, ["reported"])), tools)
    paused = asyncio.run(agent.run("report on Paris"))
    assert paused.status == "awaiting_approval", strategy
    assert [(p.call_id, p.tool) for p in paused.pending_approvals] == [("plan0_2", "send")]
    assert json.loads(paused.pending_approvals[0].arguments) == {"report": {"city": "Paris", "population": 2}}
    assert sent == [] and paused.tool_calls == 2  # lookup and add ran; send waits
    finished = asyncio.run(agent.resume(paused, {"plan0_2": True}))
    assert (finished.status, finished.answer) == ("success", "reported"), strategy
    assert sent == [{"city": "Paris", "population": 2}]
    assert finished.tool_calls == 3  # lookup and add were not run again
    names = [s.name for s in finished.steps if s.kind == "tool"]
    assert sorted(names[:2]) == ["add", "lookup"] and names[2:] == ["send"]


def test_budgets_bind_inside_plans() -> None:
    plan = {"steps": [{"id": i, "tool": "add", "args": {"a": i, "b": 1}} for i in range(1, 5)]}
    model = ScriptedModel(planner_and_joiner(plan, ["x"]))
    result = asyncio.run(LLMCompiler(model, Recorder().toolset(), Budget(max_tool_calls=2)).run("t"))
    assert result.status == "budget_exceeded" and "tool calls reached 2" in (result.reason or "")
    assert result.tool_calls == 2

    slow = ScriptedModel(planner_and_joiner(POPULATION_PLAN, ["x"]))
    started = time.monotonic()
    timed = asyncio.run(ReWOO(slow, Recorder().toolset(), Budget(max_seconds=0.1)).run("t"))
    assert timed.status == "budget_exceeded" and "wall time" in (timed.reason or "")
    assert time.monotonic() - started < 0.19  # the 200 ms lookup was cut off, not waited for


def test_a_failing_model_ends_the_run_with_status_error() -> None:
    result = asyncio.run(ReAct(ScriptedModel([]), Recorder().toolset()).run("t"))
    assert result.status == "error" and "ScriptExhaustedError" in (result.reason or "")


def test_react_classic_mode_drops_extra_calls_from_the_history() -> None:
    model = ScriptedModel(
        [[ScriptedCall("add", {"a": 1, "b": 2}, id="a"), ScriptedCall("add", {"a": 3, "b": 4}, id="b")], "3"]
    )
    result = asyncio.run(ReAct(model, Recorder().toolset(), parallel_tool_calls=False).run("t"))
    assert (result.status, result.tool_calls) == ("success", 1)
    (assistant,) = [m for m in model.requests[1].messages if m.role == "assistant"]
    assert [c.id for c in assistant.tool_calls] == ["a"]  # no call is left without a result
