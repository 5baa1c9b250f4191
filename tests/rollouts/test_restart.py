"""A rollout service killed (kill -9) or stopped (Ctrl-C) mid-group and started again on
the same store: finished rollouts are kept as they were, the rest run again under fresh
gateway sessions, and every group completes. The service is the real ``rollyard rollout
serve`` process; its model is a backend double served over real HTTP."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from rollyard.models import model_app
from rollyard.rollouts import group_advantages
from tests.rollouts.players import task_player
from tests.servers import free_port, serve_app, start_rollyard

TASK = "files-tag-final-report"


def _start(db: Path, model_url: str, port: int) -> subprocess.Popen[bytes]:
    args = ["rollout", "serve", "--db", f"sqlite:///{db}", "--model", f"player@{model_url}/v1", "--concurrency", "1",
            "--prewarm", "0"]  # fmt: skip
    with (db.parent / "serve.log").open("ab") as log:  # the child keeps its own copy of the handle
        return start_rollyard(args, port, stderr=log)


def _group(port: int, group_id: str) -> dict[str, Any]:
    response = httpx.get(f"http://127.0.0.1:{port}/v1/groups/{group_id}?trajectories=false", timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _wait(port: int, group_id: str, done: Any, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        group = _group(port, group_id)
        if done(group):
            return group
        assert time.monotonic() < deadline, group["state"]
        time.sleep(0.1)


def _completed(group: dict[str, Any]) -> int:
    return sum(r["status"] == "completed" for r in group["rollouts"])


def _calls_per_session(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT session_id, COUNT(*) FROM calls GROUP BY session_id").fetchall()
    return {str(session): int(count) for session, count in rows}


def _stop(process: subprocess.Popen[bytes], how: signal.Signals) -> None:
    process.send_signal(how)
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_killed_or_stopped_service_resumes_its_groups_on_restart(tmp_path: Path) -> None:
    db = tmp_path / "rollouts.db"
    with serve_app(model_app(task_player(latency_s=0.25))) as backend:
        port = free_port()
        service = _start(db, backend.url, port)
        try:
            submitted = httpx.post(f"http://127.0.0.1:{port}/v1/groups", json={"task": TASK, "n": 6}, timeout=30)
            assert submitted.status_code == 201, submitted.text
            [summary] = submitted.json()["groups"]
            killed_id = summary["id"]
            before = _wait(port, killed_id, lambda g: _completed(g) >= 2)
        finally:
            _stop(service, signal.SIGKILL)
        kept = {r["id"]: r for r in before["rollouts"] if r["status"] == "completed"}
        assert 2 <= len(kept) < 6

        port = free_port()
        service = _start(db, backend.url, port)
        try:
            resumed = _wait(port, killed_id, lambda g: g["state"] == "done")
            # A second group, stopped gracefully (Ctrl-C) while it runs.
            submitted = httpx.post(f"http://127.0.0.1:{port}/v1/groups", json={"task": TASK, "n": 4}, timeout=30)
            stopped_id = submitted.json()["groups"][0]["id"]
            _wait(port, stopped_id, lambda g: _completed(g) >= 1)
        finally:
            _stop(service, signal.SIGINT)
        assert service.returncode == 0, (tmp_path / "serve.log").read_text()

        port = free_port()
        service = _start(db, backend.url, port)
        try:
            again = _group(port, killed_id)  # a finished group is served as it ended
            stopped = _wait(port, stopped_id, lambda g: g["state"] == "done")
            listed = {g["id"] for g in httpx.get(f"http://127.0.0.1:{port}/v1/groups", timeout=10).json()["groups"]}
        finally:
            _stop(service, signal.SIGINT)

    assert again["rollouts"] == resumed["rollouts"] and again["state"] == "done"
    assert listed == {killed_id, stopped_id}
    per_session = _calls_per_session(db)
    for group, n in ((resumed, 6), (stopped, 4)):
        rollouts = group["rollouts"]
        assert [r["index"] for r in rollouts] == list(range(n))
        assert all(r["status"] == "completed" and r["reward"] == 1.0 for r in rollouts), rollouts
        advantages = group_advantages([r["reward"] for r in rollouts], "grpo")
        assert [r["advantage"] for r in rollouts] == advantages
        for rollout in rollouts:
            # Each rollout's trajectory holds exactly its own (last) attempt's calls.
            assert per_session[rollout["session_id"]] == len(rollout["calls"]) > 0
    for rollout in resumed["rollouts"]:
        if rollout["id"] in kept:
            assert rollout["session_id"] == kept[rollout["id"]]["session_id"]
            assert rollout["calls"] == kept[rollout["id"]]["calls"]
        else:
            assert rollout["session_id"].endswith(".restart1"), rollout["session_id"]
    assert any(r["session_id"].endswith(".restart1") for r in stopped["rollouts"])
    assert any(not r["session_id"].endswith(".restart1") for r in stopped["rollouts"])
