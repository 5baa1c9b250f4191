"""What the rollout service runs and returns: group specs, rollouts, and the seams an
agent or evaluator plugs into."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RolloutStatus = Literal[
    "queued",
    "init",
    "running",
    "postrun",
    "completed",
    "failed",  # the agent ran but reported an error
    "timeout",  # the agent ran past the group's timeout and was stopped
    "crashed",  # the agent (or harness process) died
    "init_failed",  # the environment or workspace could not be prepared
    "cancelled",
    "skipped",  # early stop: enough usable samples without it
]
FINAL_STATUSES: frozenset[str] = frozenset(
    {"completed", "failed", "timeout", "crashed", "init_failed", "cancelled", "skipped"}
)
Stage = Literal["init", "run", "postrun"]
AdvantageMethod = Literal["grpo", "grpo_std", "rloo"]
GroupState = Literal["queued", "running", "done", "cancelled"]


class AgentSpec(BaseModel):
    """Who solves the task: a built-in strategy (``react``) or a harness CLI (``harness:codex``)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["strategy", "harness"] = "strategy"
    name: str = "react"
    model: str = "default"
    """The model name the agent asks the gateway for."""
    options: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, model: str = "default") -> AgentSpec:
        if text.startswith("harness:"):
            return cls(kind="harness", name=text.removeprefix("harness:"), model=model)
        return cls(kind="strategy", name=text, model=model)

    @property
    def label(self) -> str:
        return f"harness:{self.name}" if self.kind == "harness" else self.name


class EvaluatorSpec(BaseModel):
    """How a rollout is rewarded.

    ``contract``: the task's state-diff contract (reward = 1.0 if it passes, else its
    score when ``partial``); ``command``: a shell command run in the rollout's workspace
    (reward 1.0 on exit 0, or the last float it prints when ``parse_float``);
    ``callable``: ``module:function`` called with the ``EvaluationInput``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["contract", "command", "callable"] = "contract"
    command: str | None = None
    callable: str | None = None
    partial: bool = False
    parse_float: bool = False
    timeout_s: float = 60.0

    @model_validator(mode="after")
    def _check(self) -> EvaluatorSpec:
        if self.kind == "command" and not self.command:
            raise ValueError("a command evaluator needs 'command'")
        if self.kind == "callable" and not self.callable:
            raise ValueError("a callable evaluator needs 'callable' (module:function)")
        return self


class GroupSpec(BaseModel):
    """A group of ``n`` rollouts of one task (or of each of a suite's first ``tasks``)."""

    model_config = ConfigDict(extra="forbid")
    task: str | None = None
    """A task id (built-in suite or a workspace task), or None with ``suite``."""
    suite: str | None = None
    tasks: int | None = None
    """With ``suite``: its first N tasks (one group each)."""
    n: int = Field(default=4, ge=1, le=1024)
    agent: AgentSpec = Field(default_factory=AgentSpec)
    priority: int = 0
    """Higher runs first."""
    timeout_s: float = Field(default=600.0, gt=0)
    """Per rollout, for the agent's run."""
    early_stop: int | None = Field(default=None, ge=1)
    """Stop the group once this many rollouts completed usably (rest: ``skipped``)."""
    evaluator: EvaluatorSpec = Field(default_factory=EvaluatorSpec)
    callback_url: str | None = None
    builder: Literal["prefix_merge", "per_call"] = "prefix_merge"
    advantage: AdvantageMethod = "grpo"

    @model_validator(mode="after")
    def _check(self) -> GroupSpec:
        if (self.task is None) == (self.suite is None):
            raise ValueError("give exactly one of 'task' or 'suite'")
        return self


@dataclass
class Rollout:
    """One sample: its lifecycle, reward, advantage and trajectory."""

    id: str
    group_id: str
    task_id: str
    index: int
    session_id: str
    status: RolloutStatus = "queued"
    reward: float | None = None
    advantage: float | None = None
    error: str | None = None
    answer: str | None = None
    trajectory: list[dict[str, Any]] = field(default_factory=list)
    """Token samples (``TokenSample.row()``), built from the rollout's recorded calls."""
    calls: list[str] = field(default_factory=list)
    """Ids of the gateway records of this rollout's model calls."""
    evaluation: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage (``init``, ``run``, ``postrun``) and waiting (``queued``)."""

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group_id": self.group_id,
            "task_id": self.task_id,
            "index": self.index,
            "session_id": self.session_id,
            "status": self.status,
            "reward": self.reward,
            "advantage": self.advantage,
            "error": self.error,
            "answer": self.answer,
            "trajectory": self.trajectory,
            "calls": self.calls,
            "evaluation": self.evaluation,
            "timings": self.timings,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rollout:
        """A rollout as :meth:`to_dict` saved it (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class RolloutContext:
    """What an agent and an evaluator get for one rollout."""

    rollout_id: str
    session_id: str
    gateway_url: str
    """The gateway's session base URL for this rollout: ``http://127.0.0.1:PORT/s/SESSION``
    (OpenAI clients append ``/v1``; Anthropic clients use it as is)."""
    api_key: str
    """A per-rollout key (not a credential of any backend)."""
    instruction: str
    task_id: str
    workspace: Path | None = None
    gateway_unix_socket: str | None = None
    """The gateway also listens here: how a loopback-only namespace reaches it."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgentOutcome:
    status: Literal["completed", "failed", "timeout", "crashed"]
    answer: str | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class RolloutAgent(abc.ABC):
    """Runs one rollout's agent to completion (a strategy in-process, or a harness CLI)."""

    @abc.abstractmethod
    async def run(self, context: RolloutContext, timeout_s: float) -> AgentOutcome:
        """Never raises for agent trouble: a hang is ``timeout``, a dead process ``crashed``."""
