"""Tree search over tool-call sequences: DFSDT (ToolLLM: depth first, backtracking
when a branch fails or gives up) and A* (ToolChain*: best first by cost so far plus a
heuristic). Each node restores the toolset's state (``snapshot``/``restore``) before
it is expanded, so sibling branches never see each other's side effects."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..models import Model
from ..tools import Toolset
from ..wire import Message, Request, TextPart, ToolResultPart, ToolSpec
from ._run import Budget, RunResult, RunStopped, Runtime

GIVE_UP = ToolSpec(
    name="give_up",
    description="Abandon this line of work when it cannot succeed; another will be tried.",
    parameters={"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]},
)


@dataclass
class SearchNode:
    """A point in the search: the conversation so far and the toolset's state."""

    id: int
    parent: int | None
    messages: list[Message]
    snapshot: Any
    depth: int
    cost: float
    action: str = "start"
    status: Literal["open", "expanded", "failed", "answer"] = "open"
    children: list[int] = field(default_factory=list)


def default_heuristic(node: SearchNode) -> float:
    """Cheap and admissible enough: failed tool results on the path cost extra."""
    errors = sum(1 for m in node.messages for p in m.parts if isinstance(p, ToolResultPart) and p.is_error)
    return float(errors)


class TreeSearch:
    """``order="dfs"`` is DFSDT; ``order="astar"`` is A* with ``heuristic``."""

    def __init__(
        self,
        model: Model,
        toolset: Toolset,
        budget: Budget | None = None,
        *,
        order: Literal["dfs", "astar"] = "dfs",
        branching: int = 2,
        max_nodes: int = 20,
        max_depth: int = 6,
        heuristic: Callable[[SearchNode], float] = default_heuristic,
        model_name: str = "agent",
        max_tokens: int | None = None,
    ) -> None:
        self.model, self.toolset, self.budget = model, toolset, budget
        self.order = order
        self.name = "dfsdt" if order == "dfs" else "astar"
        self.branching = branching
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.heuristic = heuristic
        self.model_name = model_name
        self.max_tokens = max_tokens
        self.nodes: dict[int, SearchNode] = {}

    async def run(self, task: str) -> RunResult:
        runtime = Runtime(self.model, self.toolset, self.budget)
        ids = itertools.count()
        root = SearchNode(next(ids), None, [Message("user", [TextPart(task)])], self.toolset.snapshot(), 0, 0.0)
        self.nodes = {root.id: root}
        frontier: list[tuple[float, int, int]] = [(0.0, 0, root.id)]  # (priority, tiebreak, node id)
        stack = [root.id]
        tiebreak = itertools.count(1)
        try:
            while (stack if self.order == "dfs" else frontier) and len(self.nodes) < self.max_nodes:
                node_id = stack.pop() if self.order == "dfs" else heapq.heappop(frontier)[2]
                node = self.nodes[node_id]
                if node.status != "open" or node.depth >= self.max_depth:
                    continue
                node.status = "expanded"
                children = await self._expand(runtime, node, ids)
                for child in children:
                    if child.status == "answer":
                        result = runtime.finish(child.action)
                        result.state = {"tree": self.nodes, "answer_node": child.id}
                        return result
                # DFS visits the first candidate first; A* by cost + heuristic.
                for child in reversed(children):
                    if child.status == "open":
                        stack.append(child.id)
                        f = child.cost + self.heuristic(child)
                        heapq.heappush(frontier, (f, next(tiebreak), child.id))
            result = runtime.finish(None, "max_steps", f"no answer within {self.max_nodes} nodes")
        except RunStopped as stop:
            result = runtime.finish(None, stop.status, stop.reason)
        result.state = {"tree": self.nodes}
        return result

    async def _expand(self, runtime: Runtime, node: SearchNode, ids: itertools.count[int]) -> list[SearchNode]:
        children: list[SearchNode] = []
        tried: list[str] = []
        for _ in range(self.branching):
            self.toolset.restore(node.snapshot)
            messages = list(node.messages)
            if tried:
                # DFSDT's diversity prompt: the model sees which actions were already taken here.
                messages.append(
                    Message("user", [TextPart("Already tried here, do something else: " + "; ".join(tried))])
                )
            request = Request(
                model=self.model_name,
                messages=messages,
                tools=[*self.toolset.specs(), GIVE_UP],
                max_tokens=self.max_tokens,
            )
            response = await runtime.llm(request, name=self.name)
            calls = response.message.tool_calls
            child = SearchNode(
                next(ids), node.id, [*node.messages, response.message], None, node.depth + 1, node.cost + 1
            )
            self.nodes[child.id] = child
            node.children.append(child.id)
            if not calls:
                child.status, child.action = "answer", response.message.text
                return [*children, child]
            if any(c.name == "give_up" for c in calls):
                child.status, child.action = "failed", "give_up"
                tried.append("give_up")
                children.append(child)
                continue
            results = await runtime.tools(calls)
            for result in results:
                part = ToolResultPart(result.call_id, [TextPart(result.content)], is_error=result.is_error or None)
                child.messages.append(Message("tool", [part]))
            child.action = ", ".join(f"{c.name}({c.arguments})" for c in calls)
            tried.append(child.action)
            child.snapshot = self.toolset.snapshot()
            if all(r.is_error for r in results):
                child.status = "failed"
            children.append(child)
        return children
