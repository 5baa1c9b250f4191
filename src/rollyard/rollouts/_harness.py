"""Harness CLIs as rollout agents: Codex CLI, Claude Code, Qwen Code and opencode, one
process per rollout, each in a loopback-only network namespace.

Per rollout the harness gets a private HOME (its config, caches and temp files; removed
afterwards), the rollout's workspace as its working directory, the per-rollout key as its
provider key, and ``http://127.0.0.1:PORT/s/SESSION`` as its base URL, where PORT is the
namespace's end of the bridge to the gateway's Unix socket (see ``_bridge``). Updates,
telemetry and other vendor traffic are switched off (and could not leave the namespace anyway).

    >>> agent = HarnessAgent("codex", model="default")
    >>> outcome = await agent.run(context, timeout_s=600)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from ._bridge import DEFAULT_PORT, namespace_command
from ._types import AgentOutcome, RolloutAgent, RolloutContext

HarnessName = Literal["codex", "claude", "qwen", "opencode"]

HARNESS_PACKAGES: dict[HarnessName, str] = {
    "codex": "@openai/codex@0.169.0",
    "claude": "@anthropic-ai/claude-code@2.1.197",
    "qwen": "@qwen-code/qwen-code@0.15.10",
    "opencode": "opencode-ai@1.18.33",
}
"""The npm package of each harness, at the version rollyard is tested with."""

_KEY_ENV = "ROLLYARD_API_KEY"
_DETAIL_CHARS = 8000
_ERROR_CHARS = 2000


def harness_prefix() -> Path:
    """Where the harness CLIs are installed with npm: ``$ROLLYARD_HARNESS_PREFIX``, by
    default ``~/.cache/rollyard/harnesses``."""
    configured = os.environ.get("ROLLYARD_HARNESS_PREFIX")
    return Path(configured) if configured else Path.home() / ".cache" / "rollyard" / "harnesses"


def harness_bin_dir() -> Path:
    """The folder holding the harness executables: ``<prefix>/node_modules/.bin``."""
    return harness_prefix() / "node_modules" / ".bin"


@dataclass
class _Launch:
    """How to run one harness for one rollout."""

    argv: list[str]
    env: dict[str, str]
    stdin: bytes
    files: dict[Path, str] = field(default_factory=dict)
    """Config files to write into the private home before starting."""


@dataclass(frozen=True)
class _Setup:
    binary: Path
    home: Path
    workspace: Path
    base_url: str
    """The session URL as the harness sees it (through the bridge): ``http://127.0.0.1:P/s/S``."""
    api_key: str
    model: str
    instruction: str


_Answer = tuple[str | None, str | None]
"""(the harness's final text, the error it reported)."""


# ---- recipes: one per harness (flags, env and config files that run it headless) ----


def _codex(setup: _Setup) -> _Launch:
    config = "\n".join(
        [
            f"model = {json.dumps(setup.model)}",
            'model_provider = "rollyard"',
            'approval_policy = "never"',
            'sandbox_mode = "workspace-write"',
            "check_for_update_on_startup = false",
            'web_search = "disabled"',  # a hosted tool: no gateway backend can run it
            "",
            "[model_providers.rollyard]",
            'name = "rollyard"',
            f"base_url = {json.dumps(setup.base_url + '/v1')}",
            f"env_key = {json.dumps(_KEY_ENV)}",
            'wire_api = "responses"',
            "",
            "[analytics]",
            "enabled = false",
            "",
            "[feedback]",
            "enabled = false",
            "",
            "[features]",
            "plugins = false",
            "",
        ]
    )
    argv = [
        str(setup.binary),
        "exec",
        "--skip-git-repo-check",
        "--ephemeral",
        "--color",
        "never",
        "-s",
        "workspace-write",
        "-C",
        str(setup.workspace),
        "-m",
        setup.model,
        "-o",
        str(setup.home / "last-message.txt"),
        "-",  # the prompt comes on stdin (no length limit, never mistaken for a flag)
    ]
    env = {"CODEX_HOME": str(setup.home / ".codex"), _KEY_ENV: setup.api_key}
    return _Launch(argv, env, setup.instruction.encode(), {setup.home / ".codex" / "config.toml": config})


def _codex_answer(setup: _Setup, stdout: str) -> _Answer:
    path = setup.home / "last-message.txt"
    text = path.read_text(errors="replace").strip() if path.exists() else ""
    return (text or None), None


