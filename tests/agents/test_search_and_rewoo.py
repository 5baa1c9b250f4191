"""ReWOO, DFSDT and A* on designed tasks with the scripted model double."""

from __future__ import annotations

import asyncio
from typing import Any

from rollyard.agents import ReWOO, SearchNode, TreeSearch
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.tools.examples import calculator, notes
from rollyard.wire import Request, ToolResultPart
from tests.agents.test_strategies import Recorder, planner_and_joiner


def test_rewoo_plans_executes_and_solves_once() -> None:
    rec = Recorder()
    plan = {"steps": [
        {"id": 1, "tool": "lookup", "args": {"city": "Paris"}},
        {"id": 2, "tool": "lookup", "args": {"city": "Tokyo"}},
        {"id": 3, "tool": "combine", "args": {"a": "#E1", "b": {"$ref": 2}}},
    ]}  # fmt: skip
    model = ScriptedModel(planner_and_joiner(plan, ["16 million"]))
    result = asyncio.run(ReWOO(model, rec.toolset()).run("Total population?"))
    assert (result.status, result.answer, result.llm_calls, result.tool_calls) == ("success", "16 million", 2, 3)
    assert rec.received["combine"][0] == {"city": "Paris", "population": 2}
    solver_prompt = model.requests[-1].messages[-1].text
    assert "#E3 = combine" in solver_prompt and "-> 16" in solver_prompt


def _texts(request: Request) -> str:
    return "\n".join(m.text for m in request.messages) + "\n".join(
        p.text for m in request.messages for p in m.parts if isinstance(p, ToolResultPart)
    )


def test_dfsdt_backtracks_and_restores_tool_state() -> None:
    memo = notes()

    def reply(request: Request) -> Any:
        seen = _texts(request)
        if "saved 'b'" in seen:
            return "done: note b written"
        if "saved 'a'" in seen:
            return ScriptedCall("give_up", {"reason": "wrong note"})
        if "Already tried" in seen:
            return ScriptedCall("write_note", {"title": "b", "text": "good"})
        return ScriptedCall("write_note", {"title": "a", "text": "bad"})

    search = TreeSearch(ScriptedModel(reply), memo, order="dfs", branching=2)
    result = asyncio.run(search.run("Write the right note."))
    assert (result.status, result.answer) == ("success", "done: note b written")
    # Branch "a" was abandoned; its side effect is gone from the state the answer came from.
    assert memo.notes == {"b": "good"}
    statuses = [n.status for n in search.nodes.values()]
    assert statuses.count("failed") == 2 and statuses.count("answer") == 1


def test_astar_expands_the_cheapest_node_first() -> None:
    def reply(request: Request) -> Any:
        seen = _texts(request)
        if "7.0" in seen:
            return "seven"
        if "2.0" in seen:
            return ScriptedCall("give_up", {"reason": "a detour"})
        if "Already tried" in seen:
            return ScriptedCall("add", {"a": 3, "b": 4})
        return ScriptedCall("evaluate", {"expression": "1 + 1"})  # works, but is a detour

    def detours_cost_more(node: SearchNode) -> float:
        return 5.0 if "evaluate" in node.action else 0.0

    for order, detour_expanded in (("astar", False), ("dfs", True)):
        search = TreeSearch(
            ScriptedModel(reply),
            calculator(),
            order=order,
            branching=2,
            heuristic=detours_cost_more,  # type: ignore[arg-type]
        )
        result = asyncio.run(search.run("What is 3 + 4?"))
        assert (result.status, result.answer) == ("success", "seven"), order
        detour = search.nodes[search.nodes[0].children[0]]
        assert "evaluate" in detour.action
        assert (detour.status == "expanded") is detour_expanded, order


def test_search_stops_at_the_node_budget() -> None:
    model = ScriptedModel(lambda request: ScriptedCall("give_up", {"reason": "never"}))
    result = asyncio.run(TreeSearch(model, calculator(), max_nodes=5).run("impossible"))
    assert result.status == "max_steps" and "5 nodes" in (result.reason or "")
