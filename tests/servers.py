"""Run an ASGI app under uvicorn on a real 127.0.0.1 socket, in a background thread."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

ADMIN_KEY = "admin-secret"
"""The admin key every test gateway is started with."""


@dataclass(frozen=True)
class ServedApp:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextlib.contextmanager
def serve_app(app: Any, host: str = "127.0.0.1") -> Iterator[ServedApp]:
    """Serve ``app`` until the block exits; the port is picked by the OS."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield ServedApp(host, port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (for a server in another process)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_rollyard(args: list[str], port: int, *, stderr: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """``python -m rollyard ARGS --port PORT`` in its own process, once its /healthz answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rollyard", *args, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=stderr
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, f"rollyard {args[0]} did not start"
        time.sleep(0.1)
