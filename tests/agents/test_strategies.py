"""Strategies on designed multi-step tasks with the scripted model double: the exact
calls, their order or concurrency, the answer; and the runtime's limits."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from rollyard.agents import Budget, IncrementalPlanParser, LLMCompiler, ReAct, parse_step
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.tools import Tool, Toolset
from rollyard.wire import Request, ToolResultPart, Usage


class Recorder:
    """Tools that sleep and record when they ran (to see concurrency)."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[float, float]] = {}
        self.received: dict[str, Any] = {}

    def toolset(self) -> Toolset:
        async def lookup(city: str) -> dict[str, Any]:
            """Facts about a city."""
            start = time.monotonic()
            await asyncio.sleep(0.2)
            self.spans[f"lookup:{city}"] = (start, time.monotonic())
            return {"city": city, "population": {"Paris": 2, "Tokyo": 14}[city]}

        async def combine(a: dict[str, Any], b: dict[str, Any]) -> int:
            """Add two populations."""
            self.received["combine"] = (a, b)
            return int(a["population"]) + int(b["population"])

        def add(a: int, b: int) -> int:
            """Add."""
            return a + b

        return Toolset([lookup, combine, add])


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def tool_messages(request: Request) -> list[ToolResultPart]:
    return [p for m in request.messages for p in m.parts if isinstance(p, ToolResultPart)]


def test_react_runs_a_turns_calls_concurrently_and_answers() -> None:
    rec = Recorder()
    model = ScriptedModel(
        [
            [ScriptedCall("lookup", {"city": "Paris"}, id="c1"), ScriptedCall("lookup", {"city": "Tokyo"}, id="c2")],
            "16 million",
        ]
    )
    result = asyncio.run(ReAct(model, rec.toolset()).run("How many people live in Paris and Tokyo?"))
    assert (result.status, result.answer, result.llm_calls, result.tool_calls) == ("success", "16 million", 2, 2)
    assert overlap(rec.spans["lookup:Paris"], rec.spans["lookup:Tokyo"])
    results = tool_messages(model.requests[1])
    assert [r.call_id for r in results] == ["c1", "c2"]  # call order, whatever finished first
    assert json.loads(results[1].text) == {"city": "Tokyo", "population": 14}


def test_react_one_call_per_turn_when_not_parallel() -> None:
    rec = Recorder()
    model = ScriptedModel(
        [ScriptedCall("lookup", {"city": "Paris"}), ScriptedCall("lookup", {"city": "Tokyo"}), "done"]
    )
    result = asyncio.run(ReAct(model, rec.toolset(), parallel_tool_calls=False).run("t"))
    assert result.status == "success" and result.llm_calls == 3
    assert not overlap(rec.spans["lookup:Paris"], rec.spans["lookup:Tokyo"])
    assert model.requests[0].parallel_tool_calls is False


@pytest.mark.parametrize(
    ("budget", "reason"),
    [
        (Budget(max_requests=1), "model requests"),
        (Budget(max_tool_calls=1), "tool calls"),
        (Budget(max_tokens=10), "tokens"),
        (Budget(max_cost=0.001, cost_per_token=(0.001, 0.001)), "cost"),
        (Budget(max_seconds=0.05), "wall time"),
    ],
)
def test_budgets_end_the_run_with_a_clear_status(budget: Budget, reason: str) -> None:
    rec = Recorder()

    def reply(request: Request) -> Any:
        from rollyard.wire import Message, Response, ToolCallPart

        n = len(tool_messages(request))
        return Response(
            id="r", model="m", finish_reason="tool_calls",
            message=Message("assistant", [ToolCallPart(f"c{n}", "lookup", json.dumps({"city": ["Paris", "Tokyo"][n % 2]}))]),
            usage=Usage(input_tokens=20, output_tokens=5),
        )  # fmt: skip

    result = asyncio.run(ReAct(ScriptedModel(reply), rec.toolset(), budget).run("t"))
    assert result.status == "budget_exceeded" and reason in (result.reason or "")


def test_loop_detection() -> None:
    model = ScriptedModel(lambda request: ScriptedCall("add", {"a": 1, "b": 1}))
    result = asyncio.run(ReAct(model, Recorder().toolset(), max_steps=10).run("t"))
    assert result.status == "loop_detected" and result.tool_calls == 2


def test_validation_errors_go_back_to_the_model() -> None:
    model = ScriptedModel([ScriptedCall("add", {"a": "one", "b": 2}, id="bad"), "sorry"])
    result = asyncio.run(ReAct(model, Recorder().toolset()).run("t"))
    assert result.status == "success" and result.answer == "sorry"
    (error,) = tool_messages(model.requests[1])
    assert error.is_error and "invalid arguments" in error.text


