"""``rollyard rollout serve`` and ``rollyard rollout submit``."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

rollout_cli = typer.Typer(
    help=(
        "Groups of rollouts (built-in strategies or harness CLIs) against environments, evaluated, "
        "with rewards, group advantages and token-faithful trajectories for trainers."
    ),
    no_args_is_help=True,
)


@rollout_cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Bind address (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8402,
    executor: Annotated[
        Literal["local", "ray"], typer.Option(help="local: this process; ray: Ray actors (local or a cluster).")
    ] = "local",
    db: Annotated[str | None, typer.Option(help="sqlite:///path or postgresql://... (calls and results).")] = None,
    gateway: Annotated[
        str | None, typer.Option(help="An external gateway URL recording into the same --db (default: in-process).")
    ] = None,
    model: Annotated[str, typer.Option(help="In-process gateway backend: 'embedded' or a base URL.")] = "embedded",
    concurrency: Annotated[int, typer.Option(min=1, help="Rollouts running their agent at once.")] = 8,
    prewarm: Annotated[int, typer.Option(min=0, help="Environments prepared ahead of free run slots.")] = 8,
    resume: Annotated[
        bool, typer.Option(help="Resume the unfinished groups a stopped or killed service left in --db.")
    ] = True,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the rollout API (POST /v1/groups, GET /v1/groups/{id}, .../events, .../cancel,
    POST /v1/pause | /v1/drain | /v1/resume, /healthz, /metrics).

    Each rollout is prepared (INIT), run with its own gateway session (RUN), evaluated and
    given its trajectory (POSTRUN); finished groups get GRPO / leave-one-out advantages.
    Everything is saved in --db as it ends: restarted on the same --db, the service serves
    earlier groups and resumes unfinished ones (rollouts that had not ended run again).
    """
    import uvicorn

    from ..rollouts import ServeSettings, build_rollout_app

    settings = ServeSettings(
        executor=executor,
        db=db,
        gateway=gateway,
        model=model,
        concurrency=concurrency,
        prewarm=prewarm,
        resume=resume,
    )
    Console(stderr=True).print(f"rollyard rollout service on http://{host}:{port}  executor: {executor}")
    uvicorn.run(build_rollout_app(settings), host=host, port=port, log_level=log_level)


@rollout_cli.command()
def submit(
    server: Annotated[str, typer.Option(help="The rollout service, e.g. http://127.0.0.1:8402.")],
    suite: Annotated[str | None, typer.Option(help="A suite (builtin or a task file path).")] = None,
    tasks: Annotated[int | None, typer.Option(help="With --suite: its first N tasks, one group each.")] = None,
    task: Annotated[str | None, typer.Option(help="One task id (tool-world or ws-* workspace task).")] = None,
    n: Annotated[int, typer.Option(min=1, help="Rollouts per group.")] = 4,
    agent: Annotated[str, typer.Option(help="A strategy (react, rewoo, compiler, dfsdt, astar) or harness:NAME.")] = (
        "react"
    ),
    model: Annotated[str, typer.Option(help="Model name at the gateway, or a base URL to add as a backend.")] = (
        "default"
    ),
    priority: Annotated[int, typer.Option(help="Higher runs first.")] = 0,
    timeout: Annotated[float, typer.Option(help="Seconds per rollout's agent run.")] = 600.0,
    early_stop: Annotated[int | None, typer.Option(help="Stop a group after this many usable rollouts.")] = None,
    advantage: Annotated[Literal["grpo", "grpo_std", "rloo"], typer.Option(help="Group baseline.")] = "grpo",
    wait: Annotated[bool, typer.Option(help="Wait until every group is done.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Submit groups of rollouts; with --wait, print each rollout's status, reward and advantage.

    --json prints {"groups": [{"task_id", "rollouts": [{"id", "status", "reward", "advantage",
    "trajectory", "calls"}]}]}.
    """
    import httpx

    if (suite is None) == (task is None):
        raise typer.BadParameter("give --suite or --task", param_hint="--suite/--task")
    from ..rollouts import AgentSpec

    body: dict[str, Any] = {
        "suite": suite, "tasks": tasks, "task": task, "n": n, "priority": priority, "timeout_s": timeout,
        "early_stop": early_stop, "advantage": advantage, "agent": AgentSpec.parse(agent, model).model_dump(),
    }  # fmt: skip
    console = Console(stderr=True)
    with httpx.Client(base_url=server, timeout=60) as client:
        try:
            answer = client.post("/v1/groups", json=body)
        except httpx.HTTPError as exc:
            console.print(f"[red]error:[/] cannot reach {server}: {exc}")
            raise typer.Exit(2) from None
        if answer.status_code != 201:
            console.print(f"[red]error:[/] {answer.json().get('error', {}).get('message', answer.text)}")
            raise typer.Exit(2)
        ids = [g["id"] for g in answer.json()["groups"]]
        if not wait:
            sys.stdout.write(json.dumps({"groups": answer.json()["groups"]}) + "\n")
            return
        groups = []
        with console.status("waiting for rollouts"):
            for group_id in ids:
                while True:
                    data = client.get(f"/v1/groups/{group_id}").json()
                    if data["state"] in ("done", "cancelled"):
                        groups.append(data)
                        break
                    time.sleep(0.5)
    if json_output:
        out = {"groups": [{"id": g["id"], "task_id": g["task_id"], "state": g["state"], "rollouts": g["rollouts"]}
                          for g in groups]}  # fmt: skip
        sys.stdout.write(json.dumps(out) + "\n")
        return
    table = Table(title="Rollouts")
    for column in ("group", "task", "rollout"):
        table.add_column(column, overflow="fold", min_width=6)
    for column in ("status", "reward", "advantage", "calls", "samples"):  # never folded mid-number
        table.add_column(column, no_wrap=True, min_width=len(column), justify="left" if column == "status" else "right")
    table.add_column("error", overflow="fold", min_width=10)
    for g in groups:
        for r in g["rollouts"]:
            table.add_row(
                g["id"], g["task_id"], r["id"], r["status"], _num(r["reward"]), _num(r["advantage"]),
                str(len(r["calls"])), str(len(r["trajectory"])), (r["error"] or "")[:80],
            )  # fmt: skip
    Console().print(table)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
