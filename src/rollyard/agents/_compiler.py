"""LLMCompiler: the planner emits a DAG of tool calls with references; a dispatcher
starts every step whose inputs are ready, concurrently, while the plan is still
streaming; a joiner answers or asks for a replan (bounded).

Values pass as typed data: ``{"$ref": 2}`` becomes step 2's returned Python value
(dict, list, number...), never its text spliced into a string."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import (
    Message,
    MessageEnd,
    PartStart,
    Request,
    TextPart,
    ToolArgsDelta,
    ToolCallPart,
    ToolChoice,
    ToolSpec,
)
from ._plan import PLAN_TOOL, IncrementalPlanParser, PlanStep, resolve
from ._run import Budget, RunResult, RunStopped, Runtime

REPLAN_TOOL = ToolSpec(
    name="replan",
    description="Ask for a new plan when the results cannot answer the task yet.",
    parameters={"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]},
)


@dataclass
class PlanNode:
    """A dispatched step and what came of it (the DAG of the trace)."""

    step: PlanStep
    attempt: int
    result: ToolResult | None = None
    started: float | None = None
    ended: float | None = None


@dataclass
class _Attempt:
    nodes: dict[int, PlanNode] = field(default_factory=dict)
    futures: dict[int, asyncio.Future[ToolResult]] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def tool_catalogue(toolset: Toolset) -> str:
    return "\n".join(
        json.dumps({"tool": s.name, "description": s.description or "", "args": s.parameters or {}})
        for s in toolset.specs()
    )


class LLMCompiler:
    """Plan a DAG, dispatch it concurrently as it streams, join, replan if needed."""

    name = "compiler"

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        max_replans: int = 2,
        model_name: str = "agent",
        max_tokens: int | None = None,
    ) -> None:
        self.model, self.toolset, self.budget = model, toolset, budget
        self.max_replans = max_replans
        self.model_name = model_name
        self.max_tokens = max_tokens
        self.dag: list[PlanNode] = []

    async def run(self, task: str) -> RunResult:
        runtime = Runtime(self.model, self.toolset, self.budget)
        notes: list[str] = []
        try:
            for attempt in range(self.max_replans + 1):
                nodes = await self._plan_and_execute(runtime, task, notes, attempt)
                answer, reason = await self._join(runtime, task, nodes)
                if answer is not None:
                    result = runtime.finish(answer)
                    result.state = {"dag": self.dag}
                    return result
                notes.append(f"attempt {attempt + 1} was not enough: {reason}\n{self._results_text(nodes)}")
            return runtime.finish(None, "max_steps", f"no answer after {self.max_replans} replans")
        except RunStopped as stop:
            return runtime.finish(None, stop.status, stop.reason)

    def _planner_request(self, task: str, notes: list[str]) -> Request:
        system = (
            "You plan tool calls. Tools:\n"
            f"{tool_catalogue(self.toolset)}\n"
            "Call plan with every step needed; independent steps run at the same time."
        )
        user = task if not notes else f"{task}\n\nEarlier attempts:\n" + "\n".join(notes)
        return Request(
            model=self.model_name,
            messages=[Message("system", [TextPart(system)]), Message("user", [TextPart(user)])],
            tools=[PLAN_TOOL],
            tool_choice=ToolChoice("tool", "plan"),
            max_tokens=self.max_tokens,
        )

    async def _plan_and_execute(
        self, runtime: Runtime, task: str, notes: list[str], attempt: int
    ) -> dict[int, PlanNode]:
        parser = IncrementalPlanParser()
        state = _Attempt()
        runtime.check()
        plan_index: int | None = None
        usage = None
        async for event in self.model.stream(self._planner_request(task, notes), chunk_chars=16):
            if isinstance(event, PartStart) and event.kind == "tool_call" and event.tool_name == "plan":
                plan_index = event.index
            elif isinstance(event, ToolArgsDelta) and event.index == plan_index:
                for step in parser.feed(event.fragment):
                    self._dispatch(runtime, state, step, attempt)
            elif isinstance(event, MessageEnd):
                usage = event.usage
        runtime.result.llm_calls += 1
        if usage is not None:
            runtime.result.prompt_tokens += usage.input_tokens
            runtime.result.completion_tokens += usage.output_tokens
        for step in parser.finish():
            self._dispatch(runtime, state, step, attempt)
        if not state.nodes:
            raise RunStopped("parse_error", "the planner produced no readable plan")
        outcomes = await asyncio.gather(*state.tasks, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, RunStopped):
                raise outcome
        return state.nodes

    def _dispatch(self, runtime: Runtime, state: _Attempt, step: PlanStep, attempt: int) -> None:
        node = PlanNode(step, attempt)
        state.nodes[step.id] = node
        self.dag.append(node)
        loop = asyncio.get_running_loop()
        future = state.futures.setdefault(step.id, loop.create_future())
        for dep in step.deps:
            state.futures.setdefault(dep, loop.create_future())
        state.tasks.append(asyncio.create_task(self._run_step(runtime, state, node, future, attempt)))

    async def _run_step(
        self, runtime: Runtime, state: _Attempt, node: PlanNode, future: asyncio.Future[ToolResult], attempt: int
    ) -> None:
        step = node.step
        call_id = f"plan{attempt}_{step.id}"
        try:
            if step.error is not None:
                result = ToolResult(call_id, step.tool or "?", "invalid_arguments", f"unreadable step: {step.error}")
            else:
                deps = {d: await state.futures[d] for d in sorted(step.deps)}
                failed = [d for d, r in deps.items() if r.is_error]
                if failed:
                    result = ToolResult(call_id, step.tool, "error", f"depends on failed step(s) {failed}")
                else:
                    args = resolve(step.args, {d: r.value for d, r in deps.items()})
                    node.started = asyncio.get_running_loop().time()
                    result = await runtime.tool(ToolCallPart(call_id, step.tool, json.dumps(args, default=str)))
                    node.ended = asyncio.get_running_loop().time()
        except RunStopped:
            future.set_result(ToolResult(call_id, step.tool, "error", "run stopped"))
            raise
        except KeyError as exc:
            result = ToolResult(call_id, step.tool, "invalid_arguments", f"bad reference {exc}")
        node.result = result
        if not future.done():
            future.set_result(result)

    @staticmethod
    def _results_text(nodes: dict[int, PlanNode]) -> str:
        lines = []
        for step_id in sorted(nodes):
            node = nodes[step_id]
            content = node.result.content if node.result else "(not run)"
            lines.append(f"({step_id}) {node.step.tool}({json.dumps(node.step.args)}) -> {content}")
        return "\n".join(lines)

    async def _join(self, runtime: Runtime, task: str, nodes: dict[int, PlanNode]) -> tuple[str | None, str]:
        prompt = (
            f"Task: {task}\nResults:\n{self._results_text(nodes)}\n"
            "Answer the task from these results, or call replan if they are not enough."
        )
        request = Request(
            model=self.model_name,
            messages=[Message("user", [TextPart(prompt)])],
            tools=[REPLAN_TOOL],
            max_tokens=self.max_tokens,
        )
        response = await runtime.llm(request, name="join")
        replans = [c for c in response.message.tool_calls if c.name == "replan"]
        if replans:
            return None, replans[0].arguments
        return response.message.text, ""
