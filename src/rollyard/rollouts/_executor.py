"""Executors run a rollout's stages: INIT (prepare the environment or workspace), RUN (the
agent) and the evaluation part of POSTRUN. The local executor runs them in this process;
the Ray executor (``_ray.py``) runs the same stages inside Ray actors.

The seams tests and benchmarks use are the same ones production uses: an environment
factory (how a world is made: slow or failing inits plug in here) and an agent factory
(which agent runs: a built-in strategy, a harness CLI, or a double)."""

from __future__ import annotations

import abc
import asyncio
import functools
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._rewards import Evaluation, EvaluationInput, evaluate_callable, evaluate_command
from ._types import AgentOutcome, AgentSpec, EvaluatorSpec, RolloutAgent, RolloutContext

if TYPE_CHECKING:
    from ..envs import Environment, State
    from ..evals import Task


@functools.cache
def _builtin_tasks() -> dict[str, Task]:
    from ..evals import load_tasks

    return {task.id: task for task in load_tasks("builtin")}


def preload_tasks() -> None:
    """Parse the built-in task catalogue now (it is cached)."""
    _builtin_tasks()


def resolve_task(task_id: str) -> Any:
    """A built-in tool-world task (``rollyard.evals``) or a workspace task, by id."""
    task = _builtin_tasks().get(task_id)
    if task is not None:
        return task
    from ._workspace import WORKSPACE_TASKS

    if task_id in WORKSPACE_TASKS:
        return WORKSPACE_TASKS[task_id]
    raise KeyError(f"no task {task_id!r} (built-in tool-world tasks and workspace tasks ws-*)")


def instruction_of(task: Any) -> str:
    return str(task.instruction)


def default_env_factory(task: Task) -> Environment:
    from ..envs import make_world

    return make_world(task.world, task.seed)


EnvFactory = Callable[["Task"], "Environment"]
AgentFactory = Callable[[AgentSpec], RolloutAgent]


class StrategyAgent(RolloutAgent):
    """A built-in strategy over the task's world, its model calls through the gateway session."""

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, context: RolloutContext, timeout_s: float) -> AgentOutcome:
        from ..agents import Budget, make_strategy
        from ..models import OpenAICompatibleModel, RetryPolicy

        toolset = context.extra["toolset"]
        model = OpenAICompatibleModel(
            f"{context.gateway_url}/v1",
            kind="openai",
            api_key=context.api_key,
            model=self.spec.model,
            retry=RetryPolicy(max_retries=2, backoff_s=0.2),
        )
        options = dict(self.spec.options)
        budget = Budget(
            max_requests=int(options.pop("max_requests", 16)), max_tool_calls=int(options.pop("max_tool_calls", 32)),
            max_seconds=timeout_s,
        )  # fmt: skip
        try:
            agent = make_strategy(self.spec.name, model, toolset, budget, model_name=self.spec.model, **options)
            result = await asyncio.wait_for(agent.run(context.instruction), timeout_s)
        except TimeoutError:
            return AgentOutcome("timeout", error=f"the agent ran past {timeout_s}s")
        finally:
            await model.aclose()
        if result.status == "error":
            return AgentOutcome("failed", result.answer, f"run ended with an error: {result.reason}")
        return AgentOutcome("completed", result.answer, details={"run_status": result.status})


def default_agent_factory(spec: AgentSpec) -> RolloutAgent:
    if spec.kind == "harness":
        from ._harness import HarnessAgent

        return HarnessAgent(spec.name, model=spec.model)  # type: ignore[arg-type]
    return StrategyAgent(spec)


@dataclass
class Prepared:
    """A rollout after INIT: its world (tool-world tasks) or workspace (harness tasks)."""

    task: Any
    env: Environment | None = None
    before: State | None = None
    workspace: Path | None = None
    user: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class Executor(abc.ABC):
    """Where a rollout's stages run."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Bring up workers."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Tear workers down."""

    @abc.abstractmethod
    async def prepare(self, task_id: str, agent: AgentSpec) -> Any: ...

    @abc.abstractmethod
    async def run(self, handle: Any, context: RolloutContext, agent: AgentSpec, timeout_s: float) -> AgentOutcome: ...

    @abc.abstractmethod
    async def evaluate(self, handle: Any, outcome: AgentOutcome, spec: EvaluatorSpec) -> Evaluation: ...

    @abc.abstractmethod
    async def release(self, handle: Any) -> None: ...


