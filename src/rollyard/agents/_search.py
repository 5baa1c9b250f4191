"""Tree search over tool-call sequences: DFSDT (ToolLLM) and A* (ToolChain*).

A node is a path of tool calls; expanding it asks the model for one next call (or
``finish``) and runs it. The toolset is put back to the node's state
(``Toolset.snapshot`` / ``restore``) before each expansion, so a branch never sees
what a sibling branch did. A node re-expanded after a failed try is told what was
tried from it already, so the next try differs (ToolLLM's diversity prompt)."""

from __future__ import annotations

import abc
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ..models import Model
from ..tools import ToolResult, Toolset
from ..wire import Message, TextPart, ToolCallPart, ToolChoice, ToolResultPart, ToolSpec
from ._run import Budget, NeedsApproval, RunResult, Runtime, Strategy, call_key

FINISH_TOOL = ToolSpec(
    name="finish",
    description=(
        "End the task: give the final answer, or set give_up to true when this path cannot work "
        "(another path is then tried)."
    ),
    parameters={
        "type": "object",
        "properties": {"answer": {"type": "string"}, "give_up": {"type": "boolean"}},
        "required": ["answer"],
    },
)

SEARCH_SYSTEM = (
    "Solve the task with the tools, one call at a time. When the results answer the task, "
    "call finish with the answer. If this path cannot work, call finish with give_up true."
)

NodeStatus: TypeAlias = Literal["open", "exhausted", "failed", "gave_up", "answer", "awaiting_approval"]


