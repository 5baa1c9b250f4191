"""The rollout service: groups of rollouts from any harness or built-in agent, staged,
evaluated, and handed to trainers with rewards, advantages and trajectories."""

from ._app import ServeSettings, build_rollout_app
from ._executor import Executor, LocalExecutor, Prepared, StrategyAgent, resolve_task
from ._harness import HARNESS_PACKAGES, HarnessAgent, harness_bin_dir
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
from ._workspace import WORKSPACE_TASKS, WorkspaceTask, run_check

__all__ = [
    "HARNESS_PACKAGES",
    "WORKSPACE_TASKS",
    "AgentOutcome",
    "AgentSpec",
    "Evaluation",
    "EvaluationInput",
    "EvaluatorSpec",
    "Executor",
    "Group",
    "GroupSpec",
    "HarnessAgent",
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
    "WorkspaceTask",
    "build_rollout_app",
    "group_advantages",
    "harness_bin_dir",
    "resolve_task",
    "run_check",
]
