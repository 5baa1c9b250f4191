"""Rollouts: throughput and model-busy fraction, with and without prewarm, local vs Ray.

Rollouts of built-in tool-world tasks (ReAct agents, real worlds, each task's reference
call sequence) go through a real ``RolloutService`` and an in-process gateway on 127.0.0.1
(recording into SQLite) to a scripted model backend double. Every environment takes 1 s to
boot (``init_delay_s``) and every rollout spends 3 s in the model (the double waits
3 s / the task's number of calls on each call), at concurrency 8. Runs, side by side: the
local and the Ray executor (a local Ray, 127.0.0.1 only), each with staged prewarm
(``prewarm=8``: INIT runs ahead of the RUN slots) and without (``prewarm=0``: INIT inside
the RUN slot). Reported per run: rollouts per minute and the model-busy fraction, i.e. the
time-integrated number of model calls in flight (recorded at the double: each call's start
and end) over concurrency x wall time (submit to last rollout done).

    python bench/rollouts.py                 # a table
    python bench/rollouts.py --json          # utilization_prewarm, utilization_no_prewarm,
                                             # ray_over_local_throughput (and every row)
    python bench/rollouts.py --rollouts 16 --no-ray

Everything runs on 127.0.0.1, bounded in count and time, and stops by itself."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from rollyard.evals import Task, load_tasks
from rollyard.gateway import Backend, BackendConfig, GatewayConfig, Router, build_app, serve_in_loop
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.models._scripted import Reply
from rollyard.rollouts import Executor, GroupSpec, LocalExecutor, RolloutService, ServiceOptions, resolve_task
from rollyard.store import open_store
from rollyard.wire import Request

CONCURRENCY = 8
INIT_S = 1.0
MODEL_S = 3.0
PER_GROUP = 8
TIMEOUT_S = 600.0


class BusyModel:
    """The backend double: plays each task's reference calls, ``MODEL_S`` per rollout, and
    records every call's (start, end)."""

    def __init__(self, tasks: list[Task]) -> None:
        self.tasks = tasks
        self.spans: list[tuple[float, float]] = []
        self.model = ScriptedModel(self.reply, name="busy", token_ids=True)

    async def reply(self, request: Request) -> Reply:
        started = time.perf_counter()
        first_user = next(m.text for m in request.messages if m.role == "user")
        task = next(t for t in self.tasks if t.instruction.strip() in first_user)
        done = sum(1 for m in request.messages if m.role == "tool")
        await asyncio.sleep(MODEL_S / (len(task.reference) + 1))
        self.spans.append((started, time.perf_counter()))
        if done < len(task.reference):
            return ScriptedCall(task.reference[done].tool, task.reference[done].args)
        return task.reference_answer

    def busy_seconds(self, start: float, end: float) -> float:
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.spans)


def warm_up() -> None:
    """What a long-running service pays once, not per run: imports and the task catalogue
    (the Ray executor's ``start()`` warms its workers the same way)."""
    for module in ("rollyard.agents", "rollyard.models", "rollyard.envs", "rollyard.trajectories"):
        importlib.import_module(module)
    resolve_task(bench_tasks(1)[0].id)