@dataclass
class SearchNode:
    """One node of the search tree: the call that led here and what it returned."""

    id: int
    parent: int | None
    depth: int
    call: ToolCallPart | None = None
    result: ToolResult | None = None
    status: NodeStatus = "open"
    g: float = 0.0
    """Cost of the path so far."""
    h: float = 0.0
    """Estimated cost still to go."""
    tries: int = 0
    """Expansions of this node (children asked for)."""
    children: list[int] = field(default_factory=list)
    answer: str | None = None
    messages: list[Message] = field(default_factory=list, repr=False)
    snapshot: Any = field(default=None, repr=False)

    @property
    def f(self) -> float:
        return self.g + self.h

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (without the conversation and the toolset state)."""
        return {
            "id": self.id,
            "parent": self.parent,
            "depth": self.depth,
            "tool": self.call.name if self.call else None,
            "arguments": self.call.arguments if self.call else None,
            "result": self.result.content[:300] if self.result else None,
            "status": self.status,
            "g": self.g,
            "h": self.h,
            "children": self.children,
            "answer": self.answer,
        }

    def label(self) -> str:
        """One line for a tree view."""
        if self.call is None:
            return "task"
        if self.call.name == FINISH_TOOL.name:
            return f"finish {self.call.arguments} [{self.status}]"
        result = self.result.content[:60] if self.result else ""
        return f"{self.call.name}({self.call.arguments}) -> {result} [{self.status}]"


@dataclass
class _SearchState:
    runtime: Runtime
    tree: list[SearchNode]
    frontier: list[SearchNode]
    pending: SearchNode | None = None
    """A child whose call waits for approval."""


class TreeSearch(Strategy):
    """What DFSDT and A* share: nodes, expansion, state restore, the node budget.

    ``width``: children per node at most; ``max_depth``: calls per path at most;
    ``max_nodes``: expansions (model calls asking for a next step) in all."""

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        width: int = 2,
        max_depth: int = 4,
        max_nodes: int = 12,
        system: str = SEARCH_SYSTEM,
        **options: Any,
    ) -> None:
        super().__init__(model, toolset, budget, **options)
        self.width, self.max_depth, self.max_nodes = width, max_depth, max_nodes
        self.system = system

    async def run(self, task: str) -> RunResult:
        runtime = self.runtime()
        messages = [Message("system", [TextPart(self.system)]), Message("user", [TextPart(task)])]
        root = SearchNode(0, None, 0, messages=messages, snapshot=self.toolset.snapshot())
        state = _SearchState(runtime, [root], [root])
        runtime.result.tree = state.tree
        return await self.guarded(runtime, self._start(state), state)

    async def _start(self, state: _SearchState) -> RunResult:
        state.tree[0].h = await self.estimate(state.runtime, state.tree[0])
        return await self._search(state)

    async def resume(self, paused: RunResult, decisions: dict[str, bool]) -> RunResult:
        state = paused.state
        if not isinstance(state, _SearchState) or state.pending is None:
            raise ValueError(f"this result has no paused {self.name} run to resume")
        state.runtime.resume(decisions)
        return await self.guarded(state.runtime, self._continue(state), state)

    async def _continue(self, state: _SearchState) -> RunResult:
        child = state.pending
        assert child is not None and child.call is not None and child.parent is not None
        self.toolset.restore(state.tree[child.parent].snapshot)
        await self._run_call(state, child)
        state.pending = None
        await self._score(state, child)
        answered = self.settle(state, child)
        return answered if answered is not None else await self._search(state)

    async def _search(self, state: _SearchState) -> RunResult:
        runtime = state.runtime
        while state.frontier:
            node = self.select(state)
            if node.depth >= self.max_depth or node.tries >= self.width:
                node.status = "exhausted" if node.status == "open" else node.status
                state.frontier.remove(node)
                continue
            if len(state.tree) - 1 >= self.max_nodes:
                return runtime.finish(None, "max_steps", f"node budget of {self.max_nodes} used without an answer")
            child = await self.expand(state, node)
            answered = self.settle(state, child)
            if answered is not None:
                return answered
        return runtime.finish(None, "max_steps", f"every branch failed ({len(state.tree) - 1} nodes)")

    # ---- the parts a search order decides ----

    @abc.abstractmethod
    def select(self, state: _SearchState) -> SearchNode:
        """The frontier node to expand next."""

    @abc.abstractmethod
    def admit(self, state: _SearchState, child: SearchNode) -> None:
        """Put a new open child on the frontier."""

    async def estimate(self, runtime: Runtime, node: SearchNode) -> float:
        """h: the cost still to go from ``node`` (0 unless a strategy estimates it)."""
        return 0.0

    # ---- shared machinery ----

    def settle(self, state: _SearchState, child: SearchNode) -> RunResult | None:
        """File a new child: the answer ends the run; a give-up abandons its parent's path."""
        parent = state.tree[child.parent] if child.parent is not None else None
        if child.status == "answer":
            self.toolset.restore(child.snapshot)
            return state.runtime.finish(child.answer)
        if child.status == "gave_up" and parent is not None and parent in state.frontier:
            parent.status = "failed"
            state.frontier.remove(parent)
        elif child.status == "open":
            self.admit(state, child)
        return None

    def _request_messages(self, state: _SearchState, node: SearchNode) -> list[Message]:
        messages = list(node.messages)
        if node.children:
            tried = [state.tree[i].label() for i in node.children]
            note = "Already tried from here, without success:\n" + "\n".join(f"- {t}" for t in tried)
            messages.append(Message("user", [TextPart(note + "\nTry something different.")]))
        return messages

    async def expand(self, state: _SearchState, node: SearchNode) -> SearchNode:
        """Ask for one next call from ``node``, run it, and return the new child."""
        runtime = state.runtime
        self.toolset.restore(node.snapshot)
        request = self.request(
            self._request_messages(state, node),
            tools=[*self.toolset.specs(), FINISH_TOOL],
            tool_choice=ToolChoice("required"),
            parallel_tool_calls=False,
        )
        node.tries += 1
        response = await runtime.llm(request, name=f"expand {node.id}")
        calls = response.message.tool_calls
        child = SearchNode(len(state.tree), node.id, node.depth + 1, snapshot=node.snapshot)
        state.tree.append(child)
        node.children.append(child.id)
        if not calls:  # a model that ignored tool_choice answered in text
            child.status, child.answer = "answer", response.message.text
            child.messages = [*node.messages, response.message]
            return child
        child.call = calls[0]
        child.messages = [*node.messages, Message("assistant", [child.call])]
        if child.call.name == FINISH_TOOL.name:
            answer, give_up = _finish_arguments(child.call.arguments)
            child.status, child.answer = ("gave_up", None) if give_up else ("answer", answer)
            return child
        await self._run_call(state, child)
        await self._score(state, child)
        return child

    async def _score(self, state: _SearchState, child: SearchNode) -> None:
        assert child.parent is not None
        child.g = state.tree[child.parent].g + self.step_cost(child)
        if child.status == "open":
            child.h = await self.estimate(state.runtime, child)

    async def _run_call(self, state: _SearchState, child: SearchNode) -> None:
        assert child.call is not None
        try:
            result = await state.runtime.tool(child.call, seen=self._path_calls(state, child))
        except NeedsApproval as need:
            child.status, state.pending = "awaiting_approval", child
            state.runtime.pause([need.pending])
            raise AssertionError("unreachable") from None  # pause always raises
        child.result = result
        part = ToolResultPart(child.call.id, [TextPart(result.content)], is_error=result.is_error or None)
        child.messages = [*child.messages, Message("tool", [part])]
        child.snapshot = self.toolset.snapshot()
        child.status = "failed" if result.is_error else "open"

    @staticmethod
    def _path_calls(state: _SearchState, child: SearchNode) -> Counter[str]:
        """The calls made on the path to ``child`` (loops are counted along one path)."""
        seen: Counter[str] = Counter()
        at = state.tree[child.parent] if child.parent is not None else None
        while at is not None and at.call is not None:
            seen[call_key(at.call)] += 1
            at = state.tree[at.parent] if at.parent is not None else None
        return seen

    def step_cost(self, child: SearchNode) -> float:
        """g's increment for one call: 1, plus a penalty when it failed."""
        return 1.0 + (2.0 if child.result is not None and child.result.is_error else 0.0)


