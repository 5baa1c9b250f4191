"""Tasks: an instruction in a seeded world, judged by a state-diff contract.

A task file (YAML or JSON) holds one task or a list of them::

    id: shop-refund-broken-mug
    world: shop
    seed: 0
    level: multi            # single | multi | long
    instruction: Refund order 1042's broken mug to the original payment.
    contract: {closed_world: true, assertions: [...]}   # see rollyard.evals.Contract
    user:                   # the scripted user behind the ask_user tool (optional)
      replies: [{when: [size], answer: "Large, please."}]
    answer: {contains: ["refund"]}                       # optional checks on the final text
    reference: [{tool: get_order, args: {order_id: 1042}}, ...]   # a call sequence that passes
    wrong: [{tool: ..., args: ...}]                      # a plausible sequence that must fail
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import ScriptedCall, ScriptedModel
from ..tools import Tool, Toolset, combine
from ._yaml import load_yaml

BUILTIN_SUITE = "builtin"
DEFAULT_USER_REPLY = "I have nothing to add; please go ahead with what you have."


class TaskError(ValueError):
    """A task file that cannot be used (names the file and the field)."""


class PlannedCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class UserReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: list[str] = Field(default_factory=list)
    """Words of which any, found in the question (case-insensitive), selects this reply;
    empty: any question."""
    answer: str


class ScriptedUserSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    replies: list[UserReply] = Field(default_factory=list)
    default: str = DEFAULT_USER_REPLY


class AnswerCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    must_ask: bool = False
    """The agent must have called ``ask_user`` (tasks with missing information)."""

    def failures(self, answer: str | None, asked: int) -> list[str]:
        text = (answer or "").lower()
        out = [f"answer lacks {word!r}" for word in self.contains if word.lower() not in text]
        out += [f"answer contains {word!r}" for word in self.not_contains if word.lower() in text]
        if self.must_ask and not asked:
            out.append("the agent never asked the user for the missing information")
        return out


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    world: str
    seed: int = 0
    level: Literal["single", "multi", "long"] = "multi"
    instruction: str
    contract: dict[str, Any]
    user: ScriptedUserSpec | None = None
    answer: AnswerCheck | None = None
    reference: list[PlannedCall]
    reference_answer: str = "Done."
    wrong: list[PlannedCall]
    wrong_answer: str = "Done."
    tags: list[str] = Field(default_factory=list)

    def solution_model(self, which: Literal["reference", "wrong"] = "reference") -> ScriptedModel:
        """A model backend double that plays the reference (or wrong) call sequence, one call
        a turn, then answers: how tests prove each task's contract tells them apart."""
        calls = self.reference if which == "reference" else self.wrong
        final = self.reference_answer if which == "reference" else self.wrong_answer
        script: list[Any] = [ScriptedCall(c.tool, c.args) for c in calls]
        return ScriptedModel([*script, final], name=f"{self.id}:{which}")


class ScriptedUser:
    """Answers ``ask_user`` from the task file; counts the questions."""

    def __init__(self, spec: ScriptedUserSpec | None) -> None:
        self.spec = spec or ScriptedUserSpec()
        self.questions: list[str] = []

    def reply(self, question: str) -> str:
        self.questions.append(question)
        lowered = question.lower()
        for reply in self.spec.replies:
            if not reply.when or any(word.lower() in lowered for word in reply.when):
                return reply.answer
        return self.spec.default

    def toolset(self) -> Toolset:
        def ask_user(question: str) -> str:
            """Ask the user a question when the task is missing information you need.

            Args:
                question: What you need to know.
            """
            return self.reply(question)

        return Toolset([Tool.from_function(ask_user)])


def task_toolset(world_tools: Toolset, user: ScriptedUser) -> Toolset:
    """The world's tools plus ``ask_user`` (snapshot/restore still reach the world)."""
    return combine(world_tools, user.toolset())


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise TaskError(f"{path}: cannot read the task file: {exc}") from None


def load_tasks(source: str | Path | Iterable[Path] = BUILTIN_SUITE) -> list[Task]:
    """Tasks from a file, a folder of files, or the built-in suite, in a stable order."""
    if isinstance(source, str) and source == BUILTIN_SUITE:
        folder = resources.files("rollyard.evals") / "tasks"
        paths: Sequence[Path] = sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yaml", ".json")))
    elif isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():
            paths = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        elif path.exists():
            paths = [path]
        else:
            raise TaskError(f"{path}: no such task file or folder")
    else:
        paths = list(source)
    tasks: list[Task] = []
    seen: set[str] = set()
    for path in paths:
        data = _read(path)
        for index, item in enumerate(data if isinstance(data, list) else [data]):
            try:
                task = Task.model_validate(item)
            except ValidationError as exc:
                where = f"{path}[{index}]"
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"])
                raise TaskError(f"{where}.{field}: {first['msg']}") from None
            if task.id in seen:
                raise TaskError(f"{path}: task id {task.id!r} appears twice")
            seen.add(task.id)
            tasks.append(task)
    return tasks
