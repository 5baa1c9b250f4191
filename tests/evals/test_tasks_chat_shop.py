"""The built-in chat and shop tasks: each reference passes its contract, each wrong sequence fails it.

The call sequences are replayed straight through the world's toolset (plus ``ask_user``), with no
agent in between, so a failure here is a fault in the task, its contract or its world.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Literal

import pytest

from rollyard.envs import make_world
from rollyard.evals._contracts import check_contract
from rollyard.evals._tasks import ScriptedUser, Task, load_tasks, task_toolset

TASKS = [t for t in load_tasks("builtin") if t.world in ("chat", "shop")]
BY_ID = {t.id: t for t in TASKS}


def _replay(task: Task, which: Literal["reference", "wrong"]) -> tuple[dict[str, object], int, list[str]]:
    """Play a call sequence on a fresh world: (the diff, how often the user was asked, failed calls)."""
    world = make_world(task.world, task.seed)
    user = ScriptedUser(task.user)
    tools = task_toolset(world.toolset, user)
    before = world.state()
    failed: list[str] = []

    async def play() -> None:
        for index, call in enumerate(task.reference if which == "reference" else task.wrong):
            result = await tools.call(f"c{index}", call.tool, call.args)
            if result.status != "ok":
                failed.append(f"{index} {call.tool}: {result.status}: {result.content}")

    try:
        asyncio.run(play())
        return world.diff(before, world.state()).to_dict(), len(user.questions), failed
    finally:
        world.close()


@pytest.mark.parametrize("task_id", sorted(BY_ID))
def test_reference_passes_its_contract(task_id: str) -> None:
    task = BY_ID[task_id]
    diff, asked, failed = _replay(task, "reference")
    assert not failed, f"reference calls failed: {failed}"
    verdict = check_contract(task.contract, diff)
    assert verdict.passed, verdict.failures
    if task.answer is not None:
        assert task.answer.failures(task.reference_answer, asked) == []


@pytest.mark.parametrize("task_id", sorted(BY_ID))
def test_wrong_fails_its_contract(task_id: str) -> None:
    task = BY_ID[task_id]
    diff, _, _ = _replay(task, "wrong")
    verdict = check_contract(task.contract, diff)
    assert not verdict.passed, "the wrong sequence satisfies the contract"


@pytest.mark.parametrize("world", ["chat", "shop"])
def test_coverage_per_world(world: str) -> None:
    tasks = [t for t in TASKS if t.world == world]
    assert len(tasks) >= 10
    assert all(t.id.startswith(f"{world}-") for t in tasks)
    levels = Counter(t.level for t in tasks)
    assert levels["single"] >= 2 and levels["multi"] >= 3 and levels["long"] >= 2, levels
    must_ask = [t for t in tasks if t.answer is not None and t.answer.must_ask]
    assert len(must_ask) >= 2
    for task in must_ask:
        assert task.user is not None and task.user.replies, task.id
        assert any(c.tool == "ask_user" for c in task.reference), task.id
        assert all(c.tool != "ask_user" for c in task.wrong), task.id  # the mistake is acting without asking
    no_change = [t for t in tasks if any(a["diff_type"] == "unchanged" for a in t.contract["assertions"])]
    assert no_change
    for task in no_change:
        diff, _, _ = _replay(task, "reference")
        assert diff == {"inserts": [], "updates": [], "deletes": []}, task.id
    assert any("irreversible" in t.tags for t in tasks)
    assert all(t.contract.get("closed_world") is True for t in tasks)


@pytest.mark.parametrize("task_id", sorted(BY_ID))
def test_levels_match_the_reference_length(task_id: str) -> None:
    task = BY_ID[task_id]
    calls = len(task.reference)
    expected = "single" if calls == 1 else "multi" if calls <= 6 else "long"
    assert task.level == expected, f"{calls} reference calls"
    # ReAct's default of 10 steps leaves room for 9 calls and the final answer.
    assert calls <= 9 and len(task.wrong) <= 9
