"""Every built-in task, through the eval runner (ReAct on a model double that plays the
task's call sequence): the reference passes its contract and answer checks, the wrong
sequence fails. The suite's coverage is what the issue asks for."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from rollyard.envs import WORLDS
from rollyard.evals import AgentSettings, EvalCase, Task, load_suite, load_tasks, run_case

TASKS = load_tasks("builtin")


def _run(task: Task, which: str) -> object:
    case = EvalCase(task.id, "builtin", task=task)
    model = task.solution_model(which)  # type: ignore[arg-type]
    return asyncio.run(run_case(case, "react", model, "double", AgentSettings()))


def test_suite_covers_every_world_level_and_kind_of_task() -> None:
    assert len(TASKS) >= 40
    assert {t.world for t in TASKS} == set(WORLDS)
    assert Counter(t.level for t in TASKS).keys() == {"single", "multi", "long"}
    for world in WORLDS:
        mine = [t for t in TASKS if t.world == world]
        assert sum(bool(t.answer and t.answer.must_ask) for t in mine) >= 2, world
        no_change = [t for t in mine if not t.reference or all(_read_only(t, c.tool) for c in t.reference)]
        assert no_change, f"{world} has no task whose right outcome is no change"
    assert all(t.contract.get("closed_world") for t in TASKS)


def _read_only(task: Task, tool: str) -> bool:
    return tool.startswith(("list_", "get_", "read_", "search_", "view_", "find_", "lookup_", "file_info", "ask_user"))


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_reference_passes_and_wrong_fails_through_the_runner(task: Task) -> None:
    good = _run(task, "reference")
    assert good.success, (good.reason, good.change)  # type: ignore[attr-defined]
    assert good.score == 1.0 and good.tool_calls == len(task.reference)  # type: ignore[attr-defined]
    bad = _run(task, "wrong")
    assert not bad.success and bad.failures, bad.change  # type: ignore[attr-defined]


def test_load_suite_limit_and_bad_paths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert [c.id for c in load_suite("builtin", limit=3)] == [t.id for t in TASKS[:3]]
    from rollyard.evals import TaskError

    with pytest.raises(TaskError, match="no such task file"):
        load_suite(str(tmp_path / "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: x\n  world: files\n  instruction: hi\n  contract: {assertions: []}\n  reference: []\n")
    with pytest.raises(TaskError, match=r"broken.yaml\[0\].wrong"):
        load_suite(str(broken))
    unparsable = tmp_path / "unparsable.yaml"
    unparsable.write_text("- id: [x\n")
    with pytest.raises(TaskError, match=r"unparsable\.yaml: cannot read the task file"):
        load_suite(str(unparsable))


def test_unquoted_dates_in_a_task_file_stay_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rollyard.evals import load_tasks as load

    path = tmp_path / "dated.yaml"
    path.write_text(
        "id: dated\nworld: calendar\ninstruction: Book it on 2026-03-04.\n"
        "contract: {assertions: [{diff_type: added, entity: events, where: {start: 2026-03-04 09:00:00}}]}\n"
        "reference: [{tool: create_event, args: {start: 2026-03-04 09:00:00}}]\nwrong: []\n"
    )
    (task,) = load(path)
    assert task.reference[0].args == {"start": "2026-03-04 09:00:00"}
