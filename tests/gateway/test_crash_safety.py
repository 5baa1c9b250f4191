"""kill -9 the gateway under concurrent load, restart it: the database opens cleanly
and every response a client received has its record."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx

from rollyard.models import ScriptedModel, model_app
from tests.servers import free_port, serve_app, start_rollyard

MAX_REQUESTS = 600
CLIENTS = 16


def _start_gateway(backend_url: str, db: Path, port: int) -> subprocess.Popen[bytes]:
    args = ["gateway", "--backend", f"{backend_url}/v1", "--backend-kind", "openai", "--db", f"sqlite:///{db}"]
    return start_rollyard(args, port)


def test_kill_9_under_load_loses_no_answered_call(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    backend = ScriptedModel(lambda request: "ok", name="scripted")
    with serve_app(model_app(backend)) as served:
        port = free_port()
        gateway = _start_gateway(served.url, db, port)
        received: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        sent = iter(range(MAX_REQUESTS))

        def client(n: int) -> None:
            with httpx.Client(timeout=5) as http:
                for i in sent:
                    if stop.is_set():
                        return
                    body = {"model": "m", "messages": [{"role": "user", "content": f"client {n} call {i}"}]}
                    try:
                        response = http.post(f"http://127.0.0.1:{port}/s/crash-{n}/v1/chat/completions", json=body)
                    except httpx.HTTPError:
                        continue  # the gateway died mid-call: that client got no answer
                    if response.status_code == 200:
                        with lock:
                            received.append(response.headers["x-rollyard-call-id"])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(received) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(gateway.pid, signal.SIGKILL)
        gateway.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        assert len(received) >= 100, "the load did not get going"

        # Restart on the same database: it opens cleanly and serves again.
        restarted = _start_gateway(served.url, db, port)
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/v1/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": "after"}]},
            )
            assert answer.status_code == 200
            received.append(answer.headers["x-rollyard-call-id"])
        finally:
            restarted.terminate()
            restarted.wait(timeout=20)

    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in connection.execute("SELECT id FROM calls")}
    missing = [call_id for call_id in received if call_id not in stored]
    assert not missing, f"{len(missing)} answered calls have no record"
