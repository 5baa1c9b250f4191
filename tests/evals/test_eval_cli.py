"""``rollyard eval`` end to end: a model backend double served over real HTTP on
127.0.0.1, an in-process gateway recording every call in a real SQLite file, results,
report, resume after Ctrl-C, and BFCL suites."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from rollyard.cli import app
from rollyard.evals import load_bfcl
from rollyard.evals._bfcl_ast import reference_calls
from rollyard.evals._bfcl_multi import parse_call
from rollyard.models import ScriptedCall, ScriptedModel, model_app
from rollyard.models._scripted import Reply
from rollyard.store import open_store
from rollyard.wire import Request
from tests.evals.reference_backend import reference_player
from tests.servers import serve_app

ROOT = Path(__file__).resolve().parents[2]


def _eval(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _calls_per_session(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT session_id, COUNT(*) FROM calls GROUP BY session_id").fetchall())


def test_builtin_suite_two_models_side_by_side_recorded_and_reported(tmp_path: Path) -> None:
    db, report = tmp_path / "eval.db", tmp_path / "report.html"
    with serve_app(model_app(reference_player())) as served:
        url = f"{served.url}/v1"
        out = _eval(
            "--suite", "builtin", "--limit", "6", "--model", f"alpha@{url}", "--model", f"beta@{url}",
            "--concurrency", "2", "--db", f"sqlite:///{db}", "--report", str(report),
        )  # fmt: skip
    assert out["suite"] == "builtin" and out["n"] == 12 and out["cases"] == 6
    assert out["success_rate"] == 1.0
    assert {(t["model"], t["strategy"]) for t in out["tasks"]} == {("alpha", "react"), ("beta", "react")}
    assert len({(t["id"], t["model"]) for t in out["tasks"]}) == 12
    # Every model call went through the gateway, one session per case/strategy/model.
    sessions = _calls_per_session(db)
    for task in out["tasks"]:
        assert sessions[task["session_id"]] == task["llm_calls"] > 0
    page = report.read_text()
    assert page.count("<svg") == 2 and all(t["id"] in page for t in out["tasks"])
    stored = asyncio.run(_results(f"sqlite:///{db}", out["run_id"]))
    assert len(stored) == 12 and all(r["success"] for r in stored.values())


async def _results(url: str, run_id: str) -> dict[str, dict[str, Any]]:
    store = open_store(url)
    try:
        return await store.eval_results(run_id)
    finally:
        await store.aclose()


def test_wrong_solutions_fail_with_the_contracts_reason(tmp_path: Path) -> None:
    with serve_app(model_app(reference_player("wrong"))) as served:
        out = _eval("--limit", "4", "--model", f"{served.url}/v1", "--db", f"sqlite:///{tmp_path / 'e.db'}")
    assert out["success_rate"] == 0.0
    assert all(t["failures"] and t["reason"] for t in out["tasks"])


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e.db'}"
    result = CliRunner().invoke(app, ["eval", "--model", "not-a-url", "--db", db])
    assert result.exit_code == 2 and "use 'embedded'" in result.output
    result = CliRunner().invoke(app, ["eval", "--resume", "nope", "--db", db])
    assert result.exit_code == 2 and "no evaluation run" in result.output


def _slow_player() -> ScriptedModel:
    player = reference_player()

    async def reply(request: Request) -> Reply:
        await asyncio.sleep(0.25)
        return await player._next_reply(request)

    return ScriptedModel(reply)


def test_ctrl_c_leaves_a_consistent_database_and_resume_finishes(tmp_path: Path) -> None:
    db = tmp_path / "eval.db"
    args = ["--limit", "10", "--concurrency", "2", "--db", f"sqlite:///{db}", "--json"]
    with serve_app(model_app(_slow_player())) as served:
        command = [sys.executable, "-m", "rollyard", "eval", "--model", f"{served.url}/v1", *args]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline and process.poll() is None:
            done = _count(db, "SELECT COUNT(*) FROM eval_results")
            if done >= 2:
                break
            time.sleep(0.1)
        assert done >= 2, process.communicate(timeout=30)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err.decode()
        assert b"--resume" in err
        with sqlite3.connect(db) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        before = _count(db, "SELECT COUNT(*) FROM eval_results")
        assert 2 <= before < 10
        out = _eval("--resume", "last", "--model", f"{served.url}/v1", *args[:-1])
    assert out["n"] == 10 and out["success_rate"] == 1.0
    assert _count(db, "SELECT COUNT(*) FROM eval_results") == 10
    assert _count(db, "SELECT COUNT(*) FROM eval_runs") == 1


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return int(connection.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # the table is not there yet
        return 0


def _bfcl_player() -> ScriptedModel:
    """Answers each BFCL case with its ground truth: the first acceptable values for
    single-turn cases, and for multi-turn cases the current turn's calls, one a step."""
    single = {c.turns[0][-1]["content"]: c for c in load_bfcl("simple_python", limit=3)}
    multi = {c.turns[0][-1]["content"]: c for c in load_bfcl("multi_turn_base", limit=2)}

    def reply(request: Request) -> Reply:
        users = [m.text for m in request.messages if m.role == "user"]
        if users[0] in single:
            return [ScriptedCall(name, args) for name, args in reference_calls(single[users[0]])]
        case = multi[users[0]]
        turn = len(users) - 1
        since_user = 0
        for message in reversed(request.messages):
            if message.role == "user":
                break
            since_user += message.role == "tool"
        planned = case.turn_calls[turn]
        if since_user < len(planned):
            name, positional, keywords = parse_call(planned[since_user])
            doc = next(d for d in case.functions_at(turn) if d["name"] == name)
            # Positional arguments take the documented parameters in order.
            keywords = dict(zip(doc["parameters"]["properties"], positional, strict=False)) | keywords
            api = {v: k for k, v in case.tool_names.items()}[name]
            return ScriptedCall(api, keywords)
        return "Done."

    return ScriptedModel(reply)


