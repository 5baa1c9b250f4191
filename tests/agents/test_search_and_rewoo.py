"""ReWOO, DFSDT and A* on designed tasks with the scripted model double."""

from __future__ import annotations

import asyncio
from typing import Any

from rollyard.agents import DFSDT, AStar, ReWOO, SearchNode, make_strategy
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.tools import Tool, Toolset
from rollyard.tools.examples import calculator, notes
from rollyard.wire import Request, ToolResultPart
from tests.agents.test_strategies import Recorder, planner_and_joiner


def results_in(request: Request) -> list[str]:
    return [p.text for m in request.messages for p in m.parts if isinstance(p, ToolResultPart)]


def tried_before(request: Request) -> bool:
    return any("Already tried" in m.text for m in request.messages)


def test_rewoo_plans_executes_in_order_and_solves_once() -> None:
    rec = Recorder()
    plan = {"steps": [
        {"id": 1, "tool": "lookup", "args": {"city": "Paris"}},
        {"id": 2, "tool": "lookup", "args": {"city": "Tokyo"}},
        {"id": 3, "tool": "combine", "args": {"a": "#E1", "b": {"$ref": 2}}},
    ]}  # fmt: skip
    model = ScriptedModel(planner_and_joiner(plan, ["16 million"]))
    result = asyncio.run(ReWOO(model, rec.toolset()).run("Total population?"))
    assert (result.status, result.answer, result.llm_calls, result.tool_calls) == ("success", "16 million", 2, 3)
    assert rec.received["combine"] == ({"city": "Paris", "population": 2}, {"city": "Tokyo", "population": 14})
    assert [s.name for s in result.steps] == ["plan", "lookup", "lookup", "combine", "solve"]
    # The worker runs the plan in order, one step at a time.
    assert rec.spans["lookup:Paris"][1] <= rec.spans["lookup:Tokyo"][0]
    solver_prompt = model.requests[-1].messages[-1].text
    assert "#3 combine" in solver_prompt and "-> 16" in solver_prompt
    assert model.requests[0].tool_choice is not None and model.requests[0].tool_choice.name == "plan"


def test_rewoo_reads_a_plan_written_as_json_in_text() -> None:
    rec = Recorder()
    text = 'Sure! Plan:\n```json\n[{"id": "1", "tool": "add", "args": {"a": 2, "b": 3}}, {"tool": "add", "args": {"a": "$1", "b": 10}}]\n```'
    replies = iter([text, "15"])
    model = ScriptedModel(lambda request: next(replies))
    result = asyncio.run(ReWOO(model, rec.toolset()).run("(2 + 3) + 10?"))
    assert (result.status, result.answer, result.tool_calls) == ("success", "15", 2)
    assert result.dag is not None and [n.result.value for n in result.dag if n.result] == [5, 15]


def test_rewoo_unreadable_plan_is_a_parse_error_not_an_exception() -> None:
    model = ScriptedModel(["I would rather not plan."])
    result = asyncio.run(ReWOO(model, Recorder().toolset()).run("t"))
    assert result.status == "parse_error" and result.tool_calls == 0 and result.llm_calls == 1
    assert [s.status for s in result.steps if s.kind == "plan"] == ["parse_error"]


def test_dfsdt_backtracks_and_restores_tool_state() -> None:
    memo = notes()

    def reply(request: Request) -> Any:
        seen = results_in(request)
        if seen and seen[-1].startswith("["):
            return ScriptedCall("finish", {"answer": f"notes now: {seen[-1]}"})
        if seen == ["saved 'a'"]:
            return ScriptedCall("finish", {"answer": "", "give_up": True})
        if seen == ["saved 'b'"]:
            return ScriptedCall("list_notes", {})
        if tried_before(request):
            return ScriptedCall("write_note", {"title": "b", "text": "good"})
        return ScriptedCall("write_note", {"title": "a", "text": "bad"})

    model = ScriptedModel(reply)
    search = DFSDT(model, memo, max_depth=4)
    result = asyncio.run(search.run("Write the right note."))
    assert (result.status, result.answer) == ("success", 'notes now: ["b"]')
    # Branch "a" was abandoned: list_notes on branch "b" did not see it, nor does the end state.
    assert memo.notes == {"b": "good"}
    tools = [(s.name, s.detail["arguments"]) for s in result.steps if s.kind == "tool"]
    assert [name for name, _ in tools] == ["write_note", "write_note", "list_notes"]
    assert result.tree is not None
    assert [(n.id, n.parent, n.status) for n in result.tree] == [
        (0, None, "open"),
        (1, 0, "failed"),  # wrote "a", then gave up there
        (2, 1, "gave_up"),
        (3, 0, "open"),
        (4, 3, "open"),
        (5, 4, "answer"),
    ]
    assert all(r.tool_choice is not None and r.tool_choice.mode == "required" for r in model.requests)