def _claude(setup: _Setup) -> _Launch:
    argv = [
        str(setup.binary),
        "-p",  # the prompt comes on stdin
        "--model",
        setup.model,
        "--output-format",
        "json",
        "--dangerously-skip-permissions",  # the namespace and the workspace are the sandbox
    ]
    env = {
        "ANTHROPIC_BASE_URL": setup.base_url,
        "ANTHROPIC_API_KEY": setup.api_key,
        "CLAUDE_CONFIG_DIR": str(setup.home / ".claude"),
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_BUG_COMMAND": "1",
        # Root may skip permissions only in a declared sandbox, which this is.
        "IS_SANDBOX": "1",
        # Background and sub-agent calls ask for the rollout's model too, not a vendor's.
        "ANTHROPIC_SMALL_FAST_MODEL": setup.model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": setup.model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": setup.model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": setup.model,
        "CLAUDE_CODE_SUBAGENT_MODEL": setup.model,
    }
    return _Launch(argv, env, setup.instruction.encode())


def _qwen(setup: _Setup) -> _Launch:
    settings = {
        "security": {"auth": {"selectedType": "openai"}},
        "model": {"name": setup.model},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
        "general": {"enableAutoUpdate": False, "disableAutoUpdate": True, "disableUpdateNag": True},
        "$version": 4,
    }
    argv = [str(setup.binary), "--auth-type", "openai", "--yolo", "-o", "json", "-m", setup.model]
    env = {"OPENAI_API_KEY": setup.api_key, "OPENAI_BASE_URL": setup.base_url + "/v1", "OPENAI_MODEL": setup.model}
    files = {setup.home / ".qwen" / "settings.json": json.dumps(settings, indent=2)}
    return _Launch(argv, env, setup.instruction.encode(), files)


def _result_event_answer(setup: _Setup, stdout: str) -> _Answer:
    """Claude Code (one JSON object) and Qwen Code (a JSON array of events) end with a
    ``{"type": "result", "result": ..., "is_error": ...}`` event."""
    events: list[Any] = []
    for candidate in (stdout, *reversed(stdout.splitlines())):
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        events = parsed if isinstance(parsed, list) else [parsed]
        break
    for event in reversed(events):
        if isinstance(event, dict) and event.get("type") == "result":
            result = event.get("result")
            text = result if isinstance(result, str) else None
            if event.get("is_error"):
                return text, f"the harness reported an error: {text or event.get('subtype') or 'unknown'}"
            return text, None
    return None, None


def _opencode(setup: _Setup) -> _Launch:
    config = {
        "$schema": "https://opencode.ai/config.json",
        "model": f"rollyard/{setup.model}",
        "small_model": f"rollyard/{setup.model}",
        "autoupdate": False,
        "share": "disabled",
        "permission": {"*": "allow"},
        "provider": {
            "rollyard": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "rollyard",
                "options": {"baseURL": setup.base_url + "/v1", "apiKey": "{env:" + _KEY_ENV + "}"},
                "models": {setup.model: {"name": setup.model}},
            }
        },
    }
    path = setup.home / "opencode.json"
    argv = [str(setup.binary), "run", "--format", "json", "--model", f"rollyard/{setup.model}"]
    env = {
        "OPENCODE_CONFIG": str(path),
        _KEY_ENV: setup.api_key,
        "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_MODELS_FETCH": "1",
        "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
        "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
    }
    return _Launch(argv, env, setup.instruction.encode(), {path: json.dumps(config, indent=2)})


def _opencode_answer(setup: _Setup, stdout: str) -> _Answer:
    """``opencode run --format json`` prints one event per line; the answer is the last text part."""
    answer: str | None = None
    error: str | None = None
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        part = event.get("part")
        if event.get("type") == "text" and isinstance(part, dict) and isinstance(part.get("text"), str):
            answer = part["text"]
        elif event.get("type") == "error":
            error = f"the harness reported an error: {json.dumps(event.get('error'))[:_ERROR_CHARS]}"
    return answer, error


@dataclass(frozen=True)
class _Recipe:
    binary: str
    launch: Callable[[_Setup], _Launch]
    answer: Callable[[_Setup, str], _Answer]


_RECIPES: dict[HarnessName, _Recipe] = {
    "codex": _Recipe("codex", _codex, _codex_answer),
    "claude": _Recipe("claude", _claude, _result_event_answer),
    "qwen": _Recipe("qwen", _qwen, _result_event_answer),
    "opencode": _Recipe("opencode", _opencode, _opencode_answer),
}


