"""Multi-turn: ground-truth replays against BFCL's simulated APIs pass, replays missing a call
fail, and a run's toolset drives the same instances. Every case of the four multi-turn
categories is replayed (the whole lot takes a few seconds)."""

from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path
from typing import Any

import pytest

from rollyard.evals._bfcl_data import HOLDOUT_TURN_MESSAGE, MULTI_TURN_CATEGORIES, BFCLCase, load_bfcl
from rollyard.evals._bfcl_multi import CallSyntaxError, MultiTurnRun, check_multi_turn, parse_call
from rollyard.evals._bfcl_quirks import EARLY_CALL_QUIRKS, REPLAY_QUIRKS

EXPECTED_COUNTS = dict.fromkeys(MULTI_TURN_CATEGORIES, 200)


@pytest.fixture(scope="module")
def multi_cases(bfcl_root: Path) -> dict[str, list[BFCLCase]]:
    return {category: load_bfcl(category, root=bfcl_root) for category in MULTI_TURN_CATEGORIES}


def _case(cases: dict[str, list[BFCLCase]], case_id: str) -> BFCLCase:
    return next(c for category in cases.values() for c in category if c.id == case_id)


def test_every_case_is_replayed(multi_cases: dict[str, list[BFCLCase]]) -> None:
    assert {category: len(cases) for category, cases in multi_cases.items()} == EXPECTED_COUNTS


@pytest.mark.parametrize("category", MULTI_TURN_CATEGORIES)
def test_ground_truth_replays_pass_and_dropping_any_call_fails(
    multi_cases: dict[str, list[BFCLCase]], category: str
) -> None:
    odd: dict[str, str] = {}
    for case in multi_cases[category]:
        truth = case.turn_calls
        verdict = check_multi_turn(case, truth)
        if not verdict.passed:
            odd[case.id] = f"ground truth fails: {verdict.reason}"
            continue
        for turn, calls in enumerate(truth):
            for index, call in enumerate(calls):
                dropped = [list(c) for c in truth]
                del dropped[turn][index]
                if check_multi_turn(case, dropped).passed:
                    odd[case.id] = f"passes without turn {turn}'s {call}"
    listed = {case_id for case_id in REPLAY_QUIRKS if case_id.startswith(category + "_")}
    assert set(odd) == listed, odd


