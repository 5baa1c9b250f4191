"""The rollout service over HTTP and ``rollyard rollout submit``: a real uvicorn server on
127.0.0.1 (with its in-process gateway) in front of a model backend double served over
real HTTP by ``model_app``."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from rollyard.cli import app as cli
from rollyard.models import model_app
from rollyard.rollouts import ServeSettings, build_rollout_app
from tests.rollouts.players import task_player
from tests.servers import serve_app


@contextlib.contextmanager
def serve_with_lifespan(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the rollout service did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('rollouts') / 'r.db'}"
    with serve_app(model_app(task_player(latency_s=0.02))) as backend:
        settings = ServeSettings(db=db, model=f"player@{backend.url}/v1", concurrency=4, prewarm=4)
        with serve_with_lifespan(build_rollout_app(settings)) as url:
            yield url


def test_submit_wait_json(service_url: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["rollout", "submit", "--server", service_url, "--suite", "builtin", "--tasks", "2", "--n", "3",
         "--agent", "react", "--wait", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(out["groups"]) == 2
    for group in out["groups"]:
        assert group["task_id"] and len(group["rollouts"]) == 3
        for rollout in group["rollouts"]:
            assert {"id", "status", "reward", "advantage", "trajectory", "calls"} <= rollout.keys()
            assert rollout["status"] == "completed" and rollout["reward"] == 1.0 and rollout["advantage"] == 0.0
            assert rollout["calls"] and rollout["trajectory"][0]["input_ids"]


def test_events_stream_each_rollout_then_the_group(service_url: str) -> None:
    with httpx.Client(base_url=service_url, timeout=60) as client:
        answer = client.post("/v1/groups", json={"task": "files-tag-final-report", "n": 2})
        assert answer.status_code == 201
        group_id = answer.json()["groups"][0]["id"]
        events = []
        with client.stream("GET", f"/v1/groups/{group_id}/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line.removeprefix("data: ")))
        assert [e["type"] for e in events] == ["rollout", "rollout", "group"]
        assert events[-1]["group"]["state"] == "done"
        light = client.get(f"/v1/groups/{group_id}", params={"trajectories": "false"}).json()
        assert "input_ids" not in light["rollouts"][0]["trajectory"][0]
        metrics = client.get("/metrics").text
        assert 'rollyard_rollout_stage_seconds_count{stage="init"}' in metrics
        assert 'rollyard_rollout_queue_depth{stage="run"}' in metrics
        assert client.get("/healthz").json()["status"] == "ok"


def test_pause_drain_resume_and_cancel_over_http(service_url: str) -> None:
    with httpx.Client(base_url=service_url, timeout=60) as client:
        assert client.post("/v1/drain").json() == {"paused": True, "running": 0}
        group_id = client.post("/v1/groups", json={"task": "files-tag-final-report", "n": 2}).json()["groups"][0]["id"]
        time.sleep(0.3)
        assert client.get(f"/v1/groups/{group_id}").json()["statuses"].get("completed", 0) == 0
        assert client.post("/v1/resume").json() == {"paused": False}
        cancelled = client.post(f"/v1/groups/{group_id}/cancel").json()
        assert cancelled["state"] in ("cancelled", "done")


def test_bad_requests_are_clear(service_url: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=service_url, timeout=30) as client:
        bad = client.post("/v1/groups", content=b"{not json")
        assert bad.status_code == 400 and "invalid group spec" in bad.json()["error"]["message"]
        both = client.post("/v1/groups", json={"task": "x", "suite": "builtin"})
        assert both.status_code == 400 and "exactly one" in both.json()["error"]["message"]
        unknown = client.post("/v1/groups", json={"task": "no-such-task"})
        assert unknown.status_code == 400 and "no task" in unknown.json()["error"]["message"]
        mismatch = client.post(
            "/v1/groups", json={"task": "files-tag-final-report", "agent": {"kind": "harness", "name": "codex"}}
        )
        assert mismatch.status_code == 400 and "cannot run it" in mismatch.json()["error"]["message"]
        assert client.get("/v1/groups/g-nope").status_code == 404
    result = CliRunner().invoke(cli, ["rollout", "submit", "--server", "http://127.0.0.1:9", "--task", "x"])
    assert result.exit_code == 2 and "cannot reach" in result.output


def test_a_group_may_name_its_model_by_url(service_url: str) -> None:
    player = task_player()
    with serve_app(model_app(player)) as other:
        result = CliRunner().invoke(
            cli,
            ["rollout", "submit", "--server", service_url, "--task", "files-tag-final-report", "--n", "2",
             "--model", f"{other.url}/v1", "--wait", "--json"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    [group] = json.loads(result.stdout.strip().splitlines()[-1])["groups"]
    assert [r["status"] for r in group["rollouts"]] == ["completed", "completed"]
    assert all(r["reward"] == 1.0 for r in group["rollouts"])
    assert len(player.requests) == sum(len(r["calls"]) for r in group["rollouts"])  # that backend answered


def test_submit_wait_prints_a_table_whole_on_80_columns(service_url: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["rollout", "submit", "--server", service_url, "--task", "files-tag-final-report", "--n", "2", "--wait"],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [line for line in lines if "completed" in line]
    assert len(rows) == 2, result.stdout  # one row per rollout, its status unbroken
    for row in rows:
        cells = [cell.strip() for cell in row.split("│")]
        assert "1.000" in cells and "0.000" in cells, row  # reward and advantage, never folded