# ---- running one process tree, bounded ----


class _Tail:
    """The last ``limit`` bytes of a stream (and how many there were in all)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        while chunk := await stream.read(64 * 1024):
            self.total += len(chunk)
            self.data += chunk
            if len(self.data) > self.limit:
                del self.data[: len(self.data) - self.limit]

    def text(self, chars: int | None = None) -> str:
        decoded = self.data.decode(errors="replace")
        return decoded if chars is None else decoded[-chars:]


def _signal_group(pgid: int, number: int) -> bool:
    """Signal a process group; False once nothing is left in it."""
    try:
        os.killpg(pgid, number)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _stop_tree(process: asyncio.subprocess.Process, grace_s: float) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace_s``; returns once the leader is reaped
    (with the namespace's PID namespace, its death takes every process inside with it)."""
    pgid = process.pid
    if process.returncode is None:
        _signal_group(pgid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(process.wait()), grace_s)
    _signal_group(pgid, signal.SIGKILL)
    await process.wait()
    # Group members die just after the leader; wait briefly so nothing outlives the rollout.
    deadline = time.monotonic() + 5
    while _signal_group(pgid, 0) and time.monotonic() < deadline:
        _signal_group(pgid, signal.SIGKILL)
        await asyncio.sleep(0.02)


def _exit_error(name: str, code: int, stderr: str) -> str:
    if code < 0:
        try:
            what = f"{name} was killed by {signal.Signals(-code).name}"
        except ValueError:
            what = f"{name} was killed by signal {-code}"
    elif code > 128 and code - 128 < signal.NSIG:
        what = f"{name} exited with code {code} (signal {code - 128})"
    else:
        what = f"{name} exited with code {code}"
    if "unshare failed" in stderr or "unshare:" in stderr:
        what += " (the loopback-only network namespace could not be created: it needs root or user namespaces)"
    tail = stderr.strip()[-_ERROR_CHARS:]
    return f"{what}: {tail}" if tail else what


def _bridged_url(gateway_url: str, port: int) -> str:
    """The session URL as seen inside the namespace: same path, the bridge's address."""
    path = urlsplit(gateway_url).path.rstrip("/")
    return f"http://127.0.0.1:{port}{path}"


