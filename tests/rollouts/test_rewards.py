"""Group advantages by hand, and the command and callable evaluators inside the service."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from rollyard.rollouts import EvaluatorSpec, GroupSpec, group_advantages
from tests.rollouts.test_service import rig


def test_grpo_with_and_without_std_and_leave_one_out() -> None:
    rewards = [1.0, 0.0, 0.5, None, 1.0]
    usable = [1.0, 0.0, 0.5, 1.0]
    mean = sum(usable) / 4
    std = math.sqrt(sum((r - mean) ** 2 for r in usable) / 4)
    assert group_advantages(rewards, "grpo") == pytest.approx([1.0 - mean, -mean, 0.5 - mean, None, 1.0 - mean])
    scaled = group_advantages(rewards, "grpo_std")
    assert scaled[3] is None
    assert [s for s in scaled if s is not None] == pytest.approx([(r - mean) / (std + 1e-6) for r in usable])
    loo = group_advantages(rewards, "rloo")
    assert loo[0] == pytest.approx(1.0 - (0.0 + 0.5 + 1.0) / 3) and loo[3] is None
    assert group_advantages([None, None], "grpo") == [None, None]
    assert group_advantages([0.7], "rloo") == [0.0]


def test_command_and_callable_evaluators(tmp_path: Path) -> None:
    async def main() -> tuple[list[float | None], list[float | None]]:
        async with rig(tmp_path) as r:
            command = EvaluatorSpec(kind="command", command="echo 'score: 0.25'", parse_float=True)
            callable_ = EvaluatorSpec(kind="callable", callable="tests.rollouts.players:answer_length_reward")
            [a] = await r.service.submit(GroupSpec(task="files-tag-final-report", n=2, evaluator=command))
            [b] = await r.service.submit(GroupSpec(task="files-tag-final-report", n=2, evaluator=callable_))
            await r.service.wait(a.id, 60)
            await r.service.wait(b.id, 60)
            return [x.reward for x in a.rollouts], [x.reward for x in b.rollouts]

    by_command, by_callable = asyncio.run(main())
    assert by_command == [0.25, 0.25]
    assert by_callable == [1.0, 1.0]


def test_evaluator_specs_are_validated() -> None:
    with pytest.raises(ValueError, match="needs 'command'"):
        EvaluatorSpec(kind="command")
    with pytest.raises(ValueError, match="module:function"):
        EvaluatorSpec(kind="callable")
