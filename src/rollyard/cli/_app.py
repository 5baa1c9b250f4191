"""``rollyard``: one command, with subcommands."""

from __future__ import annotations

import inspect
import re

import typer

from ._contracts import contracts_cli
from ._demo import demo
from ._eval import EPILOG as EVAL_EPILOG
from ._eval import eval_command
from ._gateway import gateway
from ._model import model_cli
from ._rollout import rollout_cli
from ._run import run
from ._trajectories import trajectories_cli

app = typer.Typer(
    name="rollyard",
    help=(
        "rollyard: a token-faithful gateway, trajectories, agents, environments and rollouts "
        "for tool-using LLM agents.\n\n"
        "Start with `rollyard demo`: it runs the embedded model (SmolLM2-135M, on the CPU) through "
        "a tool-using exchange and shows the exact token ids it saw and sampled."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command(help=demo.__doc__)(demo)
app.command(help=gateway.__doc__)(gateway)
app.command(help=run.__doc__)(run)
app.command("eval", help=eval_command.__doc__, epilog=EVAL_EPILOG)(eval_command)
app.add_typer(model_cli, name="model")
app.add_typer(trajectories_cli, name="trajectories")
app.add_typer(rollout_cli, name="rollout")
app.add_typer(contracts_cli, name="contracts")


def reflow(text: str) -> str:
    """Join each prose paragraph's lines, so rich wraps help to the terminal's width (typer's
    rich mode keeps a docstring's hard line breaks). A paragraph keeps its lines when a line
    after its first is indented or starts a list item: examples and lists stay as written."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    structured = re.compile(r"^(\s|[-*] |\d+\. |[$>])")
    return "\n\n".join(
        p if any(structured.match(line) for line in p.splitlines()[1:]) else " ".join(p.split("\n")) for p in paragraphs
    )


def _reflow_help(typer_app: typer.Typer) -> None:
    if typer_app.info.help:
        typer_app.info.help = reflow(str(typer_app.info.help))
    for command in typer_app.registered_commands:
        text = command.help or (command.callback.__doc__ if command.callback else None)
        if text:
            command.help = reflow(text)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


_reflow_help(app)


def main() -> None:
    """Console-script entry point."""
    app()