class HarnessAgent(RolloutAgent):
    """Runs one harness CLI per rollout, isolated, against the rollout's gateway session.

    Args:
        name: which harness: ``codex`` (Codex CLI), ``claude`` (Claude Code), ``qwen`` (Qwen
            Code) or ``opencode``.
        bin_dir: where its executable is (default: ``harness_bin_dir()``).
        model: the model name the harness asks the gateway for.
        scratch_dir: where the per-rollout private homes are made (default: the system temp dir).
        env: extra environment variables for the harness.
        max_output_bytes: how much of the harness's stdout and stderr is kept (the end of each).
        kill_grace_s: on timeout, how long the harness has after SIGTERM before SIGKILL.
        port: the bridge's port inside the namespace.
    """

    def __init__(
        self,
        name: HarnessName,
        *,
        bin_dir: Path | None = None,
        model: str = "default",
        scratch_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        max_output_bytes: int = 1 << 20,
        kill_grace_s: float = 2.0,
        port: int = DEFAULT_PORT,
    ) -> None:
        if name not in _RECIPES:
            raise ValueError(f"unknown harness {name!r}; known: {', '.join(get_args(HarnessName))}")
        self.name: HarnessName = name
        self.bin_dir = bin_dir if bin_dir is not None else harness_bin_dir()
        self.model = model
        self.scratch_dir = scratch_dir
        self.env = dict(env or {})
        self.max_output_bytes = max_output_bytes
        self.kill_grace_s = kill_grace_s
        self.port = port

    @property
    def binary(self) -> Path:
        return self.bin_dir / _RECIPES[self.name].binary

    async def run(self, context: RolloutContext, timeout_s: float) -> AgentOutcome:
        """Run the harness on ``context.instruction`` in ``context.workspace``; never raises for
        harness trouble (a hang is ``timeout``, a nonzero exit or a death ``crashed``)."""
        recipe = _RECIPES[self.name]
        if not os.access(self.binary, os.X_OK):
            package = HARNESS_PACKAGES[self.name]
            return AgentOutcome(
                "crashed",
                error=f"{self.name} is not installed: no {self.binary} "
                f"(install it with: npm install --prefix {self.bin_dir.parent.parent} {package})",
                details={"harness": self.name},
            )
        if context.gateway_unix_socket is None:
            return AgentOutcome(
                "crashed",
                error="the gateway has no Unix socket, so a loopback-only namespace cannot reach it "
                "(serve it with serve_in_loop(..., unix_socket=PATH))",
                details={"harness": self.name},
            )
        if self.scratch_dir is not None:
            self.scratch_dir.mkdir(parents=True, exist_ok=True)
        home = Path(tempfile.mkdtemp(prefix=f"rollyard-{self.name}-", dir=self.scratch_dir))
        try:
            workspace = context.workspace if context.workspace is not None else home / "workspace"
            workspace.mkdir(parents=True, exist_ok=True)
            setup = _Setup(
                binary=self.binary,
                home=home,
                workspace=workspace.resolve(),
                base_url=_bridged_url(context.gateway_url, self.port),
                api_key=context.api_key,
                model=self.model,
                instruction=context.instruction,
            )
            launch = recipe.launch(setup)
            for path, text in launch.files.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            env = self._environment(home)
            env.update(launch.env)
            command = namespace_command(launch.argv, unix_socket=context.gateway_unix_socket, port=self.port)
            return await self._supervise(command, env, launch.stdin, setup, recipe, timeout_s)
        finally:
            shutil.rmtree(home, ignore_errors=True)

    def _environment(self, home: Path) -> dict[str, str]:
        """A clean environment (none of our credentials): the private home and temp dir,
        PATH with the harness's and our interpreter's folders first, locale, extras."""
        env = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME")}
        path = [str(self.bin_dir), str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)]
        tmp = home / "tmp"
        tmp.mkdir(exist_ok=True)
        env.update(
            PATH=os.pathsep.join(path),
            HOME=str(home),
            TMPDIR=str(tmp),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
            TERM="dumb",
            NO_COLOR="1",
            DO_NOT_TRACK="1",
        )
        env.update(self.env)
        return env

    async def _supervise(
        self,
        command: list[str],
        env: dict[str, str],
        stdin: bytes,
        setup: _Setup,
        recipe: _Recipe,
        timeout_s: float,
    ) -> AgentOutcome:
        started = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=setup.workspace,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group: a timeout kills the whole tree
            )
        except OSError as error:
            return AgentOutcome(
                "crashed", error=f"could not start {self.name}: {error}", details={"harness": self.name}
            )
        stdout, stderr = _Tail(self.max_output_bytes), _Tail(self.max_output_bytes)
        readers = [asyncio.create_task(stdout.drain(process.stdout)), asyncio.create_task(stderr.drain(process.stderr))]
        timed_out = False
        try:
            async with asyncio.timeout(timeout_s):
                await _feed(process, stdin)
                await process.wait()
        except TimeoutError:
            timed_out = True
        finally:
            # Also on cancellation: nothing the harness started outlives the rollout.
            await _stop_tree(process, self.kill_grace_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*readers, return_exceptions=True), 5)
            for reader in readers:
                reader.cancel()
        code = process.returncode
        assert code is not None
        details: dict[str, Any] = {
            "harness": self.name,
            "exit_code": code,
            "duration_s": round(time.monotonic() - started, 3),
            "stdout": stdout.text(_DETAIL_CHARS),
            "stderr": stderr.text(_DETAIL_CHARS),
            "stdout_bytes": stdout.total,
            "stderr_bytes": stderr.total,
        }
        if timed_out:
            return AgentOutcome(
                "timeout", error=f"{self.name} ran past its timeout of {timeout_s:g}s and was stopped", details=details
            )
        if code != 0:
            return AgentOutcome("crashed", error=_exit_error(self.name, code, stderr.text()), details=details)
        answer, reported = recipe.answer(setup, stdout.text())
        if reported is not None:
            return AgentOutcome("failed", answer=answer, error=reported, details=details)
        return AgentOutcome("completed", answer=answer, details=details)


async def _feed(process: asyncio.subprocess.Process, data: bytes) -> None:
    """Write the prompt to the harness's stdin and close it (a harness that exits without
    reading it is not an error here; its exit status tells)."""
    assert process.stdin is not None
    try:
        process.stdin.write(data)
        await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        process.stdin.close()