def run(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """On uvloop when installed (as ``rollyard rollout serve`` runs under uvicorn)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def bench_tasks(rollouts: int) -> list[Task]:
    """One task per group of ``PER_GROUP`` rollouts: built-in tasks without user questions."""
    tasks = [t for t in load_tasks("builtin") if not t.user]
    return tasks[: -(-rollouts // PER_GROUP)]


async def measure(executor_name: str, prewarm: int, rollouts: int, workers: int, workdir: Path) -> dict[str, Any]:
    tasks = bench_tasks(rollouts)
    model = BusyModel(tasks)
    db = f"sqlite:///{workdir / f'{executor_name}-{prewarm}.db'}"
    router = Router([Backend(BackendConfig(name="default", kind="embedded"), model.model)])
    executor: Executor
    if executor_name == "ray":
        from rollyard.rollouts._ray import RayExecutor

        executor = RayExecutor(workers=workers, init_delay_s=INIT_S)
    else:
        executor = LocalExecutor(init_delay_s=INIT_S)
    store = open_store(db)
    options = ServiceOptions(concurrency=CONCURRENCY, prewarm=prewarm, init_concurrency=max(CONCURRENCY, prewarm))
    try:
        async with serve_in_loop(build_app(GatewayConfig(db=db), router=router)) as url:
            await executor.start()
            service = RolloutService(executor, store, url, options=options)
            try:
                started = time.perf_counter()
                groups = []
                for index, task in enumerate(tasks):
                    n = min(PER_GROUP, rollouts - index * PER_GROUP)
                    groups += await service.submit(GroupSpec(task=task.id, n=n, timeout_s=120))
                await asyncio.wait_for(asyncio.gather(*(g.done.wait() for g in groups)), TIMEOUT_S)
                wall = time.perf_counter() - started
            finally:
                await service.close()
                await executor.close()
    finally:
        await store.aclose()
    done = [r for g in groups for r in g.rollouts]
    completed = sum(r.status == "completed" and r.reward == 1.0 and bool(r.trajectory) for r in done)
    return {
        "executor": executor_name,
        "prewarm": prewarm,
        "rollouts": len(done),
        "completed": completed,
        "wall_s": round(wall, 2),
        "rollouts_per_min": round(len(done) / wall * 60, 1),
        "model_busy": round(model.busy_seconds(started, started + wall) / (CONCURRENCY * wall), 3),
        "model_calls": len(model.spans),
        "model_busy_bound": round(busy_bound(len(done), prewarm), 3),
    }


def busy_bound(rollouts: int, prewarm: int) -> float:
    """The best model-busy fraction any scheduler gets with no overhead: with prewarm only
    the first wave's INIT is exposed; without it every rollout's INIT holds a RUN slot."""
    waves = -(-rollouts // CONCURRENCY)
    wall = INIT_S + waves * MODEL_S if prewarm else waves * (INIT_S + MODEL_S)
    return rollouts * MODEL_S / (CONCURRENCY * wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--rollouts", type=int, default=96, help="rollouts per run (groups of 8, one task each)")
    parser.add_argument("--ray-workers", type=int, default=8, help="Ray actors (each holds several rollouts)")
    parser.add_argument("--no-ray", action="store_true", help="the local executor only")
    args = parser.parse_args()
    if not 1 <= args.rollouts <= PER_GROUP * len(bench_tasks(10_000)):
        parser.error(f"--rollouts must be between 1 and {PER_GROUP * len(bench_tasks(10_000))}")
    warm_up()
    workdir = Path(tempfile.mkdtemp(prefix="rollyard-bench-rollouts-"))
    rows: list[dict[str, Any]] = []
    ray: Any = None
    try:
        for executor in ("local",) if args.no_ray else ("local", "ray"):
            if executor == "ray":
                from rollyard.rollouts._ray import start_local_ray

                print("starting a local Ray (127.0.0.1 only)", file=sys.stderr)
                ray = start_local_ray()
            for prewarm in (CONCURRENCY, 0):
                print(f"{executor}, prewarm={prewarm}: {args.rollouts} rollouts", file=sys.stderr)
                rows.append(run(measure(executor, prewarm, args.rollouts, args.ray_workers, workdir)))
    finally:
        if ray is not None:
            ray.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    report(rows, as_json=args.json)


def report(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    by = {(r["executor"], r["prewarm"]): r for r in rows}
    summary: dict[str, Any] = {
        "concurrency": CONCURRENCY,
        "init_s": INIT_S,
        "model_s_per_rollout": MODEL_S,
        "utilization_prewarm": by[("local", CONCURRENCY)]["model_busy"],
        "utilization_no_prewarm": by[("local", 0)]["model_busy"],
    }
    if ("ray", CONCURRENCY) in by:
        summary["utilization_prewarm_ray"] = by[("ray", CONCURRENCY)]["model_busy"]
        summary["utilization_no_prewarm_ray"] = by[("ray", 0)]["model_busy"]
        summary["ray_over_local_throughput"] = round(
            by[("ray", CONCURRENCY)]["rollouts_per_min"] / by[("local", CONCURRENCY)]["rollouts_per_min"], 3
        )
        summary["ray_over_local_throughput_no_prewarm"] = round(
            by[("ray", 0)]["rollouts_per_min"] / by[("local", 0)]["rollouts_per_min"], 3
        )
    if as_json:
        print(json.dumps({**summary, "rows": rows}))
        return
    header = ("executor", "prewarm", "rollouts", "ok", "wall s", "per min", "model busy", "bound")
    print(f"{header[0]:8} " + " ".join(f"{h:>{w}}" for h, w in zip(header[1:], (7, 8, 4, 7, 8, 10, 6), strict=True)))
    for r in rows:
        print(
            f"{r['executor']:8} {r['prewarm']:>7} {r['rollouts']:>8} {r['completed']:>4} {r['wall_s']:>7.2f} "
            f"{r['rollouts_per_min']:>8.1f} {r['model_busy']:>10.1%} {r['model_busy_bound']:>6.1%}"
        )
    print(
        f"concurrency {CONCURRENCY}, {INIT_S:.0f} s init, {MODEL_S:.0f} s of model time per rollout: "
        f"at most {CONCURRENCY * 60 / MODEL_S:.0f} rollouts/min; bound: the model-busy fraction with zero overhead"
    )
    for key, value in summary.items():
        print(f"{key:38} {value}")


if __name__ == "__main__":
    main()
