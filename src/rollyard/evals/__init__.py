"""Evaluation: tasks, state-diff contracts, BFCL checkers, the eval runner and its reports."""

from ._bfcl_ast import check_calls
from ._bfcl_data import BFCL_VERSION, BFCLCase, BFCLCheck, BFCLDataError, bfcl_categories, ensure_bfcl, load_bfcl
from ._bfcl_multi import MultiTurnRun, check_multi_turn
from ._contracts import AssertionResult, Contract, ContractError, DiffError, Verdict, check_contract
from ._report import render_report, write_report
from ._runner import AgentSettings, CaseResult, EvalCase, EvalRun, load_suite, run_case, summarize
from ._tasks import AnswerCheck, PlannedCall, ScriptedUser, Task, TaskError, load_tasks, task_toolset
from ._through_gateway import ModelChoice, through_gateway

__all__ = [
    "BFCL_VERSION",
    "AgentSettings",
    "AnswerCheck",
    "AssertionResult",
    "BFCLCase",
    "BFCLCheck",
    "BFCLDataError",
    "CaseResult",
    "Contract",
    "ContractError",
    "DiffError",
    "EvalCase",
    "EvalRun",
    "ModelChoice",
    "MultiTurnRun",
    "PlannedCall",
    "ScriptedUser",
    "Task",
    "TaskError",
    "Verdict",
    "bfcl_categories",
    "check_calls",
    "check_contract",
    "check_multi_turn",
    "ensure_bfcl",
    "load_bfcl",
    "load_suite",
    "load_tasks",
    "render_report",
    "run_case",
    "summarize",
    "task_toolset",
    "through_gateway",
    "write_report",
]
