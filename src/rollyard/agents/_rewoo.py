"""ReWOO: plan every call up front (with references to earlier results), execute the
plan, then one solver call answers from the evidence.

Two model calls however many tools run, so the prompt never re-sends a growing
history (ReAct's cost on multi-step tasks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import Message, TextPart, ToolChoice
from ._dag import PlanExecutor, PlanNode, results_text
from ._plan import PLAN_TOOL, PlanStep, plan_from_message, plan_tool, planner_messages
from ._run import Budget, RunResult, RunStopped, Runtime, Strategy


@dataclass
class _ReWOOState:
    runtime: Runtime
    task: str
    steps: list[PlanStep] | None = None
    reuse: dict[int, ToolResult] = field(default_factory=dict)


class ReWOO(Strategy):
    """Planner, worker, solver. The worker runs the plan in order (``concurrent=True``
    runs independent steps at once); references pass the tools' Python values."""

    name = "rewoo"

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        concurrent: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(model, toolset, budget, **options)
        self.concurrent = concurrent

    async def run(self, task: str) -> RunResult:
        runtime = self.runtime()
        state = _ReWOOState(runtime, task)
        return await self.guarded(runtime, self._solve(state), state)

    async def resume(self, paused: RunResult, decisions: dict[str, bool]) -> RunResult:
        state = paused.state
        if not isinstance(state, _ReWOOState) or paused.status != "awaiting_approval":
            raise ValueError("this result has no paused ReWOO run to resume")
        state.runtime.resume(decisions)
        return await self.guarded(state.runtime, self._solve(state), state)

    async def _solve(self, state: _ReWOOState) -> RunResult:
        runtime = state.runtime
        if state.steps is None:
            request = self.request(
                planner_messages(self.toolset, state.task),
                tools=[plan_tool(self.toolset)],
                tool_choice=ToolChoice("tool", PLAN_TOOL.name),
            )
            state.steps = plan_from_message((await runtime.llm(request, name="plan")).message)
        executor = PlanExecutor(runtime, 0, sequential=not self.concurrent, reuse=state.reuse)
        for step in state.steps:
            executor.add(step)
        try:
            nodes = await executor.wait()
        finally:
            runtime.result.dag = executor.nodes
            state.reuse = executor.results()
        if all(n.status == "parse_error" for n in nodes):
            raise RunStopped("parse_error", "the planner produced no readable plan")
        answer = await self._solver(runtime, state.task, nodes)
        return runtime.finish(answer)

    async def _solver(self, runtime: Runtime, task: str, nodes: list[PlanNode]) -> str:
        prompt = (
            f"Task: {task}\nA plan was run; each line is a step and its result:\n{results_text(nodes)}\n"
            "Answer the task briefly from these results."
        )
        response = await runtime.llm(self.request([Message("user", [TextPart(prompt)])]), name="solve")
        return response.message.text
