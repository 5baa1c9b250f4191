"""``rollyard run`` against a real OpenAI-compatible server (the scripted double served
over HTTP on 127.0.0.1), as a user would call it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from rollyard.cli._app import app
from rollyard.models import ScriptedCall, ScriptedModel, model_app
from rollyard.wire import Request, ToolResultPart
from tests.servers import ServedApp, serve_app


def reply(request: Request) -> Any:
    names = {t.name for t in request.tools}
    results = [p.text for m in request.messages for p in m.parts if isinstance(p, ToolResultPart)]
    if "plan" in names:
        return ScriptedCall("plan", {"steps": [
            {"id": 1, "tool": "add", "args": {"a": 2, "b": 3}},
            {"id": 2, "tool": "multiply", "args": {"a": 4, "b": 5}},
            {"id": 3, "tool": "add", "args": {"a": "$1", "b": "$2"}},
        ]})  # fmt: skip
    if "finish" in names:
        return ScriptedCall("finish", {"answer": "25"}) if results else ScriptedCall("evaluate", {"expression": "5*5"})
    if names and not results and "replan" not in names:
        return [ScriptedCall("add", {"a": 2, "b": 3}), ScriptedCall("multiply", {"a": 4, "b": 5})]
    return "25"


@pytest.fixture(scope="module")
def server() -> Iterator[ServedApp]:
    with serve_app(model_app(ScriptedModel(reply))) as served:
        yield served


@pytest.mark.parametrize(
    ("strategy", "llm_calls", "tool_calls"),
    [("react", 2, 2), ("rewoo", 2, 3), ("compiler", 2, 3), ("dfsdt", 2, 1), ("astar", 2, 1)],
)
def test_run_json(server: ServedApp, strategy: str, llm_calls: int, tool_calls: int) -> None:
    args = ["run", "--strategy", strategy, "--model", f"{server.url}/v1", "--json", "Add 2 and 3, times 4 and 5"]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    body = json.loads(outcome.stdout)
    assert (body["answer"], body["status"]) == ("25", "success")
    assert (body["llm_calls"], body["tool_calls"]) == (llm_calls, tool_calls)
    assert body["prompt_tokens"] >= 0 and body["completion_tokens"] > 0 and body["seconds"] > 0
    assert ("dag" in body) is (strategy in ("rewoo", "compiler")) and ("tree" in body) is (
        strategy in ("dfsdt", "astar")
    )


def test_run_shows_the_dag_and_the_tree(server: ServedApp) -> None:
    runner = CliRunner()
    dag = runner.invoke(app, ["run", "--strategy", "compiler", "--model", f"{server.url}/v1", "sum"])
    assert dag.exit_code == 0, dag.output
    assert "plan DAG" in dag.output and "1, 2" in dag.output and "25" in dag.output
    tree = runner.invoke(app, ["run", "--strategy", "astar", "--model", f"{server.url}/v1", "sum"])
    assert tree.exit_code == 0, tree.output
    assert "search (2 nodes)" in tree.output and "evaluate" in tree.output


def test_run_rejects_bad_tools_and_models() -> None:
    runner = CliRunner()
    bad_tools = runner.invoke(app, ["run", "--tools", "rollyard.tools.examples:nothing", "t"])
    assert bad_tools.exit_code != 0 and "cannot load tools" in bad_tools.output
    bad_model = runner.invoke(app, ["run", "--model", "gpt-4", "t"])
    assert bad_model.exit_code != 0 and "base URL" in bad_model.output
