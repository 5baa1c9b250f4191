"""The runtime every strategy shares: one ``Model``, one ``Toolset``, one ``Budget``,
one trace. Budgets, loop detection and approvals are enforced here, not per strategy."""

from __future__ import annotations

import abc
import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, TypeVar

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import MessageEnd, Request, Response, StreamEvent, ToolCallPart, Usage

if TYPE_CHECKING:
    from ._dag import PlanNode
    from ._search import SearchNode

RunStatus: TypeAlias = Literal[
    "success", "budget_exceeded", "loop_detected", "awaiting_approval", "max_steps", "error", "parse_error"
]
"""How a run ended. Every status but ``success`` comes with a ``reason``."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class Budget:
    """Limits of one run; None means unlimited.

    ``cost_per_token`` is the (prompt, completion) price per token that ``max_cost``
    is measured in."""

    max_requests: int | None = 20
    max_tool_calls: int | None = 50
    max_tokens: int | None = None
    """Prompt + completion tokens over all model calls."""
    max_cost: float | None = None
    max_seconds: float | None = 300.0
    cost_per_token: tuple[float, float] = (0.0, 0.0)


class RunStopped(Exception):
    """Ends a run early with a status and a reason (budget, loop, approval, parse)."""

    def __init__(self, status: RunStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Step:
    """One traced step: an LLM call, a tool call, or a plan event (an unreadable step).

    Times are seconds since the run started."""

    kind: Literal["llm", "tool", "plan"]
    name: str
    started: float
    ended: float
    status: str = "ok"
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass(frozen=True)
class PendingApproval:
    """A call that waits for a human decision before it runs."""

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
    cost: float = 0.0
    seconds: float = 0.0
    pending_approvals: list[PendingApproval] = field(default_factory=list)
    dag: list[PlanNode] | None = None
    """The plan nodes (ids, dependencies, results, timings) of plan strategies."""
    tree: list[SearchNode] | None = None
    """The search tree of dfsdt / astar (node 0 is the root)."""
    state: Any = None
    """What ``resume`` needs to continue after approvals."""

    def summary(self) -> dict[str, Any]:
        """The headline numbers, JSON-ready."""
        return {
            "answer": self.answer,
            "status": self.status,
            "reason": self.reason,
            "llm_calls": self.llm_calls,
            "tool_calls": self.tool_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
            "seconds": round(self.seconds, 3),
            "pending_approvals": [asdict(p) for p in self.pending_approvals],
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything but the resume state, JSON-ready (``json.dumps(..., default=str)``)."""
        out = self.summary()
        out["steps"] = [asdict(s) for s in self.steps]
        if self.dag is not None:
            out["dag"] = [n.to_dict() for n in self.dag]
        if self.tree is not None:
            out["tree"] = [n.to_dict() for n in self.tree]
        return out


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
        """Decisions on calls that need approval (call id -> approved?)."""
        self._carried: dict[str, ToolResult] = {}
        """Results of a batch that paused for approval: not run again on resume."""

    # ---- metering ----

    def now(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self._started

    def check(self) -> None:
        """Stop the run if a limit is reached (before spending more)."""
        b, r = self.budget, self.result
        if b.max_seconds is not None and self.now() >= b.max_seconds:
            raise RunStopped("budget_exceeded", f"wall time reached {b.max_seconds}s")
        if b.max_requests is not None and r.llm_calls >= b.max_requests:
            raise RunStopped("budget_exceeded", f"model requests reached {b.max_requests}")
        self._check_spent()

    def _check_spent(self) -> None:
        b, r = self.budget, self.result
        if b.max_tokens is not None and r.prompt_tokens + r.completion_tokens >= b.max_tokens:
            raise RunStopped("budget_exceeded", f"tokens reached {b.max_tokens} (used {self.tokens})")
        if b.max_cost is not None and r.cost >= b.max_cost:
            raise RunStopped("budget_exceeded", f"cost reached {b.max_cost} (spent {r.cost:.6g})")

    @property
    def tokens(self) -> int:
        return self.result.prompt_tokens + self.result.completion_tokens

    async def _timed(self, work: Awaitable[_T]) -> _T:
        """Await ``work`` no longer than the wall-time budget has left."""
        limit = self.budget.max_seconds
        if limit is None:
            return await work
        try:
            return await asyncio.wait_for(work, timeout=max(0.0, limit - self.now()))
        except TimeoutError:
            raise RunStopped("budget_exceeded", f"wall time reached {limit}s") from None

    def _meter(self, name: str, started: float, usage: Usage | None, finish: str) -> None:
        r = self.result
        r.llm_calls += 1
        prompt = usage.input_tokens if usage else 0
        completion = usage.output_tokens if usage else 0
        r.prompt_tokens += prompt
        r.completion_tokens += completion
        price_in, price_out = self.budget.cost_per_token
        r.cost += prompt * price_in + completion * price_out
        ended = self.now()
        detail = {"prompt_tokens": prompt, "completion_tokens": completion, "finish": finish}
        r.steps.append(Step("llm", name, started, ended, detail=detail))

    # ---- calls ----

    async def llm(self, request: Request, name: str = "llm") -> Response:
        """One model call: budget-checked, metered, traced."""
        self.check()
        started = self.now()
        response = await self._timed(self.model.request(request))
        self._meter(name, started, response.usage, response.finish_reason)
        self._check_spent_after()
        return response

    async def stream(self, request: Request, name: str = "llm") -> AsyncIterator[StreamEvent]:
        """One streamed model call: events as they come; metered and traced at the end."""
        self.check()
        started = self.now()
        usage: Usage | None = None
        finish = "error"
        limit = self.budget.max_seconds
        events = self.model.stream(request, chunk_chars=16).__aiter__()
        try:
            while True:
                try:
                    remaining = None if limit is None else max(0.0, limit - self.now())
                    event = await asyncio.wait_for(events.__anext__(), timeout=remaining)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise RunStopped("budget_exceeded", f"wall time reached {limit}s") from None
                if isinstance(event, MessageEnd):
                    usage, finish = event.usage, event.finish_reason
                yield event
        finally:
            self._meter(name, started, usage, finish)
        self._check_spent_after()

    def _check_spent_after(self) -> None:
        # A call that crosses the token or cost limit ends the run at once.
        b, r = self.budget, self.result
        if b.max_tokens is not None and self.tokens > b.max_tokens:
            raise RunStopped("budget_exceeded", f"tokens exceeded {b.max_tokens} (used {self.tokens})")
        if b.max_cost is not None and r.cost > b.max_cost:
            raise RunStopped("budget_exceeded", f"cost exceeded {b.max_cost} (spent {r.cost:.6g})")

    def new_call_id(self) -> str:
        return f"call_run_{next(self._ids)}"

    async def tool(
        self, call: ToolCallPart, *, values: dict[str, Any] | None = None, seen: Counter[str] | None = None
    ) -> ToolResult:
        """One tool call: approval-gated, loop-checked, budget-checked, traced.

        ``values`` are the arguments as Python values (plans pass typed data this way);
        ``call.arguments`` is then their JSON text, for the trace. ``seen`` counts
        repeats for loop detection (default: over the whole run; tree search counts
        along one path, since the same call on two branches is no loop)."""
        spec = self.toolset.get(call.name)
        needs_approval = spec is not None and spec.requires_approval
        if needs_approval and call.id not in self.approved:
            raise NeedsApproval(PendingApproval(call.id, call.name, call.arguments))
        key = call_key(call)
        seen = self._seen_calls if seen is None else seen
        seen[key] += 1
        if seen[key] >= self.loop_limit:
            raise RunStopped(
                "loop_detected", f"{call.name}({call.arguments}) called {self.loop_limit} times with the same arguments"
            )
        if needs_approval and not self.approved[call.id]:
            denied = ToolResult(call.id, call.name, "denied", f"{call.name} was not approved by the user")
            self._trace_tool(call, denied, self.now())
            return denied
        b = self.budget
        if b.max_tool_calls is not None and self.result.tool_calls >= b.max_tool_calls:
            raise RunStopped("budget_exceeded", f"tool calls reached {b.max_tool_calls}")
        self.check()
        self.result.tool_calls += 1
        started = self.now()
        arguments = call.arguments if values is None else values
        result = await self._timed(self.toolset.call(call.id, call.name, arguments))
        self._trace_tool(call, result, started)
        return result

    def _trace_tool(self, call: ToolCallPart, result: ToolResult, started: float) -> None:
        detail = {"call_id": call.id, "arguments": call.arguments, "result": result.content[:500]}
        self.result.steps.append(Step("tool", call.name, started, self.now(), result.status, detail))

    def trace_plan_error(self, name: str, error: str) -> None:
        """Record a plan step that could not be read (a parse failure, as data)."""
        now = self.now()
        self.result.steps.append(Step("plan", name, now, now, "parse_error", {"error": error}))

    async def tools(self, calls: list[ToolCallPart], *, concurrent: bool = True) -> list[ToolResult]:
        """Several calls, concurrently (results in call order); approvals are collected
        for all of them before the run pauses."""
        pending: list[PendingApproval] = []

        async def one(call: ToolCallPart) -> ToolResult | None:
            if call.id in self._carried:
                return self._carried.pop(call.id)
            try:
                return await self.tool(call)
            except NeedsApproval as need:
                pending.append(need.pending)
                return None

        if concurrent:
            results = list(await asyncio.gather(*(one(c) for c in calls)))
        else:
            results = [await one(c) for c in calls]
        if pending:
            self._carried.update({r.call_id: r for r in results if r is not None})
            self.pause(pending)
        return [r for r in results if r is not None]

    def pause(self, pending: list[PendingApproval]) -> None:
        """Stop the run until a human decides on ``pending``."""
        order = {p.call_id: i for i, p in enumerate(pending)}
        self.result.pending_approvals = sorted(pending, key=lambda p: order[p.call_id])
        raise RunStopped("awaiting_approval", f"{len(pending)} call(s) need approval")

    def resume(self, decisions: dict[str, bool]) -> None:
        """Record decisions on the pending calls (every one must be decided)."""
        missing = [p.call_id for p in self.result.pending_approvals if p.call_id not in decisions]
        if missing:
            raise ValueError(f"no decision for call(s) {missing}")
        self.approved.update(decisions)
        self.result.pending_approvals = []
        self.result.status, self.result.reason = "success", None

    def finish(self, answer: str | None, status: RunStatus = "success", reason: str | None = None) -> RunResult:
        self.result.answer = answer
        self.result.status = status
        self.result.reason = reason
        self.result.seconds = self.now()
        return self.result


class NeedsApproval(Exception):
    """Raised by ``Runtime.tool`` for a call that needs approval; strategies collect
    these and pause the run with ``Runtime.pause``."""

    def __init__(self, pending: PendingApproval) -> None:
        super().__init__(pending.tool)
        self.pending = pending


def call_key(call: ToolCallPart) -> str:
    """What makes two calls "the same call" for loop detection: name and arguments."""
    try:
        arguments = json.dumps(json.loads(call.arguments or "{}"), sort_keys=True)
    except ValueError:
        arguments = call.arguments
    return f"{call.name}:{arguments}"


class Strategy(abc.ABC):
    """A way of solving a task with one model, one toolset and one budget.

    Every strategy runs on a fresh ``Runtime`` per ``run``; a run that stops
    ``awaiting_approval`` continues with ``resume(result, decisions)``."""

    name: ClassVar[str]

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        model_name: str = "agent",
        max_tokens: int | None = None,
        temperature: float | None = None,
        loop_limit: int = 3,
    ) -> None:
        self.model, self.toolset, self.budget = model, toolset, budget
        self.model_name = model_name
        self.max_tokens = max_tokens
        """Per model call (not the budget's token limit)."""
        self.temperature = temperature
        self.loop_limit = loop_limit

    def runtime(self) -> Runtime:
        return Runtime(self.model, self.toolset, self.budget, loop_limit=self.loop_limit)

    @abc.abstractmethod
    async def run(self, task: str) -> RunResult:
        """Solve ``task``; never raises for model or tool trouble (see ``RunResult.status``)."""

    async def resume(self, paused: RunResult, decisions: dict[str, bool]) -> RunResult:
        """Continue a run that stopped ``awaiting_approval`` (call id -> approved?)."""
        raise ValueError(f"{self.name} has no paused run to resume")

    def request(self, messages: list[Any], **fields: Any) -> Request:
        """A request with this strategy's model name, token limit and temperature."""
        return Request(
            model=self.model_name,
            messages=messages,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            **fields,
        )

    async def guarded(self, runtime: Runtime, work: Awaitable[RunResult], state: Any = None) -> RunResult:
        """Turn ``RunStopped`` and unexpected errors into a finished ``RunResult``;
        a run paused for approval keeps ``state`` for ``resume``."""
        try:
            return await work
        except RunStopped as stop:
            result = runtime.finish(None, stop.status, stop.reason)
            if stop.status == "awaiting_approval":
                result.state = state
            return result
        except Exception as exc:  # a model or transport failure ends the run as data
            return runtime.finish(None, "error", f"{type(exc).__name__}: {exc}")
