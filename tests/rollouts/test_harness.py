"""Harness CLIs as rollout agents: a real harness (Codex CLI first) solves a workspace task
through the real gateway from inside a loopback-only network namespace; hangs, crashes and
the namespace's isolation; the loopback bridge under concurrent load."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from rollyard.rollouts._bridge import namespace_command
from rollyard.rollouts._harness import HarnessAgent, HarnessName
from rollyard.rollouts._types import AgentOutcome, RolloutContext
from rollyard.rollouts._workspace import WORKSPACE_TASKS, WorkspaceTask, check_env, run_check
from rollyard.wire import Request
from tests.rollouts.harness_backend import FINAL_ANSWER, Gateway, ensure_harness, run, running_gateway

# What each harness's records are labelled with (from its user agent).
HARNESS_LABELS = {"codex": "codex", "claude": "claude-code", "qwen": "qwen-code", "opencode": "opencode"}
MODEL_PATHS = ("/v1/responses", "/v1/messages", "/v1/chat/completions")


def _context(gateway: Gateway, task: WorkspaceTask, workspace: Path) -> RolloutContext:
    rollout_id = uuid.uuid4().hex[:12]
    session_id = f"rollout-{rollout_id}"
    return RolloutContext(
        rollout_id=rollout_id,
        session_id=session_id,
        gateway_url=f"{gateway.url}/s/{session_id}",
        api_key=f"rk-{uuid.uuid4().hex}",
        instruction=task.instruction,
        task_id=task.id,
        workspace=workspace,
        gateway_unix_socket=gateway.unix_socket,
    )


def _processes_mentioning(marker: str) -> list[str]:
    """Command lines of live processes that mention ``marker`` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in command and state != "Z":
            found.append(f"{entry.name}: {command}")
    return found


