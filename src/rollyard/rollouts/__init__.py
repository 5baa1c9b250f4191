"""The rollout service: groups of rollouts from any harness or built-in agent, staged,
evaluated, and handed to trainers with rewards, advantages and trajectories."""

from ._app import ServeSettings, build_rollout_app
from ._executor import Executor, LocalExecutor, Prepared, StrategyAgent, resolve_task
from ._rewards import Evaluation, EvaluationInput, group_advantages
from ._service import Group, PriorityGate, RolloutService, ServiceOptions
from ._types import (
    AgentOutcome,
    AgentSpec,
    EvaluatorSpec,
    GroupSpec,
    Rollout,
    RolloutAgent,
    RolloutContext,
    RolloutStatus,
)

__all__ = [
    "AgentOutcome",
    "AgentSpec",
    "Evaluation",
    "EvaluationInput",
    "EvaluatorSpec",
    "Executor",
    "Group",
    "GroupSpec",
    "LocalExecutor",
    "Prepared",
    "PriorityGate",
    "Rollout",
    "RolloutAgent",
    "RolloutContext",
    "RolloutService",
    "RolloutStatus",
    "ServeSettings",
    "ServiceOptions",
    "StrategyAgent",
    "build_rollout_app",
    "group_advantages",
    "resolve_task",
]
