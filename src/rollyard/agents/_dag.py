"""Executing a plan: a DAG of tool calls whose arguments reference earlier results.

Each step starts as soon as the steps it references have finished; a reference is
replaced by the referenced step's Python value (typed data, never text spliced into a
string). Used by ReWOO (in plan order) and LLMCompiler (concurrently, while the plan
is still streaming)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ..tools import ToolResult
from ..wire import ToolCallPart
from ._plan import PlanStep, resolve
from ._run import NeedsApproval, PendingApproval, Runtime

NodeStatus: TypeAlias = Literal["pending", "running", "ok", "error", "parse_error", "skipped", "awaiting_approval"]


@dataclass
class PlanNode:
    """A planned step and what came of it: one node of the run's DAG."""

    step: PlanStep
    attempt: int
    """Which plan (0 = the first, 1 = the first replan...)."""
    status: NodeStatus = "pending"
    result: ToolResult | None = None
    started: float | None = None
    """Seconds since the run started (None: the tool never ran)."""
    ended: float | None = None

    @property
    def id(self) -> int:
        return self.step.id

    @property
    def deps(self) -> list[int]:
        return sorted(self.step.deps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view for traces and the CLI."""
        return {
            "id": self.id,
            "attempt": self.attempt,
            "tool": self.step.tool,
            "args": self.step.args,
            "deps": self.deps,
            "status": self.status,
            "result": self.result.content[:500] if self.result else None,
            "error": self.step.error,
            "started": self.started,
            "ended": self.ended,
        }


@dataclass
class _Slot:
    node: PlanNode
    done: asyncio.Future[ToolResult]
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class PlanExecutor:
    """Runs plan steps as they are added; ``wait`` gathers them.

    ``sequential`` runs steps one after another in plan order (ReWOO's worker);
    otherwise every step whose inputs are ready runs at once (LLMCompiler's
    dispatcher). ``reuse`` holds results of a paused execution, not run again."""

    def __init__(
        self,
        runtime: Runtime,
        attempt: int,
        *,
        sequential: bool = False,
        reuse: dict[int, ToolResult] | None = None,
    ) -> None:
        self.runtime = runtime
        self.attempt = attempt
        self.sequential = sequential
        self.reuse = reuse or {}
        self.nodes: list[PlanNode] = []
        self._slots: dict[int, _Slot] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: list[PendingApproval] = []
        self._previous: _Slot | None = None

    def call_id(self, step_id: int) -> str:
        return f"plan{self.attempt}_{step_id}"

    def add(self, step: PlanStep) -> PlanNode:
        """Accept one step and start it (it waits for the steps it references).

        A step may only reference steps listed before it: that rules out cycles and
        references to steps that never come."""
        node = PlanNode(step, self.attempt)
        self.nodes.append(node)
        loop = asyncio.get_running_loop()
        slot = _Slot(node, loop.create_future())
        problem = step.error
        if problem is None and step.id in self._slots:
            problem = f"step id {step.id} is used twice"
        if problem is None and (later := sorted(d for d in step.deps if d not in self._slots)):
            problem = f"step {step.id} refers to step(s) {later}, not planned before it"
        if problem is not None:
            if step.id not in self._slots:  # dependents then learn it failed
                self._slots[step.id] = slot
            step.error = problem
            node.status = "parse_error"
            self.runtime.trace_plan_error(f"step {step.id}", problem)
            result = ToolResult(self.call_id(step.id), step.tool or "?", "invalid_arguments", f"unreadable: {problem}")
            self._settle(slot, result)
            return node
        self._slots[step.id] = slot
        previous, self._previous = self._previous, slot
        self._tasks.append(asyncio.create_task(self._run(slot, previous)))
        return node

    @staticmethod
    def _settle(slot: _Slot, result: ToolResult) -> None:
        slot.node.result = slot.node.result or result
        if not slot.done.done():
            slot.done.set_result(result)
        slot.finished.set()

    async def _run(self, slot: _Slot, previous: _Slot | None) -> None:
        node, step = slot.node, slot.node.step
        call_id = self.call_id(step.id)
        result: ToolResult | None = None
        try:
            if self.sequential and previous is not None:
                await previous.finished.wait()
            if (reused := self.reuse.get(step.id)) is not None:
                node.status, result = "ok", reused
                return
            deps = {d: await self._slots[d].done for d in sorted(step.deps)}
            failed = sorted(d for d, r in deps.items() if r.is_error)
            if failed:
                node.status = "skipped"
                result = ToolResult(call_id, step.tool, "error", f"not run: depends on failed step(s) {failed}")
                return
            try:
                args = resolve(step.args, {d: r.value for d, r in deps.items()})
            except (KeyError, IndexError, TypeError) as exc:
                node.status = "error"
                result = ToolResult(call_id, step.tool, "invalid_arguments", f"bad reference path: {exc!r}")
                return
            call = ToolCallPart(call_id, step.tool, json.dumps(args, default=str))
            node.status, node.started = "running", self.runtime.now()
            try:
                result = await self.runtime.tool(call, values=args)
            except NeedsApproval as need:
                self._pending.append(need.pending)
                node.status, node.started = "awaiting_approval", None
                result = ToolResult(call_id, step.tool, "error", "awaiting approval")
                return
            node.ended = self.runtime.now()
            node.status = "ok" if not result.is_error else "error"
        finally:
            if result is None:  # stopped (budget, loop) or cancelled
                result = ToolResult(call_id, step.tool, "error", "the run stopped before this step finished")
                node.status = "error" if node.status == "running" else node.status
            self._settle(slot, result)

    async def wait(self) -> list[PlanNode]:
        """Every step finished (or the run stopped, or approvals are needed)."""
        if self._tasks:
            done, running = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            for task in done:
                if (exc := task.exception()) is not None:
                    raise exc
        if self._pending:
            self.runtime.pause(self._pending)
        return self.nodes

    def results(self) -> dict[int, ToolResult]:
        """Results of the steps that ran successfully (to reuse after a pause)."""
        return {n.id: n.result for n in self.nodes if n.status == "ok" and n.result is not None}


def results_text(nodes: list[PlanNode], limit: int = 400) -> str:
    """The plan and its results, one line per step, for solver and joiner prompts."""
    lines = []
    for node in nodes:
        content = node.result.content if node.result else "(not run)"
        if len(content) > limit:
            content = content[:limit] + "..."
        status = "" if node.status == "ok" else f" [{node.status}]"
        lines.append(f"#{node.id} {node.step.tool}({json.dumps(node.step.args)}){status} -> {content}")
    return "\n".join(lines)
