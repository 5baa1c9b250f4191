"""ReAct: the function-calling loop. The several tool calls of one turn run
concurrently; their results go back in call order."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import Message, Request, TextPart, ToolCallPart, ToolResultPart
from ._run import Budget, RunResult, RunStopped, Runtime


@dataclass
class _ReActState:
    runtime: Runtime
    messages: list[Message]
    steps: int
    pending_calls: list[ToolCallPart] = field(default_factory=list)


class ReAct:
    """Reason + act with native tool calls until the model answers in text."""

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
        model_name: str = "agent",
        max_tokens: int | None = None,
        loop_limit: int = 3,
    ) -> None:
        self.model, self.toolset, self.budget = model, toolset, budget
        self.parallel_tool_calls = parallel_tool_calls
        self.max_steps = max_steps
        self.system = system
        self.model_name = model_name
        self.max_tokens = max_tokens
        self.loop_limit = loop_limit

    async def run(self, task: str) -> RunResult:
        runtime = Runtime(self.model, self.toolset, self.budget, loop_limit=self.loop_limit)
        messages = [Message("system", [TextPart(self.system)])] if self.system else []
        messages.append(Message("user", [TextPart(task)]))
        return await self._loop(_ReActState(runtime, messages, 0))

    async def resume(self, paused: RunResult, decisions: dict[str, bool]) -> RunResult:
        """Continue a run that stopped ``awaiting_approval`` (call id -> approved?)."""
        state = paused.state
        if not isinstance(state, _ReActState):
            raise ValueError("this result has no paused ReAct run to resume")
        state.runtime.approved.update(decisions)
        state.runtime.result.pending_approvals = []
        try:
            self._append_results(state, await state.runtime.tools(state.pending_calls, concurrent=True))
        except RunStopped as stop:
            return self._stopped(state, stop)
        return await self._loop(state)

    def _request(self, state: _ReActState) -> Request:
        return Request(
            model=self.model_name,
            messages=list(state.messages),
            tools=self.toolset.specs(),
            parallel_tool_calls=self.parallel_tool_calls,
            max_tokens=self.max_tokens,
        )

    @staticmethod
    def _append_results(state: _ReActState, results: list[ToolResult]) -> None:
        for result in results:
            part = ToolResultPart(result.call_id, [TextPart(result.content)], is_error=result.is_error or None)
            state.messages.append(Message("tool", [part]))

    def _stopped(self, state: _ReActState, stop: RunStopped) -> RunResult:
        result = state.runtime.finish(None, stop.status, stop.reason)
        if stop.status == "awaiting_approval":
            result.state = state
        return result

    async def _loop(self, state: _ReActState) -> RunResult:
        runtime = state.runtime
        try:
            while state.steps < self.max_steps:
                state.steps += 1
                response = await runtime.llm(self._request(state), name="react")
                state.messages.append(response.message)
                calls = response.message.tool_calls
                if not calls:
                    return runtime.finish(response.message.text)
                # Without parallel calls, one call a turn (the classic ReAct loop).
                if not self.parallel_tool_calls:
                    calls = calls[:1]
                state.pending_calls = calls
                self._append_results(state, await runtime.tools(calls, concurrent=self.parallel_tool_calls))
                state.pending_calls = []
            return runtime.finish(None, "max_steps", f"no answer after {self.max_steps} steps")
        except RunStopped as stop:
            return self._stopped(state, stop)
