"""Real harness CLIs (Codex CLI and Claude Code, from npm) run a two-call tool-using
task through the gateway against a scripted backend, inside a loopback-only network
namespace; the test checks the recorded calls."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK_ONLY = ROOT.parent / "shared" / "fixtures" / "harness-captures" / "loopback-only.sh"
HARNESS_PACKAGES = ["@openai/codex@0.169.0", "@anthropic-ai/claude-code@2.1.197"]


@pytest.fixture(scope="module")
def harness_bin() -> Path:
    """The harness CLIs, installed from npm once into a cache folder (the npm registry
    is reachable from these machines; CI runs the same install)."""
    prefix = Path(os.environ.get("ROLLYARD_HARNESS_PREFIX", Path.home() / ".cache" / "rollyard" / "harnesses"))
    bin_dir = prefix / "node_modules" / ".bin"
    if not ((bin_dir / "codex").exists() and (bin_dir / "claude").exists()):
        npm = shutil.which("npm")
        assert npm, "npm is needed to install the harness CLIs"
        subprocess.run([npm, "install", "--prefix", str(prefix), *HARNESS_PACKAGES], check=True, timeout=600)
    return bin_dir


def _records(db: Path) -> list[dict[str, object]]:
    with sqlite3.connect(db) as connection:
        return [json.loads(row[0]) for row in connection.execute("SELECT record FROM calls ORDER BY seq")]


def _drive(harness: str, harness_bin: Path, tmp_path: Path) -> list[dict[str, object]]:
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / "hello.txt").write_text("hello\n")
    db = tmp_path / "calls.db"
    command = [
        "bash", str(LOOPBACK_ONLY), sys.executable, "-m", "tests.gateway.harness_driver",
        "--harness", harness, "--db", str(db), "--bin", str(harness_bin), "--workdir", str(workdir),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{harness} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "hello.txt" in result.stdout, result.stdout[-2000:]
    return _records(db)


def _tool_turns(records: list[dict[str, object]], tool: str) -> tuple[dict[str, object], dict[str, object]]:
    calls = [r for r in records if any(t["name"] == tool for t in r["normalized_request"]["tools"])]  # type: ignore[index]
    first = next(r for r in calls if r["finish_reason"] == "tool_calls")
    second = next(r for r in calls if r["finish_reason"] == "stop" and r["created_at"] >= first["created_at"])  # type: ignore[operator]
    return first, second


def _check_common(records: list[dict[str, object]], api: str, harness: str) -> None:
    assert records, "no calls were recorded"
    for record in records:
        assert record["status"] == "ok", record["error"]
        assert record["api"] == api
        assert record["harness"] == harness
        assert record["raw_request"] and record["response"]
        assert record["stream"] is True  # every harness streams
        assert record["backend"] == "scripted"
        assert "authorization" not in record["headers"] and "x-api-key" not in record["headers"]  # type: ignore[operator]
        assert "sk-fake" not in json.dumps(record) and "sk-ant-fake" not in json.dumps(record)


def test_codex_cli_through_the_gateway(harness_bin: Path, tmp_path: Path) -> None:
    records = _drive("codex", harness_bin, tmp_path)
    _check_common(records, "responses", "codex")
    first, second = _tool_turns(records, "exec_command")
    assert first["session_id"] == second["session_id"]
    call = first["response"]["output"][-1]  # type: ignore[index]
    assert call["type"] == "function_call" and call["name"] == "exec_command"
    # Call 2 carries the tool result the harness produced by running ls.
    items = second["raw_request"]["input"]  # type: ignore[index]
    outputs = [i for i in items if i.get("type") == "function_call_output"]
    assert outputs and outputs[-1]["call_id"] == call["call_id"] and "hello.txt" in json.dumps(outputs[-1])


def test_claude_code_through_the_gateway(harness_bin: Path, tmp_path: Path) -> None:
    records = _drive("claude", harness_bin, tmp_path)
    _check_common(records, "anthropic", "claude-code")
    first, second = _tool_turns(records, "Bash")
    content = first["response"]["content"]  # type: ignore[index]
    (tool_use,) = [b for b in content if b["type"] == "tool_use"]
    assert tool_use["name"] == "Bash" and tool_use["input"]["command"] == "ls"
    results = [
        b
        for m in second["raw_request"]["messages"]  # type: ignore[index]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_result"
    ]
    assert results and results[-1]["tool_use_id"] == tool_use["id"] and "hello.txt" in json.dumps(results[-1])
