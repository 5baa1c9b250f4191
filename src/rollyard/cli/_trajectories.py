"""``rollyard trajectories ...``: training samples from recorded calls."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

trajectories_cli = typer.Typer(
    help="Build token-faithful training samples from the calls the gateway recorded.", no_args_is_help=True
)

DbOption = Annotated[
    str | None, typer.Option(help="sqlite:///path (default: the gateway's default file under the user data dir).")
]
SessionOption = Annotated[list[str] | None, typer.Option("--session", help="Only this session (repeatable).")]
BuilderOption = Annotated[
    Literal["per_call", "prefix_merge"],
    typer.Option(help="per_call: a sample per call. prefix_merge: calls chained by exact token prefix."),
]


@trajectories_cli.command("export")
def export(
    output: Annotated[str, typer.Option("-o", "--output", help="File (jsonl, parquet) or folder (hf) to write.")],
    db: DbOption = None,
    session: SessionOption = None,
    builder: BuilderOption = "prefix_merge",
    format: Annotated[Literal["jsonl", "parquet", "hf"], typer.Option(help="Output format.")] = "jsonl",
) -> None:
    """Export samples: rows of session_id, chain_id, input_ids, loss_mask, logprobs
    (same length as input_ids, 0.0 where the mask is 0), call_ids, reward, metadata.

    Example:

      rollyard trajectories export --db sqlite:///calls.db --builder prefix_merge \\
        --format parquet -o run.parquet
    """
    from ..trajectories import build_from_store, export_samples

    console = Console(stderr=True)
    with console.status(f"building with {builder}"):
        result = build_from_store(db, builder, session or [])
    with console.status(f"writing {format}"):
        rows = export_samples(result.samples, output, format)
    stats = result.stats.as_dict()
    console.print(
        f"wrote {rows} rows to {output}  (calls {stats['calls']}, chains {stats['chains']}, "
        f"breaks {stats['breaks_total']}, quarantined {stats['quarantined']}, without ids {stats['excluded_no_ids']})"
    )


@trajectories_cli.command("stats")
def stats(
    db: DbOption = None,
    session: SessionOption = None,
    builder: BuilderOption = "prefix_merge",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Fidelity statistics of a build: calls, chains, merges, breaks by cause, tokens
    before and after merging, quarantined calls, calls without engine ids."""
    from ..trajectories import build_from_store

    result = build_from_store(db, builder, session or [])
    data = result.stats.as_dict()
    if as_json:
        print(json.dumps(data))
        return
    table = Table(title=f"trajectory build: {builder}")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for key, value in data.items():
        if key == "breaks":
            for cause, count in value.items():
                table.add_row(f"  break: {cause}", str(count))
            continue
        table.add_row(key, str(value))
    Console().print(table)
