"""``rollyard model ...``: run a model backend."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

model_cli = typer.Typer(
    help="Run model backends. `rollyard model serve` serves the embedded model OpenAI-compatibly.",
    no_args_is_help=True,
)


@model_cli.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind. Loopback by default; expose it deliberately.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8401,
    n_ctx: Annotated[int, typer.Option("--n-ctx", help="Context window of the embedded model, in tokens.")] = 4096,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the embedded model (SmolLM2-135M-Instruct) over OpenAI Chat Completions.

    Endpoints: GET /v1/models, GET /healthz, POST /v1/chat/completions (streaming too).
    Like vLLM with return_token_ids, responses carry top-level `prompt_token_ids` and
    per-choice `token_ids` (the engine's own ids), plus `logprobs.content[]` when asked.

    Try it:

      curl -s localhost:8401/v1/chat/completions -H 'content-type: application/json' \\
        -d '{"model":"embedded","messages":[{"role":"user","content":"Hi"}]}'
    """
    import uvicorn

    from ..models import EmbeddedModel, model_app

    console = Console(stderr=True)
    model = EmbeddedModel(n_ctx=n_ctx)
    with console.status("loading the embedded model"):
        model.warm()
    console.print(f"serving [bold]{model.name}[/] on http://{host}:{port}/v1  (Ctrl+C to stop)")
    uvicorn.run(model_app(model), host=host, port=port, log_level=log_level)
