"""A real gateway for harness rollouts: the scripted double behind it, a real SQLite store,
served on 127.0.0.1 and a Unix socket (what a loopback-only namespace reaches), with a record
of the key every request carried."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollyard.gateway import Backend, BackendConfig, GatewayConfig, Router, build_app, serve_in_loop
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.rollouts._harness import HARNESS_PACKAGES, HarnessName, harness_bin_dir, harness_prefix
from rollyard.store import CallRecord, Store, open_store
from rollyard.wire import Request, TextPart, ToolResultPart

SOLVE_HELLO = "printf 'hello world' > hello.txt"
FINAL_ANSWER = "I wrote hello.txt."

# The shell tool each harness offers, and arguments that run SOLVE_HELLO with it.
SHELL_CALLS: dict[str, dict[str, Any]] = {
    "exec_command": {"cmd": SOLVE_HELLO},  # Codex CLI
    "Bash": {"command": SOLVE_HELLO, "description": "Write hello.txt"},  # Claude Code
    "run_shell_command": {"command": SOLVE_HELLO, "description": "Write hello.txt"},  # Qwen Code
    "bash": {"command": SOLVE_HELLO, "description": "Write hello.txt"},  # opencode
}


def _last_user_text(request: Request) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return "".join(p.text for p in message.parts if isinstance(p, TextPart))
    return ""


def solve_hello(request: Request) -> str | ScriptedCall:
    """Call 1: the harness's shell tool runs SOLVE_HELLO. Once a tool result is in the
    conversation: a text answer. ``echo:...`` prompts are echoed (the bridge test's probes);
    background calls without a shell tool (titles, summaries) get a plain answer."""
    text = _last_user_text(request)
    if text.startswith("echo:"):
        return text
    if any(isinstance(p, ToolResultPart) for m in request.messages for p in m.parts):
        return FINAL_ANSWER
    names = {t.name for t in request.tools}
    for name, arguments in SHELL_CALLS.items():
        if name in names:
            return ScriptedCall(name, arguments)
    return "OK"


ReplyFunction = Callable[[Request], Any]
"""A scripted reply (text, a tool call, or an awaitable of one) for each request."""

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


@dataclass
class KeyLog:
    """Wraps an ASGI app, noting each HTTP request's path and the key it carried."""

    app: ASGIApp
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            auth = headers.get("authorization", "")
            key = auth[7:].strip() if auth.lower().startswith("bearer ") else headers.get("x-api-key")
            self.seen.append((scope["path"], key))
        await self.app(scope, receive, send)


@dataclass
class Gateway:
    url: str
    unix_socket: str
    store: Store
    model: ScriptedModel
    keys: KeyLog

    async def calls(self, session_id: str) -> list[CallRecord]:
        return await self.store.calls(session_id)


@contextlib.asynccontextmanager
async def running_gateway(directory: Path, reply: ReplyFunction = solve_hello) -> AsyncIterator[Gateway]:
    """The gateway over the scripted double, recording to ``directory/calls.db``."""
    db = f"sqlite:///{directory / 'calls.db'}"
    store = open_store(db)
    model = ScriptedModel(reply, token_ids=True)
    router = Router([Backend(BackendConfig(name="scripted", kind="embedded"), model)])
    keys = KeyLog(build_app(GatewayConfig(db=db), store=store, router=router))
    # Unix socket paths are short (108 bytes): not under pytest's long tmp_path.
    socket_dir = tempfile.mkdtemp(prefix="ry-gw-")
    unix_socket = os.path.join(socket_dir, "gw.sock")
    try:
        async with serve_in_loop(keys, unix_socket=unix_socket) as url:
            yield Gateway(url, unix_socket, store, model, keys)
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


def ensure_harness(name: HarnessName) -> Path | None:
    """The bin dir holding ``name``, installed from npm into the harness prefix if missing
    (as ``.ci/run`` does); None only when it is absent and npm cannot install it."""
    bin_dir = harness_bin_dir()
    if (bin_dir / name).exists():
        return bin_dir
    npm = shutil.which("npm")
    if npm is None:
        return None
    command = [npm, "install", "--no-fund", "--no-audit", "--loglevel=error", "--prefix", str(harness_prefix())]
    try:
        subprocess.run([*command, HARNESS_PACKAGES[name]], check=True, timeout=600, capture_output=True)
    except (subprocess.SubprocessError, OSError):
        return None
    return bin_dir if (bin_dir / name).exists() else None


def run(coroutine: Awaitable[Any]) -> Any:
    """Run a test scenario on a fresh event loop."""

    async def main() -> Any:
        return await coroutine

    return asyncio.run(main())