def test_redundant_call_quirk_is_what_the_list_says(multi_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(multi_cases, "multi_turn_base_113")
    assert case.turn_calls[0] == ["add_to_watchlist(stock='QUAS')"]
    without = [list(c) for c in case.turn_calls]
    assert without[1].pop(0) == "get_watchlist()"
    assert check_multi_turn(case, without).passed


# ---------------------------------------------------------------- parsing: never eval


def test_parse_call_reads_literals_only() -> None:
    assert parse_call("mv(source='a', destination='b')") == ("mv", [], {"source": "a", "destination": "b"})
    assert parse_call(" sort('final_report.pdf') ") == ("sort", ["final_report.pdf"], {})
    assert parse_call("f(x=[1, {'a': (2, None)}], y=-3.5, z=True)") == (
        "f",
        [],
        {"x": [1, {"a": (2, None)}], "y": -3.5, "z": True},
    )
    for bad in [
        "__import__('os').system('echo pwned')",
        "cd(folder=__import__('os').getcwd())",
        "cd(folder=name)",
        "cd(**{'folder': 'a'})",
        "cd(*['a'])",
        "obj.cd(folder='a')",
        "cd",
        "cd(folder='a'",
        "cd(folder='a'); ls()",
        "lambda: 1",
    ]:
        with pytest.raises(CallSyntaxError):
            parse_call(bad)


# ---------------------------------------------------------------- running


def test_execute_mirrors_bfcl_results(multi_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(multi_cases, "multi_turn_base_0")  # TwitterAPI + GorillaFileSystem
    run = MultiTurnRun(case)
    assert run.execute("cd(folder='document')") == '{"current_working_directory": "document"}'
    assert run.execute(("mkdir", {"dir_name": "temp"})) == "None"
    assert run.execute("cd(folder='nowhere')") == '{"error": "cd: \'nowhere\': No such file or directory"}'
    assert run.execute("teleport(to='mars')") == "Error during execution: name 'teleport' is not defined"
    assert run.execute("cd(folder=__import__('os').getcwd())").startswith("Error during execution: arguments must")
    assert run.execute("cd(folder='document', nope=1)").startswith("Error during execution: ")  # a TypeError
    assert run.calls == [
        [
            "cd(folder='document')",
            ("mkdir", {"dir_name": "temp"}),
            "cd(folder='nowhere')",
            "teleport(to='mars')",
            "cd(folder=__import__('os').getcwd())",
            "cd(folder='document', nope=1)",
        ]
    ]
    assert len(run.results[0]) == 6
    run.end_turn()
    assert run.turn == 1 and run.calls[-1] == []
    state = run.state()
    assert set(state) == {"TwitterAPI", "GorillaFileSystem"}
    assert all(not attr.startswith("_") for attrs in state.values() for attr in attrs)
    assert not any(name.startswith("bfcl_eval") for name in sys.modules)  # import aliases were removed


def test_long_context_loads_the_long_scenario(multi_cases: dict[str, list[BFCLCase]]) -> None:
    case = next(c for c in multi_cases["multi_turn_long_context"] if "GorillaFileSystem" in (c.involved_classes or []))
    assert MultiTurnRun(case).instances["GorillaFileSystem"].long_context is True
    base = _case(multi_cases, case.id.replace("long_context", "base"))
    assert MultiTurnRun(base).instances["GorillaFileSystem"].long_context is False


def test_check_reasons(multi_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(multi_cases, "multi_turn_base_0")
    truth = case.turn_calls
    assert check_multi_turn(case, truth[:-1]).reason == f"got calls for {len(truth) - 1} turns, expected {len(truth)}"
    assert check_multi_turn(case, [[], *truth[1:]]).reason.startswith("turn 0: no call made")
    wrong = [["cd(folder='document')", "mkdir(dir_name='tmp')", "mv(source='final_report.pdf', destination='tmp')"]]
    got = check_multi_turn(case, [*wrong, *truth[1:]])
    assert got.reason == "turn 0: GorillaFileSystem state differs from the ground truth's in root"
    # Extra read-only calls are fine; the expected results only need to be among the model's.
    assert check_multi_turn(case, [["ls()", *truth[0]], *truth[1:]]).passed


def test_turns_with_no_expected_call_are_not_judged(multi_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(multi_cases, "multi_turn_miss_func_0")
    truth = case.turn_calls
    assert truth[2] == []
    assert check_multi_turn(case, [*truth[:2], ["pwd()"], *truth[3:]]).passed


def _keywords(run: MultiTurnRun, call: str) -> tuple[str, dict[str, Any]]:
    """A call string as (name, keyword arguments), positional ones bound by the method's signature."""
    name, args, kwargs = parse_call(call)
    method = next(getattr(i, name) for i in run.instances.values() if hasattr(i, name))
    return name, dict(inspect.signature(method).bind(*args, **kwargs).arguments)


def test_ground_truth_calls_only_offered_functions_except_listed(multi_cases: dict[str, list[BFCLCase]]) -> None:
    early = {}
    for cases in multi_cases.values():
        for case in cases:
            for turn, calls in enumerate(case.turn_calls):
                offered = {doc["name"] for doc in case.functions_at(turn)}
                for call in calls:
                    if parse_call(call)[0] not in offered:
                        early[case.id] = f"turn {turn}: {call}"
    assert set(early) == set(EARLY_CALL_QUIRKS), early


@pytest.mark.parametrize("category", ["multi_turn_base", "multi_turn_miss_func"])
def test_toolset_drives_the_run(multi_cases: dict[str, list[BFCLCase]], category: str) -> None:
    async def play(case: BFCLCase) -> MultiTurnRun:
        run = MultiTurnRun(case)
        for turn, calls in enumerate(case.turn_calls):
            if turn:
                run.end_turn()
            tools = run.toolset()
            for number, call in enumerate(calls):
                name, arguments = _keywords(run, call)
                assert name in tools.names(), f"{case.id}: turn {turn} calls {name}, which is not offered yet"
                result = await tools.call(f"c{number}", name, arguments)
                assert result.status == "ok" and result.content == run.results[-1][-1]
        run.end_turn()  # a driver may close the last turn too: check() ignores the empty tail
        return run

    for case in multi_cases[category][:60]:
        if case.id in EARLY_CALL_QUIRKS:
            continue
        run = asyncio.run(play(case))
        assert run.check().passed, case.id
        assert [len(turn) for turn in run.calls] == [*(len(turn) for turn in case.turn_calls), 0]


def test_withheld_functions_join_at_their_turn(multi_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(multi_cases, "multi_turn_miss_func_0")
    assert case.missed_function is not None
    assert [doc["name"] for doc in case.missed_function[3]] == ["sort"]
    assert case.turns[3] == [{"role": "user", "content": HOLDOUT_TURN_MESSAGE}]
    run = MultiTurnRun(case)
    assert "sort" not in run.toolset().names()
    assert "sort" not in run.toolset(2).names()
    assert "sort" in run.toolset(3).names()
    assert "sort" not in {spec.name for spec in case.tool_specs(0)}
    assert "sort" in {spec.name for spec in case.tool_specs(3)}
    for _ in range(3):
        run.end_turn()
    assert "sort" in run.toolset().names()
