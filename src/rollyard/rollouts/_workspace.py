"""Workspace tasks: a folder of files, an instruction for a harness CLI, and a shell check.

A harness rollout starts from ``task.prepare(workspace)``, the harness works in that folder,
and ``run_check(task, workspace, timeout_s)`` says whether it solved the task (the check's
exit status), with what the check printed.

    >>> task = WORKSPACE_TASKS["ws-hello"]
    >>> task.prepare(Path("/tmp/ws"))
    >>> run_check(task, Path("/tmp/ws"), timeout_s=30)
    (False, 'cat: hello.txt: No such file or directory')
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_OUTPUT_LIMIT = 4000


@dataclass(frozen=True)
class WorkspaceTask:
    """A task a harness solves by changing files in its workspace."""

    id: str
    instruction: str
    """What the harness is asked to do (its prompt)."""
    files: dict[str, str] = field(default_factory=dict)
    """The workspace's starting files: relative path -> text."""
    check: str = "true"
    """A shell command run in the workspace after the agent: exit 0 means solved. Under
    ``run_check``, ``python`` and ``python3`` on its PATH are the interpreter running rollyard."""

    def __post_init__(self) -> None:
        for name in self.files:
            _relative(name)

    def prepare(self, directory: Path) -> None:
        """Write the task's files into ``directory`` (created if missing)."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in self.files.items():
            path = directory / _relative(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


def _relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or ".." in path.parts:
        raise ValueError(f"workspace file {name!r} must be a relative path inside the workspace")
    return path


def check_env() -> dict[str, str]:
    """The environment a check (and a harness's shell) runs with: ours, with the directory of
    the running interpreter first on PATH, so ``python`` (and, in a venv, ``python3``) is the one
    that runs rollyard."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    return env


def run_shell(command: str, directory: Path | None, timeout_s: float = 60.0) -> tuple[int | None, str]:
    """Run a shell command in ``directory`` with ``check_env()``: (exit code, the tail of what
    it printed). A command that runs past ``timeout_s`` is killed with everything it started;
    its exit code is then None and its output starts with ``timed out after``."""
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=directory,
        env=check_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        output, _ = process.communicate()
        text = output.decode(errors="replace")[-_OUTPUT_LIMIT:].strip()
        return None, f"timed out after {timeout_s:g}s" + (f": {text}" if text else "")
    finally:
        if process.poll() is None:
            _kill_group(process.pid)
            process.wait()
    return int(process.returncode), output.decode(errors="replace")[-_OUTPUT_LIMIT:].strip()


def run_check(task: WorkspaceTask, directory: Path, timeout_s: float = 60.0) -> tuple[bool, str]:
    """Run ``task.check`` in ``directory``: (passed, the tail of what it printed).

    A check that runs past ``timeout_s`` is killed with everything it started and fails."""
    code, output = run_shell(task.check, directory, timeout_s)
    return code == 0, output if code is not None else f"check {output}"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


_FIX_ADD_MODULE = '''"""Small arithmetic helpers."""


def add(a, b):
    """Return the sum of a and b."""
    return a - b
'''

_FIX_ADD_TESTS = """from calc import add


def test_add():
    assert add(2, 3) == 5
    assert add(-1, 1) == 0
    assert add(0.5, 0.25) == 0.75


if __name__ == "__main__":
    test_add()
    print("ok")
"""

_JSON_CONFIG = '{\n  "name": "demo",\n  "debug": false,\n  "retries": 3\n}\n'

WORKSPACE_TASKS: dict[str, WorkspaceTask] = {
    task.id: task
    for task in [
        WorkspaceTask(
            id="ws-hello",
            instruction="Create a file hello.txt containing exactly: hello world",
            check='test "$(cat hello.txt)" = "hello world"',
        ),
        WorkspaceTask(
            id="ws-fix-add",
            instruction=(
                "The function add in calc.py returns the wrong result. Fix the bug so that the tests in "
                "test_calc.py pass (run them with: python test_calc.py). Do not change test_calc.py."
            ),
            files={"calc.py": _FIX_ADD_MODULE, "test_calc.py": _FIX_ADD_TESTS},
            # Checked independently of test_calc.py, which the agent could have edited.
            check=(
                "python3 -B -c 'from calc import add; "
                "assert add(2, 3) == 5; assert add(-1, 1) == 0; assert add(0.5, 0.25) == 0.75; "
                'assert add(10, -4) == 6; print("ok")\''
            ),
        ),
        WorkspaceTask(
            id="ws-rename",
            instruction="Rename the file draft.md to notes.md without changing its content.",
            files={"draft.md": "# Notes\nkeep this line\n"},
            check=(
                "test ! -e draft.md && python3 -c 'import pathlib, sys; "
                'sys.exit(pathlib.Path("notes.md").read_text() != "# Notes\\nkeep this line\\n")\''
            ),
        ),
        WorkspaceTask(
            id="ws-json-edit",
            instruction="In config.json, set debug to true. Keep every other setting as it is.",
            files={"config.json": _JSON_CONFIG},
            check=(
                "python3 -c 'import json, sys; "
                'c = json.load(open("config.json")); '
                'sys.exit(c != {"name": "demo", "debug": True, "retries": 3})\''
            ),
        ),
    ]
}
"""The built-in workspace tasks, by id."""
