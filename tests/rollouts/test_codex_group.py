"""Codex CLI as the harness of a rollout group: 4 rollouts of the ``ws-hello`` workspace
task through the rollout service and a real gateway (scripted model double behind it),
each in its own workspace and loopback-only namespace, each with its own recorded calls,
a reward from the task's check, and an advantage."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from rollyard.rollouts import AgentSpec, GroupSpec, LocalExecutor, RolloutService, ServiceOptions
from tests.rollouts.harness_backend import ensure_harness, running_gateway


def test_a_group_of_four_codex_rollouts(tmp_path: Path) -> None:
    if ensure_harness("codex") is None:
        pytest.skip("Codex CLI is not installed and npm could not install it")

    async def main() -> tuple[Any, dict[str, int]]:
        async with running_gateway(tmp_path) as gateway:
            service = RolloutService(
                LocalExecutor(), gateway.store, gateway.url, gateway_unix_socket=gateway.unix_socket,
                options=ServiceOptions(concurrency=2, prewarm=2),
            )  # fmt: skip
            spec = GroupSpec(task="ws-hello", n=4, agent=AgentSpec(kind="harness", name="codex"), timeout_s=180)
            [group] = await service.submit(spec)
            await service.wait(group.id, 600)
            sessions = {s.session_id: s.calls for s in await gateway.store.sessions()}
            await service.close()
            return group, sessions

    group, sessions = asyncio.run(main())
    assert group.state == "done"
    for rollout in group.rollouts:
        assert rollout.status == "completed", (rollout.error, rollout.evaluation)
        assert rollout.reward == 1.0 and rollout.advantage == 0.0
        assert len(rollout.calls) >= 2 and sessions[rollout.session_id] == len(rollout.calls)
        assert rollout.trajectory, rollout.evaluation
    assert len({r.session_id for r in group.rollouts}) == 4