def _detour_task() -> Any:
    def reply(request: Request) -> Any:
        seen = results_in(request)
        if seen == ["7.0"]:
            return ScriptedCall("finish", {"answer": "seven"})
        if seen == ["2.0"]:
            return ScriptedCall("finish", {"answer": "", "give_up": True})
        if tried_before(request):
            return ScriptedCall("add", {"a": 3, "b": 4})
        return ScriptedCall("evaluate", {"expression": "1 + 1"})  # works, but is a detour

    return reply


def test_astar_expands_the_cheapest_node_first_and_dfsdt_goes_deep() -> None:
    def detours_cost_more(node: SearchNode) -> float:
        return 5.0 if node.call is not None and node.call.name == "evaluate" else 0.0

    astar = asyncio.run(AStar(ScriptedModel(_detour_task()), calculator(), heuristic=detours_cost_more).run("3 + 4?"))
    dfsdt = asyncio.run(DFSDT(ScriptedModel(_detour_task()), calculator()).run("3 + 4?"))
    for result in (astar, dfsdt):
        assert (result.status, result.answer) == ("success", "seven")
        assert result.tree is not None and result.tree[1].call is not None
        assert result.tree[1].call.name == "evaluate"
    assert astar.tree is not None and dfsdt.tree is not None
    assert (astar.tree[1].tries, astar.tree[1].h, astar.tree[1].g) == (0, 5.0, 1.0)  # never expanded: too costly
    assert dfsdt.tree[1].tries == 1 and dfsdt.tree[1].status == "failed"  # went deep, gave up, backtracked
    assert (astar.llm_calls, dfsdt.llm_calls) == (3, 4)


def test_astar_with_the_model_as_heuristic() -> None:
    task = _detour_task()

    def reply(request: Request) -> Any:
        if any(t.name == "estimate" for t in request.tools):
            return ScriptedCall("estimate", {"remaining_calls": 9 if "2.0" in results_in(request) else 1})
        return task(request)

    result = asyncio.run(AStar(ScriptedModel(reply), calculator(), heuristic="model").run("3 + 4?"))
    assert (result.status, result.answer) == ("success", "seven")
    assert result.tree is not None and result.tree[1].h == 9.0 and result.tree[1].tries == 0
    assert [s.name.split()[0] for s in result.steps if s.kind == "llm"].count("estimate") == 3


def test_tree_search_stops_at_the_node_budget_or_when_every_branch_fails() -> None:
    counter = iter(range(100))
    model = ScriptedModel(lambda request: ScriptedCall("add", {"a": next(counter), "b": 1}))
    capped = asyncio.run(DFSDT(model, calculator(), max_nodes=5, max_depth=10).run("never ends"))
    assert capped.status == "max_steps" and "node budget of 5" in (capped.reason or "")
    assert (capped.llm_calls, capped.tool_calls) == (5, 5)

    hopeless = ScriptedModel(lambda request: ScriptedCall("finish", {"answer": "", "give_up": True}))
    failed = asyncio.run(AStar(hopeless, calculator()).run("impossible"))
    assert failed.status == "max_steps" and "every branch failed" in (failed.reason or "")


def test_tree_search_pauses_for_approval_and_resumes() -> None:
    removed: list[str] = []

    def remove(path: str) -> str:
        """Remove a file."""
        removed.append(path)
        return f"removed {path}"

    def reply(request: Request) -> Any:
        seen = results_in(request)
        if seen and seen[-1].startswith("removed"):
            return ScriptedCall("finish", {"answer": "done"})
        if tried_before(request):
            return ScriptedCall("finish", {"answer": "could not remove it"})
        return ScriptedCall("remove", {"path": "/tmp/x"}, id="rm1")

    tools = Toolset([Tool.from_function(remove, requires_approval=True)])
    for approve, answer in ((True, "done"), (False, "could not remove it")):
        search = make_strategy("dfsdt", ScriptedModel(reply), tools)
        paused = asyncio.run(search.run("remove /tmp/x"))
        assert paused.status == "awaiting_approval" and [p.call_id for p in paused.pending_approvals] == ["rm1"]
        assert removed == [] if approve else removed == ["/tmp/x"]
        finished = asyncio.run(search.resume(paused, {"rm1": approve}))
        assert (finished.status, finished.answer) == ("success", answer)
    assert removed == ["/tmp/x"]


def test_tree_search_counts_loops_along_one_path_not_across_branches() -> None:
    def reply(request: Request) -> Any:
        if len(results_in(request)) == 1 and not tried_before(request):
            return ScriptedCall("finish", {"answer": "", "give_up": True})
        return ScriptedCall("add", {"a": 1, "b": 1})

    # Three branches each call add(1, 1) once: no loop, every branch gives up.
    branches = asyncio.run(DFSDT(ScriptedModel(reply), calculator(), width=3).run("t"))
    assert branches.status == "max_steps" and branches.tool_calls == 3

    looping = ScriptedModel(lambda request: ScriptedCall("add", {"a": 1, "b": 1}))
    path = asyncio.run(DFSDT(looping, calculator(), max_depth=5).run("t"))
    assert path.status == "loop_detected" and path.tool_calls == 2