def test_bfcl_single_and_multi_turn_suites(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e.db'}"
    with serve_app(model_app(_bfcl_player())) as served:
        url = f"{served.url}/v1"
        single = _eval("--suite", "bfcl:simple_python", "--limit", "3", "--model", url, "--db", db)
        multi = _eval("--suite", "bfcl:multi_turn_base", "--limit", "2", "--model", url, "--db", db)
    assert single["n"] == 3 and single["success_rate"] == 1.0, single["tasks"]
    assert [t["id"] for t in single["tasks"]] == ["simple_python_0", "simple_python_1", "simple_python_2"]
    assert multi["n"] == 2 and multi["success_rate"] == 1.0, multi["tasks"]
    assert all(t["tool_calls"] > 0 for t in multi["tasks"])


def test_eval_help_teaches() -> None:
    result = CliRunner().invoke(app, ["eval", "--help"], env={**os.environ, "COLUMNS": "200"})
    assert result.exit_code == 0
    for word in ("--suite", "--strategy", "--resume", "bfcl:", "Examples"):
        assert word in result.output


def test_results_tables_stay_readable_on_a_narrow_console() -> None:
    from rich.console import Console

    from rollyard.cli._eval import print_tables
    from rollyard.evals import CaseResult, summarize

    reason = "the Q4 report gains the tag final: expected at least 1 change, found 0"
    results = [
        CaseResult(
            case_id="files-tag-final-report-q4", suite="builtin", group="files", strategy="compiler",
            model="http://127.0.0.1:8400/v1", success=False, score=0.0, status="success", reason=reason,
            llm_calls=3, tool_calls=2, prompt_tokens=2000, completion_tokens=190, seconds=14.04,
        ),
        CaseResult(
            case_id="calendar-decline-lunch-learn", suite="builtin", group="calendar", strategy="react",
            model="embedded", success=True, score=1.0, status="success", llm_calls=1, seconds=12.6,
        ),
    ]  # fmt: skip

    def squash(text: str) -> str:
        return "".join(text.replace("│", " ").split())

    for width in (80, 160):
        console = Console(width=width, record=True, color_system=None)
        print_tables(console, results, summarize(results))
        text = console.export_text()
        assert max(len(line) for line in text.splitlines()) <= width
        # No column collapses: every header, number and verdict stands whole on its line.
        for cell in ("case", "strategy", "result", "LLM", "tools", "tokens", "2,190", "14.0", "12.6", "fail", "pass"):
            assert cell in text, (width, cell, text)
        assert " 0% " in text and " 100% " in text, text  # compiler and react, aggregated apart
        assert squash(reason) in squash(text), text  # the whole reason, inline or below the table
