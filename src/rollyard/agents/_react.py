"""ReAct: the function-calling loop. The several tool calls of one turn run
concurrently; their results go back in call order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import Message, TextPart, ToolCallPart, ToolChoice, ToolResultPart
from ._run import Budget, RunResult, Runtime, Strategy


@dataclass
class _ReActState:
    runtime: Runtime
    messages: list[Message]
    steps: int = 0
    pending_calls: list[ToolCallPart] = field(default_factory=list)


class ReAct(Strategy):
    """Reason + act with native tool calls until the model answers in text.

    ``parallel_tool_calls=False`` is the classic ReAct loop: one call per turn (any
    further calls of a turn are dropped from the history, never left unanswered)."""

    name = "react"

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        parallel_tool_calls: bool = True,
        max_steps: int = 10,
        system: str | None = None,
        tool_choice: ToolChoice | None = None,
        **options: Any,
    ) -> None:
        super().__init__(model, toolset, budget, **options)
        self.parallel_tool_calls = parallel_tool_calls
        self.max_steps = max_steps
        self.system = system
        self.tool_choice = tool_choice

    async def run(self, task: str) -> RunResult:
        runtime = self.runtime()
        messages = [Message("system", [TextPart(self.system)])] if self.system else []
        messages.append(Message("user", [TextPart(task)]))
        state = _ReActState(runtime, messages)
        return await self.guarded(runtime, self._loop(state), state)

    async def resume(self, paused: RunResult, decisions: dict[str, bool]) -> RunResult:
        state = paused.state
        if not isinstance(state, _ReActState) or paused.status != "awaiting_approval":
            raise ValueError("this result has no paused ReAct run to resume")
        state.runtime.resume(decisions)
        return await self.guarded(state.runtime, self._continue(state), state)

    async def _continue(self, state: _ReActState) -> RunResult:
        self._append_results(state, await state.runtime.tools(state.pending_calls, concurrent=True))
        state.pending_calls = []
        return await self._loop(state)

    @staticmethod
    def _append_results(state: _ReActState, results: list[ToolResult]) -> None:
        for result in results:
            part = ToolResultPart(result.call_id, [TextPart(result.content)], is_error=result.is_error or None)
            state.messages.append(Message("tool", [part]))

    async def _loop(self, state: _ReActState) -> RunResult:
        runtime = state.runtime
        while state.steps < self.max_steps:
            state.steps += 1
            request = self.request(
                list(state.messages),
                tools=self.toolset.specs(),
                tool_choice=self.tool_choice,
                parallel_tool_calls=self.parallel_tool_calls,
            )
            response = await runtime.llm(request, name="react")
            message = response.message
            calls = message.tool_calls
            if not calls:
                state.messages.append(message)
                return runtime.finish(message.text)
            if not self.parallel_tool_calls and len(calls) > 1:
                calls = calls[:1]
                message = Message("assistant", [p for p in message.parts if not isinstance(p, ToolCallPart)] + calls)
            state.messages.append(message)
            state.pending_calls = calls
            self._append_results(state, await runtime.tools(calls, concurrent=self.parallel_tool_calls))
            state.pending_calls = []
        return runtime.finish(None, "max_steps", f"no answer after {self.max_steps} steps")