class LocalExecutor(Executor):
    """Every stage in this process (environments in memory, agents as asyncio tasks or
    harness subprocesses)."""

    def __init__(
        self,
        *,
        env_factory: EnvFactory | None = None,
        agent_factory: AgentFactory | None = None,
        init_delay_s: float = 0.0,
    ) -> None:
        self.env_factory = env_factory or default_env_factory
        self.agent_factory = agent_factory or default_agent_factory
        self.init_delay_s = init_delay_s
        """Extra seconds per INIT (benchmarks: an environment that takes time to boot)."""

    async def prepare(self, task_id: str, agent: AgentSpec) -> Prepared:
        return await prepare_locally(task_id, agent, self.env_factory, self.init_delay_s)

    async def run(self, handle: Any, context: RolloutContext, agent: AgentSpec, timeout_s: float) -> AgentOutcome:
        return await run_locally(handle, context, self.agent_factory(agent), timeout_s)

    async def evaluate(self, handle: Any, outcome: AgentOutcome, spec: EvaluatorSpec) -> Evaluation:
        return await evaluate_locally(handle, outcome, spec)

    async def release(self, handle: Any) -> None:
        release_locally(handle)


# The stage bodies, shared by the local executor and the Ray actors.


async def prepare_locally(task_id: str, agent: AgentSpec, env_factory: EnvFactory, init_delay_s: float) -> Prepared:
    from ..evals import ScriptedUser, Task, task_toolset

    task = resolve_task(task_id)
    if init_delay_s:
        await asyncio.sleep(init_delay_s)
    if isinstance(task, Task):
        if agent.kind == "harness":
            raise ValueError(f"{task_id} is a tool-world task; harness agents run workspace tasks (ws-*)")
        env = await asyncio.to_thread(env_factory, task)
        user = ScriptedUser(task.user)
        prepared = Prepared(task, env=env, before=env.state(), user=user)
        prepared.extra["toolset"] = task_toolset(env.toolset, user)
        return prepared
    workspace = Path(tempfile.mkdtemp(prefix=f"rollyard-ws-{task_id}-"))
    await asyncio.to_thread(task.prepare, workspace)
    return Prepared(task, workspace=workspace)


async def run_locally(handle: Prepared, context: RolloutContext, agent: RolloutAgent, timeout_s: float) -> AgentOutcome:
    context.workspace = handle.workspace
    context.extra.update(handle.extra)
    try:
        return await agent.run(context, timeout_s)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # an agent that blows up is a crash, with its reason
        return AgentOutcome("crashed", error=f"{type(exc).__name__}: {exc}")


async def evaluate_locally(handle: Prepared, outcome: AgentOutcome, spec: EvaluatorSpec) -> Evaluation:
    from ..evals import check_contract

    diff = None
    if handle.env is not None and handle.before is not None:
        diff = handle.env.diff(handle.before, handle.env.state()).to_dict()
    match spec.kind:
        case "contract":
            if diff is not None:
                verdict = check_contract(handle.task.contract, diff)
                failures = [str(f["reason"]) for f in verdict.failures]
                if handle.task.answer is not None:
                    failures += handle.task.answer.failures(outcome.answer, len(handle.user.questions))
                passed = not failures
                reward = 1.0 if passed else (verdict.score if spec.partial else 0.0)
                return Evaluation(reward, passed, {"failures": failures, "score": verdict.score})
            # A workspace task's own check is its contract.
            from ._workspace import run_check

            assert handle.workspace is not None
            passed, output = await asyncio.to_thread(run_check, handle.task, handle.workspace, spec.timeout_s)
            return Evaluation(1.0 if passed else 0.0, passed, {"check": handle.task.check, "output": output[-1000:]})
        case "command":
            return await evaluate_command(spec, handle.workspace)
        case "callable":
            data = EvaluationInput(handle.task.id, outcome, handle.workspace, diff)
            return await evaluate_callable(spec, data)


def release_locally(handle: Prepared) -> None:
    if handle.env is not None:
        handle.env.close()
    if handle.workspace is not None:
        shutil.rmtree(handle.workspace, ignore_errors=True)
