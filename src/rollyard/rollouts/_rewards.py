"""Rewards and group advantages.

GRPO: advantage = reward - group mean (``grpo``), optionally over the group's std
(``grpo_std``). Leave-one-out (RLOO / LOOP): reward - mean of the *other* rollouts'
rewards, an unbiased baseline. Only usable rollouts (with a reward) enter a group's
statistics; the others get no advantage.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._types import AdvantageMethod, AgentOutcome, EvaluatorSpec


def group_advantages(
    rewards: Sequence[float | None], method: AdvantageMethod = "grpo", eps: float = 1e-6
) -> list[float | None]:
    """One advantage per reward (None where the reward is None)."""
    usable = [r for r in rewards if r is not None]
    n = len(usable)
    out: list[float | None] = []
    if n == 0:
        return [None for _ in rewards]
    mean = sum(usable) / n
    std = math.sqrt(sum((r - mean) ** 2 for r in usable) / n)
    total = sum(usable)
    for reward in rewards:
        if reward is None:
            out.append(None)
            continue
        match method:
            case "grpo":
                out.append(reward - mean)
            case "grpo_std":
                out.append((reward - mean) / (std + eps))
            case "rloo":
                out.append(reward - (total - reward) / (n - 1) if n > 1 else 0.0)
    return out


@dataclass
class EvaluationInput:
    """What a callable evaluator receives."""

    task_id: str
    outcome: AgentOutcome
    workspace: Path | None = None
    diff: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evaluation:
    reward: float
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)


_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


async def evaluate_command(spec: EvaluatorSpec, workspace: Path | None) -> Evaluation:
    from ._workspace import run_shell

    assert spec.command is not None
    code, output = await asyncio.to_thread(run_shell, spec.command, workspace, spec.timeout_s)
    details = {"exit_code": code, "output": output[-1000:]}
    if code is None:  # killed at its timeout: no reward, whatever it printed ("timed out after 60s")
        return Evaluation(0.0, False, details)
    if spec.parse_float:
        numbers = _FLOAT.findall(output)
        reward = float(numbers[-1]) if numbers else 0.0
        return Evaluation(reward, code == 0, details)
    return Evaluation(1.0 if code == 0 else 0.0, code == 0, details)


async def evaluate_callable(spec: EvaluatorSpec, data: EvaluationInput) -> Evaluation:
    assert spec.callable is not None
    module_name, _, attr = spec.callable.partition(":")
    function = getattr(importlib.import_module(module_name), attr)
    value = function(data)
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, Evaluation):
        return value
    reward = float(value)
    return Evaluation(reward, reward > 0, {"callable": spec.callable})
