"""Agent strategies over one runtime: the same ``Model``, toolset, budget and trace.

- ``ReAct``: the function-calling loop (a turn's tool calls run concurrently).
- ``LLMCompiler``: a planned DAG dispatched concurrently while the plan streams.
"""

from ._compiler import REPLAN_TOOL, LLMCompiler, PlanNode
from ._plan import PLAN_TOOL, IncrementalPlanParser, PlanStep, parse_step, resolve
from ._react import ReAct
from ._run import Budget, PendingApproval, RunResult, RunStatus, RunStopped, Runtime, Step

__all__ = [
    "PLAN_TOOL",
    "REPLAN_TOOL",
    "Budget",
    "IncrementalPlanParser",
    "LLMCompiler",
    "PendingApproval",
    "PlanNode",
    "PlanStep",
    "ReAct",
    "RunResult",
    "RunStatus",
    "RunStopped",
    "Runtime",
    "Step",
    "parse_step",
    "resolve",
]
