"""The Ray executor on a local Ray (127.0.0.1 only): rollouts of built-in tasks through a
real ``RolloutService`` whose stages run in Ray actors, their agents calling the in-process
gateway over HTTP, against the same model backend double as the local executor's tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from rollyard.gateway import Backend, BackendConfig, GatewayConfig, Router, build_app, serve_in_loop
from rollyard.models import Model
from rollyard.rollouts import (
    AgentOutcome,
    AgentSpec,
    Executor,
    GroupSpec,
    LocalExecutor,
    RolloutContext,
    RolloutService,
    ServiceOptions,
)
from rollyard.rollouts._ray import RayExecutor, RayHandle, start_local_ray
from rollyard.store import open_store
from tests.rollouts.players import task_player, variant_agents

pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    """One local Ray for the module; executors join it (and leave it running on close)."""
    ray = start_local_ray(num_cpus=2)
    try:
        yield ray
    finally:
        ray.shutdown()


@contextlib.asynccontextmanager
async def rig(
    tmp_path: Path, executor: Executor, *, model: Model, options: ServiceOptions
) -> AsyncIterator[tuple[RolloutService, str]]:
    db = f"sqlite:///{tmp_path / 'rollouts.db'}"
    router = Router([Backend(BackendConfig(name="default", kind="embedded"), model)])
    store = open_store(db)
    async with serve_in_loop(build_app(GatewayConfig(db=db), router=router)) as url:
        await executor.start()
        service = RolloutService(executor, store, url, options=options)
        try:
            yield service, db
        finally:
            await service.close()
            await executor.close()
            await store.aclose()


async def _session_calls(db: str) -> dict[str, int]:
    store = open_store(db)
    try:
        return {s.session_id: s.calls for s in await store.sessions()}
    finally:
        await store.aclose()


def test_a_group_on_ray_matches_the_local_executor(tmp_path: Path, ray_instance: Any) -> None:
    spec = GroupSpec(suite="builtin", tasks=2, n=6, timeout_s=60)
    options = ServiceOptions(concurrency=4, prewarm=4)

    async def main(executor: Executor, folder: Path) -> tuple[list[Any], dict[str, int]]:
        folder.mkdir()
        async with rig(folder, executor, model=task_player(latency_s=0.05), options=options) as (service, db):
            groups = await service.submit(spec)
            await asyncio.wait_for(asyncio.gather(*(g.done.wait() for g in groups)), 60)
            return groups, await _session_calls(db)

    ray_groups, per_session = asyncio.run(
        main(RayExecutor(workers=3, agent_factory=variant_agents, init_delay_s=0.2), tmp_path / "ray")
    )
    local_groups, _ = asyncio.run(main(LocalExecutor(agent_factory=variant_agents), tmp_path / "local"))

    assert ray_instance.is_initialized()  # the executor joined the module's Ray and left it running
    for ray_group, local_group in zip(ray_groups, local_groups, strict=True):
        assert ray_group.task_id == local_group.task_id and ray_group.state == "done"
        for rollout in ray_group.rollouts:
            assert rollout.status == "completed", (rollout.id, rollout.error)
            assert rollout.calls and per_session[rollout.session_id] == len(rollout.calls)
            assert rollout.trajectory and rollout.trajectory[0]["input_ids"]
            assert rollout.trajectory[0]["metadata"]["advantage"] == pytest.approx(rollout.advantage)
            assert rollout.timings["init"] >= 0.2
        assert [r.reward for r in ray_group.rollouts] == [r.reward for r in local_group.rollouts]
        assert [r.advantage for r in ray_group.rollouts] == pytest.approx([r.advantage for r in local_group.rollouts])
        assert {r.reward for r in ray_group.rollouts} == {0.0, 1.0}


class WatchedRayExecutor(RayExecutor):
    """Remembers which actor runs which rollout, so the test can kill one (the handle is
    the executor's own: there is no public way to name "the process running rollout r1")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.running: dict[str, RayHandle] = {}

    async def run(self, handle: Any, context: RolloutContext, agent: AgentSpec, timeout_s: float) -> AgentOutcome:
        self.running[context.rollout_id] = handle
        return await super().run(handle, context, agent, timeout_s)


def test_an_actor_killed_mid_run_crashes_its_rollout_and_the_group_completes(tmp_path: Path, ray_instance: Any) -> None:
    async def main() -> tuple[Any, Any, int]:
        executor = WatchedRayExecutor(workers=4, agent_factory=variant_agents)
        options = ServiceOptions(concurrency=4, prewarm=0)
        # files-delete-installers: three tool calls, four model calls of 0.4 s each
        async with rig(tmp_path, executor, model=task_player(latency_s=0.4), options=options) as (service, _):
            [group] = await service.submit(GroupSpec(task="files-delete-installers", n=4, timeout_s=60))
            victim = f"{group.id}-r1"
            while victim not in executor.running:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.6)  # mid-run: a model call done, more to come
            ray_instance.kill(executor.running[victim].actor)
            await service.wait(group.id, 60)
            # the pool replaced the dead actor: a new group still runs on four workers
            [after] = await service.submit(GroupSpec(task="files-tag-final-report", n=4, timeout_s=60))
            await service.wait(after.id, 60)
            return group, after, len({h.actor for h in executor.running.values()})

    group, after, actors = asyncio.run(main())
    statuses = [r.status for r in group.rollouts]
    killed = group.rollouts[1]
    assert group.state == "done"
    assert killed.status == "crashed" and "Ray worker" in (killed.error or "") and "died" in (killed.error or "")
    assert killed.calls  # what it did before dying is still recorded
    assert statuses.count("completed") == 3, [(r.status, r.error) for r in group.rollouts]
    assert [r.status for r in after.rollouts] == ["completed"] * 4
    assert actors == 5  # four, then one replacement
