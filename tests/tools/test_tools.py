"""Tools from typed callables, and toolsets that compose."""

from __future__ import annotations

import asyncio

import pytest

from rollyard.tools import Tool, Toolset, combine, tool
from rollyard.tools.examples import calculator, notes


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_schema_from_type_hints_and_docstring() -> None:
    @tool
    def search(query: str, limit: int = 5, exact: bool = False) -> list[str]:
        """Search the notes.

        Args:
            query: Words to look for.
            limit: At most this many results.
        """
        return [query] * limit

    assert isinstance(search, Tool)
    assert search.description == "Search the notes."
    params = search.parameters
    assert params["required"] == ["query"]
    assert params["properties"]["query"] == {"type": "string", "description": "Words to look for."}
    assert params["properties"]["limit"]["default"] == 5
    assert params["additionalProperties"] is False
    assert search.spec().name == "search"


def test_validation_errors_go_back_as_tool_errors() -> None:
    calc = calculator()
    bad = run(calc.call("c1", "multiply", '{"a": "seven", "b": 2}'))
    assert bad.status == "invalid_arguments" and "a" in bad.content
    extra = run(calc.call("c2", "add", {"a": 1, "b": 2, "c": 3}))
    assert extra.status == "invalid_arguments"
    broken_json = run(calc.call("c3", "add", "{nope"))
    assert broken_json.status == "invalid_arguments"
    ok = run(calc.call("c4", "evaluate", {"expression": "(2 + 3) * 4"}))
    assert (ok.status, ok.value, ok.content) == ("ok", 20.0, "20.0")
    unknown = run(calc.call("c5", "divide", {}))
    assert unknown.status == "unknown_tool" and "add" in unknown.content


def test_timeouts_and_retries() -> None:
    attempts: list[int] = []

    async def slow() -> str:
        """Sleep too long."""
        await asyncio.sleep(5)
        return "late"

    def flaky() -> str:
        """Fail twice, then work."""
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("transient")
        return "fine"

    timed_out = run(Tool.from_function(slow, timeout_s=0.2).call("t", {}))
    assert timed_out.status == "timeout" and "timed out" in timed_out.content
    result = run(Tool.from_function(flaky, retries=2).call("f", {}))
    assert (result.status, result.content, result.attempts) == ("ok", "fine", 3)
    attempts.clear()
    failed = run(Tool.from_function(flaky, retries=1).call("f", {}))
    assert failed.status == "error" and "transient" in failed.content


def test_toolsets_compose() -> None:
    calc, memo = calculator(), notes()
    both = combine(calc, memo)
    assert set(both.names()) == {"add", "multiply", "evaluate", "write_note", "read_note", "list_notes", "delete_note"}
    assert calc.filter(["add"]).names() == ["add"]
    prefixed = calc.prefixed("calc_")
    assert prefixed.names() == ["calc_add", "calc_multiply", "calc_evaluate"]
    assert run(prefixed.call("p", "calc_add", {"a": 1, "b": 2})).value == 3
    assert calc.renamed({"add": "plus"}).names()[0] == "plus"
    with pytest.raises(ValueError, match="two tools"):
        combine(calc, calc)


def test_stateful_toolset_snapshot_and_restore() -> None:
    memo = notes()
    view: Toolset = memo.prefixed("n_")
    run(view.call("1", "n_write_note", {"title": "a", "text": "x"}))
    state = view.snapshot()
    run(view.call("2", "n_write_note", {"title": "b", "text": "y"}))
    assert run(view.call("3", "n_list_notes", {})).value == ["a", "b"]
    view.restore(state)
    assert run(memo.call("4", "list_notes", {})).value == ["a"]
    missing = run(memo.call("5", "read_note", {"title": "zzz"}))
    assert missing.status == "error" and "zzz" in missing.content
