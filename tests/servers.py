"""Run an ASGI app under uvicorn on a real 127.0.0.1 socket, in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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
