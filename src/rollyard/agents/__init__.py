"""Agent strategies over one runtime: the same ``Model``, toolset, budget and trace.

- ``ReAct``: the function-calling loop (a turn's tool calls run concurrently).
- ``ReWOO``: plan every call up front, run the plan, solve from the evidence.
- ``LLMCompiler``: a planned DAG dispatched concurrently while the plan streams.
- ``DFSDT`` / ``AStar``: tree search over tool-call sequences (ToolLLM, ToolChain*).

Every strategy has ``async run(task) -> RunResult`` and, after a pause for approval,
``resume(result, decisions)``; ``make_strategy(name, ...)`` picks one by name.
"""

from ._compiler import REPLAN_TOOL, LLMCompiler
from ._dag import PlanExecutor, PlanNode, results_text
from ._plan import PLAN_TOOL, IncrementalPlanParser, PlanStep, parse_plan, parse_step, plan_tool, resolve
from ._react import ReAct
from ._registry import STRATEGIES, make_strategy
from ._rewoo import ReWOO
from ._run import Budget, PendingApproval, RunResult, RunStatus, RunStopped, Runtime, Step, Strategy
from ._search import DFSDT, FINISH_TOOL, AStar, SearchNode, TreeSearch

__all__ = [
    "DFSDT",
    "FINISH_TOOL",
    "PLAN_TOOL",
    "REPLAN_TOOL",
    "STRATEGIES",
    "AStar",
    "Budget",
    "IncrementalPlanParser",
    "LLMCompiler",
    "PendingApproval",
    "PlanExecutor",
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
    "Strategy",
    "TreeSearch",
    "make_strategy",
    "parse_plan",
    "parse_step",
    "plan_tool",
    "resolve",
    "results_text",
]
