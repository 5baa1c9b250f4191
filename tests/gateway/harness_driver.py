"""Run one real harness CLI through the gateway against a scripted backend.

Meant to run inside ``loopback-only.sh`` (a network namespace with only 127.0.0.1):
it starts the scripted chat backend and the gateway on loopback ports, runs the
harness with its base URL pointed at the gateway, and exits with the harness's code.

    python -m tests.gateway.harness_driver --harness codex --db /tmp/calls.db --bin DIR --workdir DIR
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rollyard.gateway import BackendConfig, GatewayConfig, build_app
from rollyard.models import ScriptedCall, ScriptedModel, model_app
from rollyard.wire import Request, ToolResultPart
from tests.servers import serve_app

# The call each harness's tool list makes possible, and the final answer.
TOOL_CALLS = {
    "exec_command": {"cmd": "ls"},
    "Bash": {"command": "ls", "description": "List files in the current directory"},
    "run_shell_command": {"command": "ls", "description": "List files in the current directory"},
}
FINAL_ANSWER = "The directory contains hello.txt."


def scripted_reply(request: Request) -> str | ScriptedCall:
    """Call 1 (no tool result yet): a shell tool call. Call 2: a text answer."""
    if any(isinstance(p, ToolResultPart) for m in request.messages for p in m.parts):
        return FINAL_ANSWER
    names = {t.name for t in request.tools}
    for name, arguments in TOOL_CALLS.items():
        if name in names:
            return ScriptedCall(name, arguments)
    return "OK"  # background calls (titles, summaries) get a plain answer


def run_codex(gateway_url: str, bin_dir: Path, workdir: Path) -> int:
    home = Path(tempfile.mkdtemp(prefix="codex-home-"))
    (home / "config.toml").write_text(
        'model = "gpt-5-codex"\nmodel_provider = "stub"\ncheck_for_update_on_startup = false\n\n'
        f'[model_providers.stub]\nname = "stub"\nbase_url = "{gateway_url}/v1"\n'
        'env_key = "STUB_API_KEY"\nwire_api = "responses"\n\n[analytics]\nenabled = false\n\n'
        "[feedback]\nenabled = false\n"
    )
    env = {**os.environ, "CODEX_HOME": str(home), "STUB_API_KEY": "sk-fake"}
    command = [
        str(bin_dir / "codex"), "exec", "--skip-git-repo-check", "--ephemeral",
        "-s", "read-only", "--disable", "plugins", "List the files here",
    ]  # fmt: skip
    return subprocess.run(command, cwd=workdir, env=env, timeout=240, stdin=subprocess.DEVNULL).returncode


def run_claude(gateway_url: str, bin_dir: Path, workdir: Path) -> int:
    home = Path(tempfile.mkdtemp(prefix="claude-home-"))
    env = {
        **os.environ,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": gateway_url,
        "ANTHROPIC_API_KEY": "sk-ant-fake",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }
    command = [str(bin_dir / "claude"), "-p", "List the files here", "--allowedTools", "Bash(ls)"]
    return subprocess.run(command, cwd=workdir, env=env, timeout=240, stdin=subprocess.DEVNULL).returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--harness", choices=["codex", "claude"], required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--bin", required=True, type=Path)
    parser.add_argument("--workdir", required=True, type=Path)
    args = parser.parse_args()
    backend = ScriptedModel(scripted_reply, name="scripted")
    with serve_app(model_app(backend)) as served_backend:
        config = GatewayConfig(
            db=f"sqlite:///{args.db}",
            backends=[BackendConfig(name="scripted", kind="openai", url=f"{served_backend.url}/v1", max_retries=0)],
        )
        with serve_app(build_app(config)) as gateway:
            run = run_codex if args.harness == "codex" else run_claude
            code = run(gateway.url, args.bin, args.workdir)
    print(json.dumps({"harness": args.harness, "exit": code, "backend_calls": len(backend.requests)}))
    sys.exit(code)


if __name__ == "__main__":
    main()
