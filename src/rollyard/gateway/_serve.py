"""Serve a gateway app inside a running event loop (for ``rollyard eval``, the demo and the
rollout service): uvicorn on a 127.0.0.1 socket the OS picks (and optionally a Unix
socket, which is how a loopback-only network namespace reaches it), stopped on exit."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


@contextlib.asynccontextmanager
async def serve_in_loop(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, unix_socket: str | None = None
) -> AsyncIterator[str]:
    """Yields the base URL (``http://127.0.0.1:PORT``) while ``app`` serves."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    sockets = [sock]
    if unix_socket is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(unix_socket)
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(unix_socket)
        os.chmod(unix_socket, 0o600)
        sockets.append(unix)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    # Ctrl-C belongs to the caller (it cancels the caller's work, whose exit stops us).
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=sockets))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the gateway stopped while starting")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=15)
        for item in sockets:
            item.close()
        if unix_socket is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(unix_socket)
