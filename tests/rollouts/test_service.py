"""The rollout service on real parts: an in-process gateway on 127.0.0.1 recording into a
real SQLite file, real tool worlds, ReAct agents, and a model backend double with token
ids and latency at the model seam."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rollyard.envs import Environment, make_world
from rollyard.evals import Task
from rollyard.gateway import Backend, BackendConfig, GatewayConfig, Router, build_app, serve_in_loop
from rollyard.models import Model
from rollyard.rollouts import (
    AgentOutcome,
    AgentSpec,
    GroupSpec,
    LocalExecutor,
    RolloutAgent,
    RolloutContext,
    RolloutService,
    ServiceOptions,
    StrategyAgent,
)
from rollyard.store import open_store
from tests.rollouts.players import is_wrong_variant, task_player, variant_agents


@dataclass
class Rig:
    service: RolloutService
    db: str
    gateway_url: str


@contextlib.asynccontextmanager
async def rig(
    tmp_path: Path,
    *,
    model: Model | None = None,
    options: ServiceOptions | None = None,
    agent_factory: Callable[[AgentSpec], RolloutAgent] = variant_agents,
    env_factory: Callable[[Task], Environment] | None = None,
    init_delay_s: float = 0.0,
) -> AsyncIterator[Rig]:
    db = f"sqlite:///{tmp_path / 'rollouts.db'}"
    router = Router([Backend(BackendConfig(name="default", kind="embedded"), model or task_player())])
    app = build_app(GatewayConfig(db=db), router=router)
    store = open_store(db)
    async with serve_in_loop(app) as url:
        executor = LocalExecutor(agent_factory=agent_factory, env_factory=env_factory, init_delay_s=init_delay_s)
        service = RolloutService(executor, store, url, options=options or ServiceOptions(concurrency=4, prewarm=4))
        try:
            yield Rig(service, db, url)
        finally:
            await service.close()
            await store.aclose()


async def _all_done(service: RolloutService, groups: list[Any], timeout_s: float = 240) -> None:
    await asyncio.wait_for(asyncio.gather(*(g.done.wait() for g in groups)), timeout_s)


def test_two_hundred_rollouts_with_slow_inits_lose_nothing(tmp_path: Path) -> None:
    async def main() -> tuple[list[Any], dict[str, int], int]:
        options = ServiceOptions(concurrency=16, prewarm=16, init_concurrency=16)
        async with rig(tmp_path, model=task_player(latency_s=0.05), options=options, init_delay_s=1.0) as r:
            groups = await r.service.submit(GroupSpec(suite="builtin", tasks=10, n=20, timeout_s=120))
            await _all_done(r.service, groups)
            store = open_store(r.db)
            try:
                per_session = {s.session_id: s.calls for s in await store.sessions()}
                saved = sum([len(await store.eval_results(g.id)) for g in groups])
            finally:
                await store.aclose()
            return groups, per_session, saved

    groups, per_session, saved = asyncio.run(main())
    rollouts = [r for g in groups for r in g.rollouts]
    assert len(groups) == 10 and len(rollouts) == 200 and saved == 200
    for rollout in rollouts:
        assert rollout.status == "completed", (rollout.id, rollout.error)
        assert rollout.calls and per_session[rollout.session_id] == len(rollout.calls)
        assert (
            rollout.trajectory
            and rollout.trajectory[0]["input_ids"]
            and rollout.trajectory[0]["reward"] == (rollout.reward)
        )
        assert rollout.reward == (0.0 if is_wrong_variant(rollout.index) else 1.0), rollout.evaluation
        assert rollout.timings["init"] >= 1.0
    for group in groups:
        # GRPO by hand: 7 of 20 rollouts (indexes 0, 3, ..., 18) play the wrong variant.
        mean = 13 / 20
        for rollout in group.rollouts:
            assert rollout.advantage == pytest.approx((rollout.reward or 0.0) - mean)
            assert rollout.trajectory[0]["metadata"]["advantage"] == pytest.approx(rollout.advantage)


def test_leave_one_out_advantages_by_hand(tmp_path: Path) -> None:
    async def main() -> Any:
        async with rig(tmp_path) as r:
            [group] = await r.service.submit(GroupSpec(task="files-tag-final-report", n=4, advantage="rloo"))
            return await r.service.wait(group.id, 60)

    group = asyncio.run(main())
    rewards = [r.reward for r in group.rollouts]
    assert rewards == [0.0, 1.0, 1.0, 0.0]
    for rollout in group.rollouts:
        others = [x for i, x in enumerate(rewards) if i != rollout.index]
        assert rollout.advantage == pytest.approx(rollout.reward - sum(others) / 3)


class FaultyAgents:
    """Index 1 hangs, index 2 crashes, the rest run ReAct."""

    def __call__(self, spec: AgentSpec) -> RolloutAgent:
        return _Faulty(spec)


class _Faulty(StrategyAgent):
    async def run(self, context: RolloutContext, timeout_s: float) -> AgentOutcome:
        index = int(context.rollout_id.rsplit("-r", 1)[1])
        if index == 1:
            return await super().run(_hang(context), timeout_s)
        if index == 2:
            raise RuntimeError("the agent process died")
        return await super().run(context, timeout_s)


def _hang(context: RolloutContext) -> RolloutContext:
    context.extra["toolset"] = _HangingToolset(context.extra["toolset"])
    return context


class _HangingToolset:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def call(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)


def test_hang_crash_and_failed_init_each_end_clearly_and_the_group_completes(tmp_path: Path) -> None:
    made = []

    def env_factory(task: Task) -> Environment:
        made.append(task.id)
        if len(made) == 4:
            raise RuntimeError("the environment's database would not start")
        return make_world(task.world, task.seed)

    async def main() -> Any:
        options = ServiceOptions(concurrency=3, prewarm=0)
        async with rig(tmp_path, agent_factory=FaultyAgents(), env_factory=env_factory, options=options) as r:
            [group] = await r.service.submit(GroupSpec(task="files-tag-final-report", n=6, timeout_s=1.5))
            return await r.service.wait(group.id, 60)

    group = asyncio.run(main())
    statuses = [r.status for r in group.rollouts]
    assert group.state == "done"
    assert statuses[1] == "timeout" and "1.5" in (group.rollouts[1].error or "")
    assert statuses[2] == "crashed" and "the agent process died" in (group.rollouts[2].error or "")
    assert statuses.count("init_failed") == 1
    failed_init = next(r for r in group.rollouts if r.status == "init_failed")
    assert "would not start" in (failed_init.error or "") and failed_init.reward is None
    assert statuses.count("completed") == 3
    assert all(r.reward is not None for r in group.rollouts if r.status != "init_failed")


def test_a_gateway_restart_mid_group_ends_every_rollout_clearly(tmp_path: Path) -> None:
    async def main() -> Any:
        db = f"sqlite:///{tmp_path / 'rollouts.db'}"
        player = task_player(latency_s=0.3)

        def gateway() -> Any:
            router = Router([Backend(BackendConfig(name="default", kind="embedded"), player)])
            return build_app(GatewayConfig(db=db), router=router)

        store = open_store(db)
        stack = contextlib.AsyncExitStack()
        url = await stack.enter_async_context(serve_in_loop(gateway()))
        port = int(url.rsplit(":", 1)[1])
        service = RolloutService(
            LocalExecutor(agent_factory=variant_agents), store, url, options=ServiceOptions(concurrency=2, prewarm=2)
        )
        [group] = await service.submit(GroupSpec(task="files-tag-final-report", n=8, timeout_s=60))
        while not any(r.done for r in group.rollouts):
            await asyncio.sleep(0.05)
        await stack.aclose()  # the gateway goes away mid-group...
        await asyncio.sleep(1.5)
        async with serve_in_loop(gateway(), port=port):  # ...and comes back on the same port
            await service.wait(group.id, 120)
        await service.close()
        per_session = {s.session_id: s.calls for s in await store.sessions()}
        await store.aclose()
        return group, per_session

    group, per_session = asyncio.run(main())
    statuses = [r.status for r in group.rollouts]
    assert group.state == "done" and set(statuses) <= {"completed", "failed"}
    assert "failed" in statuses and statuses.count("completed") >= 2
    for rollout in group.rollouts:
        if rollout.status == "failed":
            assert "refused" in (rollout.error or "") or "backend" in (rollout.error or ""), rollout.error
        else:
            assert per_session[rollout.session_id] == len(rollout.calls) > 0
            assert rollout.reward is not None and rollout.advantage is not None


def test_early_stop_skips_the_rest(tmp_path: Path) -> None:
    async def main() -> Any:
        options = ServiceOptions(concurrency=1, prewarm=0)
        async with rig(tmp_path, model=task_player(latency_s=0.05), options=options) as r:
            spec = GroupSpec(task="files-tag-final-report", n=8, early_stop=2)
            [group] = await r.service.submit(spec)
            return await r.service.wait(group.id, 60)

    group = asyncio.run(main())
    statuses = [r.status for r in group.rollouts]
    usable = [r for r in group.rollouts if r.status == "completed"]
    assert group.state == "done" and 2 <= len(usable) <= 3 and "skipped" in statuses
    assert all(s in ("completed", "skipped") for s in statuses)


def test_priority_pause_drain_and_cancel(tmp_path: Path) -> None:
    async def main() -> tuple[list[str], Any, list[str], str]:
        options = ServiceOptions(concurrency=1, prewarm=0)
        async with rig(tmp_path, model=task_player(latency_s=0.05), options=options) as r:
            finished: list[str] = []
            low = GroupSpec(task="files-tag-final-report", n=3, priority=0)
            high = GroupSpec(task="calendar-block-focus", n=3, priority=5)
            r.service.pause()
            [g_low] = await r.service.submit(low)
            [g_high] = await r.service.submit(high)
            await asyncio.sleep(0.5)
            assert all(x.status in ("queued", "init") for x in g_low.rollouts + g_high.rollouts)
            r.service.resume()
            for group in (g_low, g_high):
                for rollout in group.rollouts:
                    group.tasks[rollout.id].add_done_callback(lambda _, gid=group.id: finished.append(gid))
            await _all_done(r.service, [g_low, g_high], 60)
            # drain waits for running rollouts, then nothing new starts until resume
            [g_slow] = await r.service.submit(GroupSpec(task="files-tag-final-report", n=4))
            while not any(x.status == "running" for x in g_slow.rollouts):
                await asyncio.sleep(0.01)
            await r.service.drain(30)
            running = [x.status for x in g_slow.rollouts]
            await r.service.cancel(g_slow.id)
            return finished, g_slow, running, g_high.id

    finished, slow, running_after_drain, high_id = asyncio.run(main())
    # The high-priority group overtakes: at most one low-priority rollout (the one that took
    # the free slot first) finishes before all of the high-priority ones.
    high = [i for i, gid in enumerate(finished) if gid == high_id]
    low = [i for i, gid in enumerate(finished) if gid != high_id]
    assert len(high) == 3 and len(low) == 3 and max(high) < low[1]
    assert "running" not in running_after_drain
    assert slow.state == "cancelled" and "cancelled" in [x.status for x in slow.rollouts]


def test_a_finished_group_is_posted_to_its_callback(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request as HTTPRequest
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    received: list[dict[str, Any]] = []

    async def hook(request: HTTPRequest) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"ok": True})

    trainer = Starlette(routes=[Route("/groups", hook, methods=["POST"])])

    async def main() -> Any:
        async with serve_in_loop(trainer) as trainer_url, rig(tmp_path) as r:
            spec = GroupSpec(task="files-tag-final-report", n=3, callback_url=f"{trainer_url}/groups")
            [group] = await r.service.submit(spec)
            await r.service.wait(group.id, 60)
            for _ in range(100):
                if received:
                    break
                await asyncio.sleep(0.05)
            return group

    group = asyncio.run(main())
    assert len(received) == 1
    posted = received[0]
    assert posted["id"] == group.id and posted["state"] == "done" and len(posted["rollouts"]) == 3
    assert [r["advantage"] for r in posted["rollouts"]] == [r.advantage for r in group.rollouts]
    assert posted["rollouts"][0]["trajectory"][0]["input_ids"]
