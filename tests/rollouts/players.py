"""Doubles for rollout tests, at the seams production uses: a model backend double that
plays each built-in task's reference sequence (or its wrong one when the instruction asks
for the "wrong variant"), with token ids and a latency like a model's; and an agent that
marks some rollouts as that variant."""

from __future__ import annotations

from rollyard.evals import load_tasks
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.models._scripted import Reply
from rollyard.rollouts import AgentOutcome, AgentSpec, RolloutContext, StrategyAgent
from rollyard.wire import Request

WRONG = "(variant: wrong)"
TASKS = load_tasks("builtin")


def task_player(latency_s: float = 0.0) -> ScriptedModel:
    def reply(request: Request) -> Reply:
        first_user = next(m.text for m in request.messages if m.role == "user")
        task = next((t for t in TASKS if t.instruction.strip() in first_user), None)
        if task is None:
            return "I do not know this task."
        wrong = WRONG in first_user
        plan = task.wrong if wrong else task.reference
        done = sum(1 for m in request.messages if m.role == "tool")
        if done < len(plan):
            return ScriptedCall(plan[done].tool, plan[done].args)
        return task.wrong_answer if wrong else task.reference_answer

    return ScriptedModel(reply, name="task-player", token_ids=True, latency_s=latency_s)


def is_wrong_variant(index: int) -> bool:
    return index % 3 == 0


class VariantAgent(StrategyAgent):
    """ReAct, but every third rollout (index 0, 3, 6, ...) asks for the wrong variant."""

    async def run(self, context: RolloutContext, timeout_s: float) -> AgentOutcome:
        index = int(context.rollout_id.rsplit("-r", 1)[1])
        if is_wrong_variant(index):
            context.instruction = f"{context.instruction}\n{WRONG}"
        return await super().run(context, timeout_s)


def variant_agents(spec: AgentSpec) -> StrategyAgent:
    return VariantAgent(spec)


def answer_length_reward(data: object) -> float:
    """A callable evaluator for tests: 1.0 when the agent answered at all."""
    return 1.0 if getattr(getattr(data, "outcome", None), "answer", None) else 0.0
