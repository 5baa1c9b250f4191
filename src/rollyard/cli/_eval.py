"""``rollyard eval``: strategies x models on a suite, judged, recorded, reported."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from ..evals import CaseResult, EvalRun

EPILOG = """Examples:

  rollyard eval --limit 5                                 # built-in tasks, react, embedded model

  rollyard eval --strategy react --strategy compiler --model embedded --report out.html

  rollyard eval --suite bfcl:simple_python --limit 20 --model qwen@http://127.0.0.1:8000/v1 --json

  rollyard eval --resume eval-20261125-101500-ab12cd      # after Ctrl-C: runs only what is missing
"""


def default_db() -> str:
    from ..store import default_db_path

    return f"sqlite:///{default_db_path()}"


def eval_command(
    suite: Annotated[str, typer.Option(help="builtin, bfcl:CATEGORY (e.g. bfcl:simple_python) or a path.")] = "builtin",
    strategy: Annotated[
        list[str] | None, typer.Option(help="react, rewoo, compiler, dfsdt or astar; repeat to compare.")
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option(help="'embedded', a base URL, or NAME@URL; repeat to compare.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N cases of the suite.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Cases run at once.")] = 2,
    db: Annotated[
        str | None, typer.Option(help="Where calls and results go: sqlite:///path or postgresql://...")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="HTML report path (default: beside the database).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    resume: Annotated[
        str | None, typer.Option(help="Continue an interrupted run by its id ('last': the newest in --db).")
    ] = None,
    max_steps: Annotated[int, typer.Option(help="Model calls per task at most.")] = 16,
    max_tokens: Annotated[int, typer.Option(help="Completion tokens per model call at most.")] = 512,
) -> None:
    """Evaluate strategies and models on a suite: built-in tool-world tasks judged by their
    state-diff contracts, or BFCL categories judged by BFCL's matching rules.

    Every model call goes through an in-process rollyard gateway and is recorded in --db
    (one session per case, strategy and model); every result is saved as soon as it is
    known, so Ctrl-C loses nothing and --resume continues. Prints a results table (or
    --json) and writes an HTML report with success-vs-cost and success-vs-latency plots
    and each failure's reason.
    """
    from ..agents import Budget
    from ..evals import AgentSettings

    console = Console(stderr=True)
    db_url = db or default_db()
    settings = AgentSettings(
        budget=Budget(max_requests=max_steps, max_tool_calls=max_steps * 2, max_seconds=300.0), max_tokens=max_tokens
    )
    spec: dict[str, Any] = {
        "suite": suite,
        "strategies": strategy or ["react"],
        "models": model or ["embedded"],
        "limit": limit,
        "max_steps": max_steps,
        "max_tokens": max_tokens,
    }
    try:
        results, run = asyncio.run(evaluate(spec, db_url, resume, concurrency, settings, console, json_output))
    except KeyboardInterrupt:
        console.print(
            "[yellow]interrupted[/]: finished results are saved; continue with "
            f"[bold]rollyard eval --resume last --db {db_url}[/]"
        )
        raise typer.Exit(130) from None
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    target = write_run_report(results, run, spec, db_url, report)
    from ..evals import summarize

    rows = summarize(results)
    if json_output:
        out = {
            "run_id": run.run_id,
            "suite": spec["suite"],
            "n": len(results),
            "cases": len(run.cases),
            "success_rate": sum(r.success for r in results) / len(results) if results else 0.0,
            "summary": rows,
            "report": str(target),
            "db": db_url,
            "tasks": [_task_json(r) for r in results],
        }
        sys.stdout.write(json.dumps(out) + "\n")
        return
    print_tables(Console(), results, rows)
    console.print(f"report: {target}\nrecords: {db_url} (sessions {run.run_id}.*)  run id: {run.run_id}")


def write_run_report(
    results: list[CaseResult], run: EvalRun, spec: dict[str, Any], db_url: str, report: Path | None
) -> Path:
    """The HTML report: at ``report``, else beside the database under ``reports/``."""
    from ..evals import write_report
    from ..store import default_db_path

    folder = Path(db_url.removeprefix("sqlite:///")).parent if db_url.startswith("sqlite:///") else None
    target = report or (folder or default_db_path().parent) / "reports" / f"{run.run_id}.html"
    return write_report(
        target, results, title=f"rollyard eval: {spec['suite']}", run_id=run.run_id, suite=spec["suite"]
    )


def _task_json(result: CaseResult) -> dict[str, Any]:
    data = result.to_dict()
    data["id"] = data.pop("case_id")
    return data


async def evaluate(
    spec: dict[str, Any],
    db_url: str,
    resume: str | None,
    concurrency: int,
    settings: Any,
    console: Console,
    quiet: bool,
    embedded: Any = None,
) -> tuple[list[CaseResult], EvalRun]:
    from ..evals import EvalRun, ModelChoice, load_suite, through_gateway
    from ..store import open_store

    store = open_store(db_url)
    try:
        done: dict[str, dict[str, Any]] = {}
        run_id = None
        if resume:
            saved = None
            if resume == "last":  # the newest evaluation run (a shared store also holds rollout groups)
                for candidate in reversed(await store.eval_runs()):
                    saved = await store.eval_run(candidate)
                    if saved is not None and "suite" in saved:
                        run_id = candidate
                        break
            else:
                run_id = resume
                saved = await store.eval_run(run_id)
            if run_id is None or saved is None or "suite" not in saved:
                raise ValueError(f"no evaluation run {resume!r} in {db_url}")
            spec = saved
            done = await store.eval_results(run_id)
        cases = load_suite(spec["suite"], None if spec.get("task_ids") else spec.get("limit"))
        if spec.get("task_ids"):
            wanted = list(spec["task_ids"])
            cases = sorted((c for c in cases if c.id in wanted), key=lambda c: wanted.index(c.id))
        choices = {c.label: c for c in (ModelChoice.parse(m) for m in spec["models"])}
        if "embedded" in choices and embedded is None:
            from ..models import EmbeddedModel

            embedded = EmbeddedModel()
            await asyncio.to_thread(embedded.warm)
        async with through_gateway(choices, db_url, embedded=embedded) as (_, model_for):
            run = EvalRun(
                cases,
                spec["strategies"],
                list(choices),
                model_for,
                store=store,
                concurrency=concurrency,
                settings=settings,
            )
            if run_id:
                run = replace(run, run_id=run_id)
            await store.put_eval_run(run.run_id, spec)
            total = len(run.work())
            with Progress(
                TextColumn("[bold]eval[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                disable=quiet and not console.is_terminal,
            ) as progress:
                bar = progress.add_task("", total=total, completed=len(done))

                def advance(result: CaseResult) -> None:
                    mark = "[green]pass[/]" if result.success else "[red]fail[/]"
                    progress.update(bar, advance=1, description=f"{result.case_id} {mark}")

                run.on_result = advance
                results = await run.run(done)
        return results, run
    finally:
        await store.aclose()


NARROW_HEADERS = {"LLM calls": "LLM", "tool calls": "tools", "latency s": "secs"}


def print_tables(console: Console, results: list[CaseResult], rows: list[dict[str, Any]]) -> None:
    # A pipe or a log is 80 columns: there the failure reasons go below the table, one line
    # each, instead of squeezing every column to nothing; the names fold, the numbers never do.
    inline_why = console.width >= 120
    tasks = Table(title="Results per task")
    tasks.add_column("case", overflow="fold", min_width=12)
    tasks.add_column("strategy", overflow="fold", min_width=5)
    tasks.add_column("model", overflow="fold", min_width=5)
    for column in ("result", "LLM", "tools", "tokens", "s"):
        tasks.add_column(column, no_wrap=True, min_width=len(column), justify="left" if column == "result" else "right")
    if inline_why:
        tasks.add_column("why", overflow="fold", ratio=1, min_width=20)
    for r in results:
        cells = [
            r.case_id, r.strategy, r.model, "[green]pass[/]" if r.success else "[red]fail[/]", str(r.llm_calls),
            str(r.tool_calls), f"{r.tokens:,}", f"{r.seconds:.1f}",
        ]  # fmt: skip
        if inline_why:
            cells.append(r.reason or "")
        tasks.add_row(*cells)
    console.print(tasks)
    if not inline_why:
        for r in results:
            if r.reason:
                console.print(f"[bold]{r.case_id}[/] ({r.strategy}, {r.model}): {r.reason}", highlight=False)
    summary = Table(title="Aggregate (means per task)")
    summary.add_column("strategy", overflow="fold", min_width=5)
    summary.add_column("model", overflow="fold", min_width=5)
    for column in ("n", "success", "LLM calls", "tool calls", "tokens", "cost", "latency s"):
        header = column if inline_why else NARROW_HEADERS.get(column, column)
        summary.add_column(header, no_wrap=True, min_width=len(header), justify="right")
    for row in rows:
        summary.add_row(
            row["strategy"], row["model"], str(row["n"]), f"{row['success_rate']:.0%}", f"{row['llm_calls']:.1f}",
            f"{row['tool_calls']:.1f}", f"{row['tokens']:,.0f}", f"{row['cost']:.4f}", f"{row['seconds']:.2f}",
        )  # fmt: skip
    console.print(summary)
