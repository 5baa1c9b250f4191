"""LLMCompiler: the planner emits a DAG of tool calls with references; a dispatcher
starts every step whose inputs are ready, concurrently, while the plan is still
streaming; a joiner answers or asks for a replan (bounded).

Values pass as typed data: ``{"$ref": 2}`` becomes step 2's returned Python value
(dict, list, number...), never its text spliced into a string."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import Message, PartStart, TextDelta, TextPart, ToolArgsDelta, ToolChoice, ToolSpec
from ._dag import PlanExecutor, PlanNode, results_text
from ._plan import PLAN_TOOL, IncrementalPlanParser, PlanStep, parse_plan, plan_tool, planner_messages
from ._run import Budget, RunResult, RunStopped, Runtime, Strategy

REPLAN_TOOL = ToolSpec(
    name="replan",
    description="Ask for a new plan when the results cannot answer the task yet.",
    parameters={"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]},
)


@dataclass
class _CompilerState:
    runtime: Runtime
    task: str
    attempt: int = 0
    notes: list[str] = field(default_factory=list)
    finished_nodes: list[PlanNode] = field(default_factory=list)
    steps: list[PlanStep] | None = None
    """A complete plan whose execution paused for approval."""
    reuse: dict[int, ToolResult] = field(default_factory=dict)


class LLMCompiler(Strategy):
    """Plan a DAG, dispatch it concurrently as it streams, join, replan if needed."""

    name = "compiler"

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        max_replans: int = 2,
        **options: Any,
    ) -> None:
        super().__init__(model, toolset, budget, **options)
        self.max_replans = max_replans

    async def run(self, task: str) -> RunResult:
        runtime = self.runtime()
        runtime.result.dag = []
        state = _CompilerState(runtime, task)
        return await self.guarded(runtime, self._drive(state), state)

    async def resume(self, paused: RunResult, decisions: dict[str, bool]) -> RunResult:
        state = paused.state
        if not isinstance(state, _CompilerState) or paused.status != "awaiting_approval":
            raise ValueError("this result has no paused LLMCompiler run to resume")
        state.runtime.resume(decisions)
        return await self.guarded(state.runtime, self._drive(state), state)

    async def _drive(self, state: _CompilerState) -> RunResult:
        runtime = state.runtime
        unreadable = ""
        while state.attempt <= self.max_replans:
            executor = PlanExecutor(runtime, state.attempt, reuse=state.reuse)
            try:
                if state.steps is None:
                    await self._stream_plan(state, executor)
                else:
                    for step in state.steps:
                        executor.add(step)
                nodes = await executor.wait()
            except RunStopped as stop:
                if stop.status == "awaiting_approval":
                    state.steps, state.reuse = [n.step for n in executor.nodes], executor.results()
                raise
            finally:
                runtime.result.dag = state.finished_nodes + executor.nodes
            state.finished_nodes.extend(nodes)
            state.steps, state.reuse = None, {}
            state.attempt += 1
            if all(n.status == "parse_error" for n in nodes):
                unreadable = "; ".join(n.step.error or "" for n in nodes)
                state.notes.append(f"attempt {state.attempt}: the plan could not be read ({unreadable})")
                continue
            unreadable = ""
            answer, reason = await self._join(runtime, state.task, nodes)
            if answer is not None:
                return runtime.finish(answer)
            state.notes.append(f"attempt {state.attempt} was not enough: {reason}\n{results_text(nodes)}")
        if unreadable:
            return runtime.finish(None, "parse_error", f"no readable plan: {unreadable}")
        return runtime.finish(None, "max_steps", f"no answer after {self.max_replans} replan(s)")

    async def _stream_plan(self, state: _CompilerState, executor: PlanExecutor) -> None:
        """Dispatch each step the moment its JSON object is complete in the stream."""
        request = self.request(
            planner_messages(
                self.toolset,
                state.task,
                "Independent steps run at the same time, so list each step as soon as you can.",
                state.notes,
            ),
            tools=[plan_tool(self.toolset)],
            tool_choice=ToolChoice("tool", PLAN_TOOL.name),
        )
        parser = IncrementalPlanParser()
        plan_index: int | None = None
        text: list[str] = []
        async for event in state.runtime.stream(request, name="plan"):
            if isinstance(event, PartStart) and event.kind == "tool_call" and event.tool_name == PLAN_TOOL.name:
                plan_index = event.index if plan_index is None else plan_index
            elif isinstance(event, ToolArgsDelta) and event.index == plan_index:
                for step in parser.feed(event.fragment):
                    executor.add(step)
            elif isinstance(event, TextDelta):
                text.append(event.text)
        steps = parser.finish() if plan_index is not None else parse_plan("".join(text))
        for step in steps:
            executor.add(step)

    async def _join(self, runtime: Runtime, task: str, nodes: list[PlanNode]) -> tuple[str | None, str]:
        prompt = (
            f"Task: {task}\nA plan was run; each line is a step and its result:\n{results_text(nodes)}\n"
            "Answer the task briefly from these results, or call replan if they are not enough."
        )
        response = await runtime.llm(self.request([Message("user", [TextPart(prompt)])], tools=[REPLAN_TOOL]), "join")
        replans = [c for c in response.message.tool_calls if c.name == REPLAN_TOOL.name]
        if replans:
            return None, replans[0].arguments
        if not response.message.text.strip():
            return None, "the joiner gave no answer"
        return response.message.text, ""