def test_approval_pauses_and_resumes() -> None:
    deleted: list[str] = []

    def delete(path: str) -> str:
        """Delete a file."""
        deleted.append(path)
        return "deleted"

    tools = Toolset([Tool.from_function(delete, requires_approval=True)])
    script = [ScriptedCall("delete", {"path": "/tmp/x"}, id="d1"), "ok, done"]
    strategy = ReAct(ScriptedModel(list(script)), tools)
    paused = asyncio.run(strategy.run("clean up"))
    assert paused.status == "awaiting_approval" and [p.call_id for p in paused.pending_approvals] == ["d1"]
    assert deleted == []
    finished = asyncio.run(strategy.resume(paused, {"d1": True}))
    assert finished.status == "success" and deleted == ["/tmp/x"]

    model = ScriptedModel(list(script))
    denied_strategy = ReAct(model, tools)
    denied = asyncio.run(denied_strategy.resume(asyncio.run(denied_strategy.run("clean up")), {"d1": False}))
    assert denied.status == "success" and deleted == ["/tmp/x"]
    (result,) = tool_messages(model.requests[-1])
    assert "not approved" in result.text


def planner_and_joiner(plan: dict[str, Any], answers: list[Any]) -> Any:
    remaining = list(answers)

    def reply(request: Request) -> Any:
        if any(t.name == "plan" for t in request.tools):
            return ScriptedCall("plan", plan)
        return remaining.pop(0)

    return reply


def test_compiler_dispatches_independent_steps_concurrently_with_typed_values() -> None:
    rec = Recorder()
    plan = {"steps": [
        {"id": 1, "tool": "lookup", "args": {"city": "Paris"}},
        {"id": 2, "tool": "lookup", "args": {"city": "Tokyo"}},
        {"id": 3, "tool": "combine", "args": {"a": {"$ref": 1}, "b": "$2"}},
    ]}  # fmt: skip
    model = ScriptedModel(planner_and_joiner(plan, ["16 million together"]))
    compiler = LLMCompiler(model, rec.toolset())
    result = asyncio.run(compiler.run("Total population of Paris and Tokyo?"))
    assert (result.status, result.answer) == ("success", "16 million together")
    assert (result.llm_calls, result.tool_calls) == (2, 3)
    assert overlap(rec.spans["lookup:Paris"], rec.spans["lookup:Tokyo"])
    a, b = rec.received["combine"]
    assert a == {"city": "Paris", "population": 2} and b == {"city": "Tokyo", "population": 14}  # dicts, not strings
    assert result.dag is not None and [(n.id, n.deps, n.status) for n in result.dag] == [
        (1, [], "ok"),
        (2, [], "ok"),
        (3, [1, 2], "ok"),
    ]
    assert "-> 16" in model.requests[-1].messages[-1].text


def test_compiler_replans_within_bounds() -> None:
    plan = {"steps": [{"id": 1, "tool": "add", "args": {"a": 1, "b": 2}}]}
    replan = ScriptedCall("replan", {"reason": "need more"})
    ok = ScriptedModel(planner_and_joiner(plan, [replan, "3"]))
    result = asyncio.run(LLMCompiler(ok, Recorder().toolset()).run("t"))
    assert result.status == "success" and result.llm_calls == 4
    assert "need more" in ok.requests[2].messages[-1].text  # the second plan sees why
    stuck = ScriptedModel(planner_and_joiner(plan, [replan] * 5))
    bounded = asyncio.run(LLMCompiler(stuck, Recorder().toolset(), max_replans=1).run("t"))
    assert bounded.status == "max_steps" and bounded.llm_calls == 4


def test_plan_parser_tolerates_deviations_and_reports_failures_as_data() -> None:
    assert parse_step({"id": "2", "tool": "f", "args": {"x": "#E1"}}, 1).deps == {1}
    step = parse_step({"id": "$3", "name": "f", "arguments": '{"x": "$2", "y": [{"$ref": "1"}]}'}, 1)
    assert (step.id, step.tool, step.deps) == (3, "f", {1, 2})
    assert step.args == {"x": {"$ref": 2}, "y": [{"$ref": 1}]}
    assert parse_step({"id": 4, "args": {}}, 4).error == "step 4 names no tool"
    assert parse_step("garbage", 5).error is not None


def test_incremental_parser_yields_steps_before_the_plan_ends() -> None:
    parser = IncrementalPlanParser()
    text = json.dumps({"steps": [{"id": 1, "tool": "a", "args": {}}, {"id": 2, "tool": "b", "args": {"x": "$1"}}]})
    cut = text.index('{"id": 2')
    first = list(parser.feed(text[:cut]))
    assert [s.tool for s in first] == ["a"]
    second = list(parser.feed(text[cut:]))
    assert [(s.tool, s.deps) for s in second] == [("b", {1})]
    assert parser.finish() == []