def _finish_arguments(arguments: str) -> tuple[str, bool]:
    try:
        args = json.loads(arguments or "{}")
    except ValueError:
        return arguments, False
    if not isinstance(args, dict):
        return str(args), False
    give_up = args.get("give_up") in (True, "true", "yes", 1)
    return str(args.get("answer", "")), give_up


class DFSDT(TreeSearch):
    """ToolLLM's depth-first search-based decision tree: go deep; when a call fails,
    try another from the same node; when the model gives up, backtrack to the parent."""

    name = "dfsdt"

    def select(self, state: _SearchState) -> SearchNode:
        return state.frontier[-1]

    def admit(self, state: _SearchState, child: SearchNode) -> None:
        state.frontier.append(child)


Heuristic: TypeAlias = Callable[[SearchNode], float] | Literal["model"] | None


ESTIMATE_TOOL = ToolSpec(
    name="estimate",
    description="How many more tool calls the task needs from here (0 if the results already answer it).",
    parameters={
        "type": "object",
        "properties": {"remaining_calls": {"type": "integer"}},
        "required": ["remaining_calls"],
    },
)


class AStar(TreeSearch):
    """ToolChain*'s A* over the tree: expand the open node with the lowest
    f = g + h (+ ``retry_cost`` per earlier try, so a node is not re-expanded
    before its promising children); ties go to the deeper node.

    ``heuristic``: None (h = 0 for an open path: uniform cost), a function of the node,
    or ``"model"`` (one extra model call per node: the model estimates the calls left)."""

    name = "astar"

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        heuristic: Heuristic = None,
        retry_cost: float = 2.0,
        **options: Any,
    ) -> None:
        super().__init__(model, toolset, budget, **options)
        self.heuristic = heuristic
        self.retry_cost = retry_cost

    def priority(self, node: SearchNode) -> tuple[float, int, int]:
        return (node.f + self.retry_cost * node.tries, -node.depth, node.id)

    def select(self, state: _SearchState) -> SearchNode:
        return min(state.frontier, key=self.priority)

    def admit(self, state: _SearchState, child: SearchNode) -> None:
        state.frontier.append(child)

    async def estimate(self, runtime: Runtime, node: SearchNode) -> float:
        if self.heuristic is None:
            return 0.0
        if callable(self.heuristic):
            return float(self.heuristic(node))
        request = self.request(
            [*node.messages, Message("user", [TextPart("How many more tool calls does the task need?")])],
            tools=[ESTIMATE_TOOL],
            tool_choice=ToolChoice("tool", ESTIMATE_TOOL.name),
        )
        response = await runtime.llm(request, name=f"estimate {node.id}")
        for call in response.message.tool_calls:
            try:
                return max(0.0, min(float(json.loads(call.arguments).get("remaining_calls", 1)), 10.0))
            except (ValueError, TypeError, AttributeError):
                break
        return 1.0
