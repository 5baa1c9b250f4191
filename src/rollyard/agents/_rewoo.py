"""ReWOO: plan every call up front (with references to earlier results), execute the
plan, then one solver call writes the answer. The history is never re-sent step by
step, which is where its prompt-token savings over ReAct come from."""

from __future__ import annotations

import json

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import Message, Request, TextPart, ToolCallPart, ToolChoice
from ._compiler import tool_catalogue
from ._plan import PLAN_TOOL, IncrementalPlanParser, resolve
from ._run import Budget, RunResult, RunStopped, Runtime


class ReWOO:
    """Planner -> worker (the plan, in dependency order) -> solver."""

    name = "rewoo"

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        model_name: str = "agent",
        max_tokens: int | None = None,
    ) -> None:
        self.model, self.toolset, self.budget = model, toolset, budget
        self.model_name = model_name
        self.max_tokens = max_tokens

    async def run(self, task: str) -> RunResult:
        runtime = Runtime(self.model, self.toolset, self.budget)
        try:
            system = f"You plan tool calls. Tools:\n{tool_catalogue(self.toolset)}\nCall plan with every step needed."
            plan_request = Request(
                model=self.model_name,
                messages=[Message("system", [TextPart(system)]), Message("user", [TextPart(task)])],
                tools=[PLAN_TOOL],
                tool_choice=ToolChoice("tool", "plan"),
                max_tokens=self.max_tokens,
            )
            response = await runtime.llm(plan_request, name="plan")
            calls = [c for c in response.message.tool_calls if c.name == "plan"]
            if not calls:
                return runtime.finish(None, "parse_error", "the planner made no plan")
            parser = IncrementalPlanParser()
            steps = list(parser.feed(calls[0].arguments)) + parser.finish()
            done: dict[int, ToolResult] = {}
            evidence: list[str] = []
            pending = sorted(steps, key=lambda s: s.id)
            while pending:
                ready = [s for s in pending if s.deps <= done.keys()]
                if not ready:
                    return runtime.finish(None, "parse_error", "the plan refers to steps that never run")
                step = ready[0]
                pending.remove(step)
                call_id = f"rewoo_{step.id}"
                if step.error is not None:
                    result = ToolResult(call_id, step.tool or "?", "invalid_arguments", step.error)
                elif any(done[d].is_error for d in step.deps):
                    result = ToolResult(call_id, step.tool, "error", "an input step failed")
                else:
                    args = resolve(step.args, {d: done[d].value for d in step.deps})
                    result = await runtime.tool(ToolCallPart(call_id, step.tool, json.dumps(args, default=str)))
                done[step.id] = result
                evidence.append(f"#E{step.id} = {step.tool}({json.dumps(step.args)}) -> {result.content}")
            solve = Request(
                model=self.model_name,
                messages=[
                    Message(
                        "user",
                        [TextPart(f"Task: {task}\nEvidence:\n" + "\n".join(evidence) + "\nAnswer the task.")],
                    )
                ],
                max_tokens=self.max_tokens,
            )
            answer = await runtime.llm(solve, name="solve")
            return runtime.finish(answer.message.text)
        except RunStopped as stop:
            return runtime.finish(None, stop.status, stop.reason)
