"""``rollyard contracts ...``: check a state diff against a state-diff contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from ..evals._contracts import Verdict

contracts_cli = typer.Typer(
    help=(
        "State-diff contracts: did an episode change exactly what it should have, and nothing else? "
        "Contracts use Agent-Diff's evaluation DSL, so its published suites work unchanged."
    ),
    no_args_is_help=True,
)

_EPILOG = """\
A contract (JSON or YAML) lists assertions over the diff's inserts, updates and deletes:

    {"strict": true, "closed_world": true,
     "ignore_fields": {"global": ["updated_at"]},
     "assertions": [
       {"diff_type": "added", "entity": "messages",
        "where": {"channel_id": 3, "text": {"contains": "hello"}},
        "expected_count": 1, "description": "posts hello in #3"},
       {"diff_type": "changed", "entity": "orders", "where": {"id": 7},
        "expected_changes": {"status": {"from": "new", "to": "shipped"}}},
       {"diff_type": "unchanged", "entity": "users"}]}

diff_type is added, removed, changed or unchanged. where maps fields (dotted paths reach into
JSON values) to a value (equality) or operators: eq ne in not_in contains not_contains
i_contains starts_with ends_with regex gt gte lt lte exists is_null not_null has_any has_all,
and "and"/"or" lists. expected_count is a number or {"min": n, "max": m}; by default at least
one row must match (none, for unchanged). strict: a changed row may change only the fields in
expected_changes. closed_world: every insert, update and delete must be matched by an assertion.

The diff has "inserts" and "deletes" (lists of rows) and "updates" (a list of {"before": row,
"after": row}), each row naming its entity in "__table__": rollyard's StateDiff.to_dict(), or
Agent-Diff's own diffs.

Examples:
    rollyard contracts check --contract task.yaml --diff run.json
    rollyard contracts check --contract task.json --diff run.json --json
    rollyard contracts check --batch runs.jsonl > verdicts.jsonl

Exit code: 0 when every verdict passed, 1 when one failed, 2 on bad input.
"""


@contracts_cli.callback()
def _group() -> None:
    """State-diff contracts: did an episode change exactly what it should have, and nothing else?"""


@contracts_cli.command("check", epilog=_EPILOG)
def check(
    contract: Annotated[Path | None, typer.Option(help="Contract file: .json, .yaml or .yml.")] = None,
    diff: Annotated[Path | None, typer.Option(help="Diff file (.json or .yaml): inserts, updates, deletes.")] = None,
    batch: Annotated[
        Path | None,
        typer.Option(
            help='JSONL file, each line {"contract": ..., "diff": ...} (each inline, or a file path relative to '
            'the batch file; an optional "id" is echoed). Prints one JSON verdict per line, in order; a bad line '
            'gives {"passed": false, "error": ...} and the batch goes on.'
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON verdict instead of a table.")] = False,
) -> None:
    """Check a state diff against a contract: a table of assertions (pass or fail, and why) and a summary."""
    if batch is not None:
        if contract is not None or diff is not None:
            _bad_input("--batch takes the contracts and diffs from its lines: leave out --contract and --diff")
        raise typer.Exit(_check_batch(batch))
    if contract is None or diff is None:
        _bad_input("give --contract FILE and --diff FILE (or --batch FILE.jsonl); see --help")

    from ..evals._contracts import Contract, ContractError, DiffError, check_contract, load_mapping

    try:
        spec = Contract.load(contract)
    except ContractError as exc:
        _bad_input(str(exc) if str(contract) in str(exc) else f"contract {contract}: {exc}")
    try:
        verdict = check_contract(spec, load_mapping(diff, "diff"))
    except ContractError as exc:  # the diff file could not be read
        _bad_input(str(exc))
    except DiffError as exc:
        _bad_input(f"diff {diff}: {exc}")
    if as_json:
        print(json.dumps(verdict.to_dict(), ensure_ascii=False, default=str))
    else:
        _print_table(verdict, f"{contract.name} against {diff.name}")
    raise typer.Exit(0 if verdict.passed else 1)


def _print_table(verdict: Verdict, title: str) -> None:
    table = Table(title=escape(title), show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("assertion")
    table.add_column("result")
    table.add_column("matched", justify="right")
    table.add_column("reason")
    for r in verdict.results:
        mark = "[green]pass[/green]" if r.passed else "[bold red]FAIL[/bold red]"
        table.add_row(str(r.index), escape(r.description), mark, str(r.matched), escape(r.reason))
    if verdict.closed_world:
        mark = "[bold red]FAIL[/bold red]" if verdict.unexplained else "[green]pass[/green]"
        reason = "; ".join(verdict.unexplained) if verdict.unexplained else "every change is accounted for"
        table.add_row("", "closed world", mark, str(len(verdict.unexplained)), escape(reason))
    console = Console()
    console.print(table)
    checks = len(verdict.results) + verdict.closed_world
    passed = sum(r.passed for r in verdict.results) + (verdict.closed_world and not verdict.unexplained)
    status = "[bold green]PASSED[/bold green]" if verdict.passed else "[bold red]FAILED[/bold red]"
    console.print(f"{status}: {passed}/{checks} checks passed, score {verdict.score:.2f}")


def _check_batch(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        _bad_input(f"cannot read batch {path}: {exc}")
    all_passed = True
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        out = _check_line(line, number, path.parent)
        all_passed = all_passed and out["passed"] is True
        print(json.dumps(out, ensure_ascii=False, default=str), flush=True)
    return 0 if all_passed else 1


def _check_line(line: str, number: int, base: Path) -> dict[str, Any]:
    """One batch line's verdict, or ``{"passed": false, "error": ...}``: a bad line never stops the batch."""
    from ..evals._contracts import Contract, ContractError, DiffError, check_contract, load_mapping

    head: dict[str, Any] = {"line": number}

    def error(message: str) -> dict[str, Any]:
        return head | {"passed": False, "score": 0.0, "error": message}

    try:
        record = json.loads(line)
    except ValueError as exc:
        return error(f"not valid JSON: {exc}")
    if not isinstance(record, dict):
        return error('expected an object {"contract": ..., "diff": ...}')
    if "id" in record:
        head["id"] = record["id"]
    unknown = sorted(set(record) - {"contract", "diff", "id"})
    if unknown:
        return error(f"unknown key {unknown[0]!r} (a line has contract, diff and an optional id)")
    if "contract" not in record or "diff" not in record:
        return error('a line needs both "contract" and "diff"')
    try:
        raw = record["contract"]
        contract = Contract.load(base / raw) if isinstance(raw, str) else Contract.from_dict(raw)
    except ContractError as exc:
        return error(f"contract: {exc}")
    try:
        raw = record["diff"]
        verdict = check_contract(contract, load_mapping(base / raw, "diff") if isinstance(raw, str) else raw)
    except (ContractError, DiffError) as exc:
        return error(f"diff: {exc}")
    except Exception as exc:  # a bug must not cost the rest of the batch its verdicts
        return error(f"unexpected {type(exc).__name__}: {exc}")
    return head | verdict.to_dict()


def _bad_input(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
