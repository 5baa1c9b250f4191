"""``rollyard run``: one task, one strategy, one model, one toolset."""

from __future__ import annotations

import asyncio
import importlib
import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

if TYPE_CHECKING:
    from ..agents import RunResult
    from ..models import Model
    from ..tools import Toolset

StrategyName = Literal["react", "rewoo", "compiler", "dfsdt", "astar"]


def load_toolset(spec: str) -> Toolset:
    """The toolset ``MODULE:ATTR`` names: a ``Toolset``, or a function returning one."""
    from ..tools import Toolset

    module_name, _, attr = spec.partition(":")
    try:
        value = getattr(importlib.import_module(module_name), attr or "toolset")
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter(f"cannot load tools {spec!r}: {exc}", param_hint="--tools") from None
    toolset = value() if callable(value) and not isinstance(value, Toolset) else value
    if not isinstance(toolset, Toolset):
        raise typer.BadParameter(f"{spec!r} is not a Toolset (or a function returning one)", param_hint="--tools")
    return toolset


def load_model(spec: str, api_key: str | None) -> Model:
    """``embedded`` (SmolLM2 on the CPU) or an OpenAI-compatible base URL."""
    from ..models import EmbeddedModel, OpenAICompatibleModel

    if spec == "embedded":
        return EmbeddedModel()
    if spec.startswith(("http://", "https://")):
        return OpenAICompatibleModel(spec, kind="openai", api_key=api_key)
    raise typer.BadParameter(
        "use 'embedded' or an OpenAI-compatible base URL (http://host:port/v1)", param_hint="--model"
    )


def run(
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    strategy: Annotated[
        StrategyName, typer.Option(help="react, rewoo, compiler (LLMCompiler), dfsdt or astar.")
    ] = "react",
    model: Annotated[str, typer.Option(help="'embedded' or an OpenAI-compatible base URL.")] = "embedded",
    model_name: Annotated[str, typer.Option(help="Model name sent in requests (for URL backends).")] = "agent",
    api_key: Annotated[str | None, typer.Option(envvar="OPENAI_API_KEY", help="Key for a URL backend.")] = None,
    tools: Annotated[
        str, typer.Option(help="MODULE:ATTR of a Toolset, or of a function returning one.")
    ] = "rollyard.tools.examples:calculator",
    max_requests: Annotated[int, typer.Option(help="Budget: model requests in all.")] = 8,
    max_tool_calls: Annotated[int, typer.Option(help="Budget: tool calls in all.")] = 20,
    max_seconds: Annotated[float, typer.Option(help="Budget: wall time.")] = 300.0,
    max_tokens: Annotated[int, typer.Option(help="Tokens per model reply.")] = 128,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (the summary and the trace).")] = False,
) -> None:
    """Run one task with an agent strategy and print the answer, the trace (the DAG for
    compiler, the search tree for dfsdt/astar), calls, tokens and time.

    Example: rollyard run --strategy compiler "Add 2 and 3, and multiply 4 by 5"
    """
    from ..agents import Budget, make_strategy

    toolset = load_toolset(tools)
    llm = load_model(model, api_key)
    budget = Budget(max_requests=max_requests, max_tool_calls=max_tool_calls, max_seconds=max_seconds)
    agent = make_strategy(strategy, llm, toolset, budget, max_tokens=max_tokens, model_name=model_name)

    async def go() -> RunResult:
        try:
            return await agent.run(task)
        finally:
            await llm.aclose()

    console = Console(stderr=as_json)
    with console.status(f"running {strategy}"):
        result = asyncio.run(go())
    if as_json:
        print(json.dumps(result.to_dict(), default=str))
        return
    show(console, result)


def show(console: Console, result: RunResult) -> None:
    """The answer, the DAG or tree, the steps and the totals, as rich output."""
    console.print(f"[bold]answer[/] {result.answer}")
    console.print(f"[bold]status[/] {result.status}" + (f" ({result.reason})" if result.reason else ""))
    for pending in result.pending_approvals:
        console.print(f"[yellow]needs approval[/] {pending.call_id}: {pending.tool}({pending.arguments})")
    if result.tree:
        console.print(_tree(result))
    if result.dag:
        console.print(_dag(result))
    table = Table(title="steps")
    for column in ("kind", "name", "status", "start s", "seconds", "detail"):
        table.add_column(column)
    for step in result.steps:
        detail = _step_detail(step.kind, step.detail)
        table.add_row(step.kind, step.name, step.status, f"{step.started:.3f}", f"{step.seconds:.3f}", detail)
    console.print(table)
    console.print(
        f"llm calls {result.llm_calls}, tool calls {result.tool_calls}, "
        f"tokens {result.prompt_tokens} + {result.completion_tokens}, {result.seconds:.3f} s"
    )


def _step_detail(kind: str, detail: dict[str, Any]) -> str:
    if kind == "llm":
        return f"{detail.get('prompt_tokens', 0)} + {detail.get('completion_tokens', 0)} tokens"
    if kind == "tool":
        return f"{detail.get('arguments', '')} -> {str(detail.get('result', ''))[:60]}"
    return str(detail.get("error", ""))


def _tree(result: RunResult) -> Tree:
    nodes = result.tree or []
    tree = Tree(f"search ({len(nodes) - 1} nodes)")
    branches = {0: tree}
    for node in nodes[1:]:
        parent = branches.get(node.parent if node.parent is not None else 0, tree)
        style = {"answer": "green", "failed": "red", "gave_up": "red"}.get(node.status, "")
        label = f"#{node.id} {node.label()} g={node.g:g} h={node.h:g}"
        branches[node.id] = parent.add(f"[{style}]{label}[/]" if style else label)
    return tree


def _dag(result: RunResult) -> Table:
    table = Table(title="plan DAG")
    for column in ("attempt", "id", "tool", "after", "status", "start s", "end s", "result"):
        table.add_column(column)
    for node in result.dag or []:
        content = node.result.content[:50] if node.result else ""
        table.add_row(
            str(node.attempt),
            str(node.id),
            node.step.tool,
            ", ".join(map(str, node.deps)) or "-",
            node.status,
            "" if node.started is None else f"{node.started:.3f}",
            "" if node.ended is None else f"{node.ended:.3f}",
            content,
        )
    return table
