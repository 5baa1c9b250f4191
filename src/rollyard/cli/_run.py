"""``rollyard run``: one task, one strategy, one model, one toolset."""

from __future__ import annotations

import asyncio
import importlib
import json
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

Strategy = Literal["react", "rewoo", "compiler", "dfsdt", "astar"]


def _toolset(spec: str) -> Any:
    from ..tools import Toolset

    module_name, _, attr = spec.partition(":")
    try:
        value = getattr(importlib.import_module(module_name), attr or "toolset")
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter(f"cannot load tools {spec!r}: {exc}") from None
    toolset = value() if callable(value) and not isinstance(value, Toolset) else value
    if not isinstance(toolset, Toolset):
        raise typer.BadParameter(f"{spec!r} is not a Toolset (or a function returning one)")
    return toolset


def _model(spec: str) -> Any:
    from ..models import EmbeddedModel, OpenAICompatibleModel

    if spec == "embedded":
        return EmbeddedModel()
    if spec.startswith(("http://", "https://")):
        return OpenAICompatibleModel(spec, kind="openai")
    raise typer.BadParameter("--model takes 'embedded' or an OpenAI-compatible base URL (http://host:port/v1)")


def run(
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    strategy: Annotated[Strategy, typer.Option(help="react, rewoo, compiler (LLMCompiler), dfsdt or astar.")] = "react",
    model: Annotated[str, typer.Option(help="'embedded' or an OpenAI-compatible base URL.")] = "embedded",
    tools: Annotated[
        str, typer.Option(help="MODULE:ATTR of a Toolset, or of a function returning one.")
    ] = "rollyard.tools.examples:calculator",
    max_requests: Annotated[int, typer.Option(help="Budget: model requests.")] = 8,
    max_tokens: Annotated[int, typer.Option(help="Tokens per model reply.")] = 128,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run one task with an agent strategy and print the answer, the steps (a tree for
    dfsdt/astar, the DAG for compiler), the calls, tokens and time.

    Example: rollyard run --strategy compiler "Add 2 and 3, and multiply 4 by 5"
    """
    from ..agents import Budget, LLMCompiler, ReAct, ReWOO, TreeSearch

    toolset = _toolset(tools)
    llm = _model(model)
    budget = Budget(max_requests=max_requests)
    agent: Any
    match strategy:
        case "react":
            agent = ReAct(llm, toolset, budget, max_tokens=max_tokens)
        case "rewoo":
            agent = ReWOO(llm, toolset, budget, max_tokens=max_tokens)
        case "compiler":
            agent = LLMCompiler(llm, toolset, budget, max_tokens=max_tokens)
        case "dfsdt" | "astar":
            agent = TreeSearch(
                llm, toolset, budget, order="dfs" if strategy == "dfsdt" else "astar", max_tokens=max_tokens
            )
    console = Console()
    with console.status(f"running {strategy}"):
        result = asyncio.run(agent.run(task))
    if as_json:
        print(json.dumps(result.summary()))
        return
    console.print(f"[bold]answer[/] {result.answer}")
    console.print(f"[bold]status[/] {result.status}" + (f" ({result.reason})" if result.reason else ""))
    if strategy in ("dfsdt", "astar") and isinstance(result.state, dict) and "tree" in result.state:
        nodes = result.state["tree"]
        tree = Tree("search")
        branches = {0: tree}
        for node in nodes.values():
            if node.parent is not None and node.parent in branches:
                branches[node.id] = branches[node.parent].add(f"{node.action} [{node.status}]")
        console.print(tree)
    elif strategy == "compiler" and isinstance(result.state, dict):
        for node in result.state.get("dag", []):
            deps = ", ".join(str(d) for d in sorted(node.step.deps)) or "-"
            outcome = node.result.status if node.result else "not run"
            console.print(f"  ({node.step.id}) {node.step.tool} after [{deps}] -> {outcome}")
    table = Table(title="steps")
    for column in ("kind", "name", "status", "seconds"):
        table.add_column(column)
    for step in result.steps:
        table.add_row(step.kind, step.name, step.status, f"{step.ended - step.started:.3f}")
    console.print(table)
    s = result.summary()
    console.print(
        f"llm calls {s['llm_calls']}, tool calls {s['tool_calls']}, "
        f"tokens {s['prompt_tokens']} + {s['completion_tokens']}, {s['seconds']} s"
    )
