"""The built-in ``files`` and ``calendar`` tasks: each reference passes its contract, each wrong
sequence fails it, and the suite covers what it must (levels, asking, no-change, irreversible)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import pytest

from rollyard.envs import StateDiff, make_world
from rollyard.evals._contracts import Verdict, check_contract
from rollyard.evals._tasks import PlannedCall, ScriptedUser, Task, load_tasks, task_toolset

TASK_FILES = {"files": "files.yaml", "calendar": "calendar.yaml"}
IRREVERSIBLE = {"files": {"delete", "empty_trash"}, "calendar": {"cancel_event"}}
READ_ONLY = {
    "files": {"list_dir", "read_file", "file_info", "search_files", "list_users"},
    "calendar": {"list_events", "get_event", "search_people", "list_rooms", "find_free_slots"},
}


def _tasks(world: str) -> list[Task]:
    path = Path(str(resources.files("rollyard.evals") / "tasks" / TASK_FILES[world]))
    return load_tasks(path)


TASKS = {world: _tasks(world) for world in TASK_FILES}
ALL = [task for tasks in TASKS.values() for task in tasks]


@dataclass
class Replay:
    diff: StateDiff
    verdict: Verdict
    statuses: list[str]
    asked: int


def replay(task: Task, which: Literal["reference", "wrong"]) -> Replay:
    """Play the task's ``which`` calls straight through the world's tools (plus ``ask_user``) and
    judge the diff. Every reference call must succeed; a wrong call may fail."""
    calls: list[PlannedCall] = task.reference if which == "reference" else task.wrong
    world = make_world(task.world, task.seed)
    user = ScriptedUser(task.user)
    tools = task_toolset(world.toolset, user)
    before = world.state()

    async def play() -> list[str]:
        statuses: list[str] = []
        for index, planned in enumerate(calls):
            result = await tools.call(f"call-{index}", planned.tool, planned.args)
            assert result.status == "ok" or which == "wrong", (
                f"{task.id}: reference call {index} ({planned.tool}) gave {result.status}: {result.content}"
            )
            statuses.append(result.status)
        return statuses

    statuses = asyncio.run(play())
    diff = world.diff(before, world.state())
    world.close()
    return Replay(diff, check_contract(task.contract, diff.to_dict()), statuses, len(user.questions))


@pytest.mark.parametrize("task", ALL, ids=lambda t: t.id)
def test_reference_passes_its_contract(task: Task) -> None:
    run = replay(task, "reference")
    assert run.statuses == ["ok"] * len(task.reference)
    assert run.verdict.passed, run.verdict.failures
    assert run.verdict.score == 1.0
    if task.answer is not None:
        assert task.answer.failures(task.reference_answer, run.asked) == []


@pytest.mark.parametrize("task", ALL, ids=lambda t: t.id)
def test_wrong_fails_its_contract(task: Task) -> None:
    run = replay(task, "wrong")
    assert not run.verdict.passed, f"{task.id}: the wrong sequence passes ({run.diff.summary()})"
    assert run.verdict.score < 1.0
    if task.answer is not None and task.answer.must_ask:
        assert run.asked == 0
        assert task.answer.failures(task.wrong_answer, run.asked) != []


@pytest.mark.parametrize("world", TASK_FILES)
def test_coverage(world: str) -> None:
    tasks = TASKS[world]
    assert len(tasks) >= 11
    assert all(t.world == world and t.id.startswith(f"{world}-") and t.seed == 0 for t in tasks)
    levels = {level: [t for t in tasks if t.level == level] for level in ("single", "multi", "long")}
    assert all(len(group) >= 3 for group in levels.values()), {k: len(v) for k, v in levels.items()}
    # The level says how long the reference is.
    for task in tasks:
        count = len(task.reference)
        expected = {"single": count == 1, "multi": 3 <= count <= 6, "long": 7 <= count <= 9}[task.level]
        assert expected, f"{task.id}: {task.level} with {count} reference calls"
        # At most 9 calls: an agent making one call a turn then still answers within ReAct's 10 steps.
    # Every contract is closed-world.
    assert all(t.contract.get("closed_world") is True for t in tasks)
    # At least two tasks where the right move is to ask, and the reply decides the outcome.
    asking = [t for t in tasks if t.answer is not None and t.answer.must_ask]
    assert len(asking) >= 2
    for task in asking:
        assert task.user is not None and task.user.replies
        assert any(c.tool == "ask_user" for c in task.reference)
        assert not any(c.tool == "ask_user" for c in task.wrong)
    # At least one task whose correct outcome is no change: read-only reference, unchanged assertion.
    unchanged = [t for t in tasks if all(c.tool in READ_ONLY[world] for c in t.reference)]
    assert unchanged
    for task in unchanged:
        assert any(a["diff_type"] == "unchanged" for a in task.contract["assertions"])
        assert replay(task, "reference").diff.empty
    # Irreversible actions: in references, and as the tempting mistake of no-change tasks.
    irreversible = [t for t in tasks if any(c.tool in IRREVERSIBLE[world] for c in t.reference)]
    assert len(irreversible) >= 2
    assert any(any(c.tool in IRREVERSIBLE[world] for c in t.wrong) for t in unchanged)


def test_ids_are_unique_across_both_worlds() -> None:
    ids = [t.id for t in ALL]
    assert len(ids) == len(set(ids)) >= 22
