"""``rollyard``: one command, with subcommands."""

from __future__ import annotations

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


def main() -> None:
    """Console-script entry point."""
    app()
