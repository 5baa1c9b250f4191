"""Agent strategies over one runtime: the same ``Model``, toolset, budget and trace.

- ``ReAct``: the function-calling loop (a turn's tool calls run concurrently).
- ``ReWOO``: plan up front, execute, solve once.
- ``LLMCompiler``: a planned DAG dispatched concurrently while the plan streams.
- ``TreeSearch``: DFSDT (``order="dfs"``) and A* (``order="astar"``) over tool calls.
"""

from ._compiler import REPLAN_TOOL, LLMCompiler, PlanNode
from ._plan import PLAN_TOOL, IncrementalPlanParser, PlanStep, parse_step, resolve
from ._react import ReAct
from ._rewoo import ReWOO
from ._run import Budget, PendingApproval, RunResult, RunStatus, RunStopped, Runtime, Step
from ._search import GIVE_UP, SearchNode, TreeSearch

__all__ = [
    "GIVE_UP",
    "PLAN_TOOL",
    "REPLAN_TOOL",
    "Budget",
    "IncrementalPlanParser",
    "LLMCompiler",
    "PendingApproval",
    "PlanNode",
    "PlanStep",
    "ReAct",
    "ReWOO",
    "RunResult",
    "RunStatus",
    "RunStopped",
    "Runtime",
    "SearchNode",
    "Step",
    "TreeSearch",
    "parse_step",
    "resolve",
]