def _fake_bin(directory: Path, script: str) -> Path:
    """A bin dir whose ``codex`` is ``script`` (a stand-in for a misbehaving harness)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "codex"
    path.write_text("#!/bin/bash\n" + script)
    path.chmod(0o755)
    return directory


# ---- (1) a real harness solves ws-hello through the bridged namespace ----


@pytest.mark.parametrize("harness", ["codex", "claude", "qwen", "opencode"])
def test_harness_solves_ws_hello_through_the_gateway(harness: HarnessName, tmp_path: Path) -> None:
    bin_dir = ensure_harness(harness)  # .ci/run installs all four
    if bin_dir is None:
        pytest.skip(f"{harness} is not installed and npm could not install it")
    task = WORKSPACE_TASKS["ws-hello"]
    workspace = tmp_path / "workspace"
    task.prepare(workspace)
    scratch = tmp_path / "scratch"

    async def scenario() -> tuple[AgentOutcome, RolloutContext, list[Any], list[Any], list[tuple[str, str | None]]]:
        async with running_gateway(tmp_path) as gateway:
            context = _context(gateway, task, workspace)
            agent = HarnessAgent(harness, bin_dir=bin_dir, scratch_dir=scratch)
            outcome = await agent.run(context, timeout_s=180)
            mine = await gateway.calls(context.session_id)
            everything = await gateway.store.calls()
            return outcome, context, mine, everything, list(gateway.keys.seen)

    outcome, context, records, everything, seen = run(scenario())

    assert outcome.status == "completed", (outcome.error, outcome.details.get("stderr"))
    assert outcome.answer is not None and FINAL_ANSWER in outcome.answer
    assert outcome.details["exit_code"] == 0
    solved, output = run_check(task, workspace, timeout_s=30)
    assert solved, output
    assert (workspace / "hello.txt").read_text() == "hello world"

    # The gateway recorded the rollout's calls, all under its session, and nothing else.
    assert len(records) >= 2
    assert len(everything) == len(records)
    assert {r.session_id for r in records} == {context.session_id}
    assert {r.harness for r in records} == {HARNESS_LABELS[harness]}
    assert any(r.finish_reason == "tool_calls" for r in records)
    assert all(r.status == "ok" for r in records)
    # Every request arrived on the session's URL carrying the per-rollout key, which is never stored.
    assert seen and all(path.startswith(f"/s/{context.session_id}") for path, _ in seen), seen
    model_calls = [key for path, key in seen if path.endswith(MODEL_PATHS)]
    assert len(model_calls) == len(records) and set(model_calls) == {context.api_key}
    assert all(context.api_key not in json.dumps(r.to_json()) for r in records)
    # The private home is gone.
    assert list(scratch.iterdir()) == []


# ---- (2) hangs end as timeouts, with nothing left behind ----


def test_a_harness_that_hangs_is_stopped_with_its_whole_tree(tmp_path: Path) -> None:
    mark = str(uuid.uuid4().int % 10**9)
    # Ignores SIGTERM and starts a sleeper in a new session (out of the process group):
    # only the namespace's PID namespace takes that one down.
    bin_dir = _fake_bin(
        tmp_path / "bin",
        f"trap '' TERM\nsetsid sleep 4242.{mark} &\nsleep 4343.{mark}\n",
    )
    task = WORKSPACE_TASKS["ws-hello"]
    workspace = tmp_path / "workspace"
    task.prepare(workspace)
    scratch = tmp_path / "scratch"

    async def scenario() -> tuple[AgentOutcome, float, list[str]]:
        async with running_gateway(tmp_path) as gateway:
            agent = HarnessAgent("codex", bin_dir=bin_dir, scratch_dir=scratch, kill_grace_s=1.0)
            context = _context(gateway, task, workspace)
            started = time.monotonic()
            running = asyncio.create_task(agent.run(context, timeout_s=3.0))
            during = await _sleepers_started(mark)
            outcome = await running
            return outcome, time.monotonic() - started, during

    outcome, waited, during = run(scenario())
    assert len(during) == 2, during  # the setsid sleeper and the foreground one, seen mid-run
    assert outcome.status == "timeout", outcome
    assert "timeout of 3s" in (outcome.error or "")
    assert waited >= 3.0  # stopped by the timeout, not before (the status says it was stopped)
    assert _processes_mentioning(mark) == []
    assert list(scratch.iterdir()) == []


async def _sleepers_started(mark: str) -> list[str]:
    for _ in range(100):
        found = _processes_mentioning(mark)
        if len(found) >= 2:
            return found
        await asyncio.sleep(0.02)
    return _processes_mentioning(mark)


def test_a_cancelled_rollout_leaves_nothing_behind(tmp_path: Path) -> None:
    mark = str(uuid.uuid4().int % 10**9)
    bin_dir = _fake_bin(tmp_path / "bin", f"setsid sleep 4242.{mark} &\nsleep 4343.{mark}\n")
    task = WORKSPACE_TASKS["ws-hello"]
    scratch = tmp_path / "scratch"

    async def scenario() -> list[str]:
        async with running_gateway(tmp_path) as gateway:
            agent = HarnessAgent("codex", bin_dir=bin_dir, scratch_dir=scratch)
            running = asyncio.create_task(agent.run(_context(gateway, task, tmp_path / "workspace"), timeout_s=60))
            during = await _sleepers_started(mark)
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
            return during

    assert len(run(scenario())) == 2
    assert _processes_mentioning(mark) == []
    assert list(scratch.iterdir()) == []


def test_real_codex_waiting_on_a_hung_model_times_out(tmp_path: Path) -> None:
    bin_dir = ensure_harness("codex")
    if bin_dir is None:
        pytest.skip("codex is not installed and npm could not install it")
    task = WORKSPACE_TASKS["ws-hello"]
    workspace = tmp_path / "workspace"
    task.prepare(workspace)
    scratch = tmp_path / "scratch"
    release = asyncio.Event()

    async def hang(request: Request) -> str:
        await release.wait()  # the model never answers while the harness runs
        return "too late"

    async def scenario() -> tuple[AgentOutcome, float, int]:
        async with running_gateway(tmp_path, reply=hang) as gateway:
            context = _context(gateway, task, workspace)
            started = time.monotonic()
            outcome = await HarnessAgent("codex", bin_dir=bin_dir, scratch_dir=scratch).run(context, timeout_s=6)
            waited = time.monotonic() - started
            asked = len(gateway.model.requests)
            release.set()
            return outcome, waited, asked

    outcome, waited, asked = run(scenario())
    assert asked >= 1  # the harness reached the model and was waiting on it
    assert outcome.status == "timeout", outcome
    assert waited >= 6
    assert _processes_mentioning(str(scratch)) == []
    assert list(scratch.iterdir()) == []
    assert not (workspace / "hello.txt").exists()


# ---- (3) crashes ----


def test_a_harness_that_exits_nonzero_is_crashed_with_its_code_and_stderr(tmp_path: Path) -> None:
    bin_dir = _fake_bin(tmp_path / "bin", "echo 'fatal: config is broken' >&2\nexit 3\n")
    task = WORKSPACE_TASKS["ws-hello"]
    scratch = tmp_path / "scratch"

    async def scenario() -> AgentOutcome:
        async with running_gateway(tmp_path) as gateway:
            agent = HarnessAgent("codex", bin_dir=bin_dir, scratch_dir=scratch)
            return await agent.run(_context(gateway, task, tmp_path / "workspace"), timeout_s=30)

    outcome = run(scenario())
    assert outcome.status == "crashed"
    assert "exited with code 3" in (outcome.error or "")
    assert "fatal: config is broken" in (outcome.error or "")
    assert outcome.details["exit_code"] == 3
    assert list(scratch.iterdir()) == []


def test_a_missing_harness_or_socket_is_crashed_with_a_reason(tmp_path: Path) -> None:
    task = WORKSPACE_TASKS["ws-hello"]

    async def scenario() -> tuple[AgentOutcome, AgentOutcome]:
        async with running_gateway(tmp_path) as gateway:
            context = _context(gateway, task, tmp_path / "workspace")
            missing = await HarnessAgent("qwen", bin_dir=tmp_path / "empty").run(context, timeout_s=5)
            context.gateway_unix_socket = None
            no_socket = await HarnessAgent("codex", bin_dir=_fake_bin(tmp_path / "bin", "exit 0\n")).run(context, 5)
            return missing, no_socket

    missing, no_socket = run(scenario())
    assert missing.status == "crashed" and "qwen is not installed" in (missing.error or "")
    assert "@qwen-code/qwen-code" in (missing.error or "")
    assert no_socket.status == "crashed" and "Unix socket" in (no_socket.error or "")


# ---- (4) the namespace has no route out, only the bridged gateway ----

PROBE = """
import json, socket, sys, urllib.request

