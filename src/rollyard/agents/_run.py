"""The runtime every strategy shares: one ``Model``, one ``Toolset``, one ``Budget``,
one trace. Budgets, loop detection and approvals are enforced here, not per strategy."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import Request, Response, ToolCallPart

RunStatus: TypeAlias = Literal[
    "success", "budget_exceeded", "loop_detected", "awaiting_approval", "max_steps", "error", "parse_error"
]


@dataclass(frozen=True)
class Budget:
    """Limits of one run; None means unlimited. ``cost_per_token`` = (prompt, completion) prices."""

    max_requests: int | None = 20
    max_tool_calls: int | None = 50
    max_tokens: int | None = None
    max_cost: float | None = None
    max_seconds: float | None = 300.0
    cost_per_token: tuple[float, float] = (0.0, 0.0)


class RunStopped(Exception):
    """Ends a run early with a status and a reason (budget, loop, approval)."""

    def __init__(self, status: RunStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Step:
    """One traced step: an LLM call or a tool call."""

    kind: Literal["llm", "tool"]
    name: str
    started: float
    ended: float
    status: str = "ok"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingApproval:
    call_id: str
    tool: str
    arguments: str


@dataclass
class RunResult:
    """What a run produced, and what it cost."""

    answer: str | None
    status: RunStatus
    reason: str | None = None
    steps: list[Step] = field(default_factory=list)
    llm_calls: int = 0
    tool_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    pending_approvals: list[PendingApproval] = field(default_factory=list)
    state: Any = None
    """What ``resume`` needs to continue after approvals."""

    def summary(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "status": self.status,
            "reason": self.reason,
            "llm_calls": self.llm_calls,
            "tool_calls": self.tool_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "seconds": round(self.seconds, 3),
        }


class Runtime:
    """Runs model and tool calls for a strategy, metering and tracing them."""

    def __init__(self, model: Model, toolset: Toolset, budget: Budget | None = None, *, loop_limit: int = 3) -> None:
        self.model = model
        self.toolset = toolset
        self.budget = budget or Budget()
        self.loop_limit = loop_limit
        self.result = RunResult(answer=None, status="success")
        self._started = time.monotonic()
        self._seen_calls: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self.approved: dict[str, bool] = {}

    # ---- metering ----

    def check(self) -> None:
        b, r = self.budget, self.result
        if b.max_seconds is not None and time.monotonic() - self._started > b.max_seconds:
            raise RunStopped("budget_exceeded", f"wall time over {b.max_seconds}s")
        if b.max_requests is not None and r.llm_calls >= b.max_requests:
            raise RunStopped("budget_exceeded", f"model requests reached {b.max_requests}")
        if b.max_tokens is not None and r.prompt_tokens + r.completion_tokens >= b.max_tokens:
            raise RunStopped("budget_exceeded", f"tokens reached {b.max_tokens}")
        if b.max_cost is not None and self.cost >= b.max_cost:
            raise RunStopped("budget_exceeded", f"cost reached {b.max_cost}")

    @property
    def cost(self) -> float:
        prompt, completion = self.budget.cost_per_token
        return self.result.prompt_tokens * prompt + self.result.completion_tokens * completion

    # ---- calls ----

    async def llm(self, request: Request, name: str = "llm") -> Response:
        """One model call, budget-checked and traced."""
        self.check()
        started = time.monotonic()
        response = await self.model.request(request)
        self.result.llm_calls += 1
        usage = response.usage
        if usage is not None:
            self.result.prompt_tokens += usage.input_tokens
            self.result.completion_tokens += usage.output_tokens
        self.result.steps.append(
            Step("llm", name, started, time.monotonic(), detail={"finish": response.finish_reason})
        )
        return response

    def new_call_id(self) -> str:
        return f"call_run_{next(self._ids)}"

    async def tool(self, call: ToolCallPart) -> ToolResult:
        """One tool call: loop-checked, approval-gated, budget-checked, traced."""
        key = f"{call.name}:{_canonical_args(call.arguments)}"
        self._seen_calls[key] += 1
        if self._seen_calls[key] >= self.loop_limit:
            raise RunStopped("loop_detected", f"{call.name} called {self.loop_limit} times with the same arguments")
        spec = self.toolset.get(call.name)
        if spec is not None and spec.requires_approval and call.id not in self.approved:
            raise _NeedsApproval(PendingApproval(call.id, call.name, call.arguments))
        if spec is not None and spec.requires_approval and not self.approved[call.id]:
            return ToolResult(call.id, call.name, "denied", f"{call.name} was not approved")
        b = self.budget
        if b.max_tool_calls is not None and self.result.tool_calls >= b.max_tool_calls:
            raise RunStopped("budget_exceeded", f"tool calls reached {b.max_tool_calls}")
        self.check()
        self.result.tool_calls += 1
        started = time.monotonic()
        result = await self.toolset.call(call.id, call.name, call.arguments)
        self.result.steps.append(
            Step("tool", call.name, started, time.monotonic(), result.status, {"call_id": call.id})
        )
        return result

    async def tools(self, calls: list[ToolCallPart], *, concurrent: bool = True) -> list[ToolResult]:
        """Several calls, concurrently (results in call order); approvals are collected
        for all of them before the run pauses."""
        pending: list[PendingApproval] = []

        async def one(call: ToolCallPart) -> ToolResult | None:
            try:
                return await self.tool(call)
            except _NeedsApproval as need:
                pending.append(need.pending)
                return None

        if concurrent:
            results = await asyncio.gather(*(one(c) for c in calls))
        else:
            results = [await one(c) for c in calls]
        if pending:
            self.result.pending_approvals = pending
            raise RunStopped("awaiting_approval", f"{len(pending)} call(s) need approval")
        return [r for r in results if r is not None]

    def finish(self, answer: str | None, status: RunStatus = "success", reason: str | None = None) -> RunResult:
        self.result.answer = answer
        self.result.status = status
        self.result.reason = reason
        self.result.seconds = time.monotonic() - self._started
        return self.result


class _NeedsApproval(Exception):
    def __init__(self, pending: PendingApproval) -> None:
        super().__init__(pending.tool)
        self.pending = pending


def _canonical_args(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments or "{}"), sort_keys=True)
    except ValueError:
        return arguments