def tcp(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as error:
        return f"{type(error).__name__}: {error}"

print(json.dumps({
    "private": tcp("10.0.0.1", 80),
    "public": tcp("1.1.1.1", 443),
    "host_gateway_port": tcp("127.0.0.1", int(sys.argv[1])),
    "interfaces": [name for _, name in socket.if_nameindex()],
    "healthz": json.loads(urllib.request.urlopen("http://127.0.0.1:18080/healthz", timeout=10).read()),
}))
"""


async def _in_namespace(gateway: Gateway, script: str, *args: str) -> tuple[int, str, str]:
    command = namespace_command([sys.executable, "-c", script, *args], unix_socket=gateway.unix_socket)
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def test_the_namespace_reaches_only_the_bridged_gateway(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str, str]:
        async with running_gateway(tmp_path) as gateway:
            return await _in_namespace(gateway, PROBE, gateway.url.rsplit(":", 1)[1])

    code, stdout, stderr = run(scenario())
    assert code == 0, stderr
    seen = json.loads(stdout)
    # No route beyond loopback: the kernel refuses at once, nothing waits for a timeout.
    assert "Network is unreachable" in seen["private"], seen
    assert "Network is unreachable" in seen["public"], seen
    # The host's 127.0.0.1 is not the namespace's: the gateway's TCP port is not there.
    assert seen["host_gateway_port"].startswith("ConnectionRefusedError"), seen
    assert seen["interfaces"] == ["lo"]
    assert seen["healthz"]["status"] == "ok"


# ---- (5) the bridge under concurrent load ----

LOAD = """
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor

session = sys.argv[1]
url = f"http://127.0.0.1:18080/s/{session}/v1/chat/completions"

def ask(i):
    # Mostly small; every 16th ~200 KB, so some bodies cross many relay chunks.
    prompt = f"echo:{i}:" + "x" * (200_000 if i % 16 == 5 else i * 40)
    stream = i % 4 == 0
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": prompt}], "stream": stream}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "Authorization": "Bearer rk-load"})
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode()
    if stream:
        pieces = []
        for line in text.splitlines():
            if line.startswith("data: ") and line != "data: [DONE]":
                for choice in json.loads(line[6:]).get("choices", []):
                    pieces.append(choice.get("delta", {}).get("content") or "")
        return i, "".join(pieces) == prompt
    return i, json.loads(text)["choices"][0]["message"]["content"] == prompt

with ThreadPoolExecutor(32) as pool:
    results = dict(pool.map(ask, range(64)))
print(json.dumps({"ok": sum(results.values()), "bad": [i for i, good in results.items() if not good]}))
"""


def test_the_bridge_relays_many_concurrent_requests(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str, str, list[Any]]:
        async with running_gateway(tmp_path) as gateway:
            code, stdout, stderr = await _in_namespace(gateway, LOAD, "load-session")
            return code, stdout, stderr, await gateway.calls("load-session")

    code, stdout, stderr, records = run(scenario())
    assert code == 0, stderr[-3000:]
    assert json.loads(stdout) == {"ok": 64, "bad": []}
    assert len(records) == 64
    assert sorted(int(r.response["choices"][0]["message"]["content"].split(":")[1]) for r in records) == list(range(64))


# ---- workspace tasks: each check fails on the starting files and passes once solved ----

SOLUTIONS = {
    "ws-hello": "printf 'hello world' > hello.txt",
    "ws-fix-add": "sed -i 's/return a - b/return a + b/' calc.py && python test_calc.py",
    "ws-rename": "mv draft.md notes.md",
    "ws-json-edit": 'sed -i \'s/"debug": false/"debug": true/\' config.json',
}
WRONG = {
    "ws-hello": "echo 'hello world!' > hello.txt",
    "ws-fix-add": "printf 'from calc import add\\n' > test_calc.py",  # editing the tests solves nothing
    "ws-rename": "cp draft.md notes.md",
    "ws-json-edit": "echo '{\"debug\": true}' > config.json",
}


@pytest.mark.parametrize("task_id", sorted(WORKSPACE_TASKS))
def test_workspace_task_checks_the_goal(task_id: str, tmp_path: Path) -> None:
    assert task_id in SOLUTIONS, "every built-in workspace task has a solution here"
    task = WORKSPACE_TASKS[task_id]
    for attempt, expected in ((None, False), (WRONG[task_id], False), (SOLUTIONS[task_id], True)):
        workspace = tmp_path / f"{expected}-{attempt is None}"
        task.prepare(workspace)
        if attempt is not None:
            subprocess.run(["bash", "-c", attempt], cwd=workspace, env=check_env(), check=True)
        passed, output = run_check(task, workspace, timeout_s=30)
        assert passed is expected, (attempt, output)


def test_workspace_checks_are_bounded_and_files_stay_inside(tmp_path: Path) -> None:
    slow = WorkspaceTask("ws-slow", "wait", check="sleep 30")
    passed, output = run_check(slow, tmp_path, timeout_s=0.5)
    assert not passed and "timed out after 0.5s" in output
    with pytest.raises(ValueError, match="relative path"):
        WorkspaceTask("ws-bad", "x", files={"../escape.txt": "no"})
    with pytest.raises(ValueError, match="relative path"):
        WorkspaceTask("ws-bad", "x", files={"/etc/passwd": "no"})
