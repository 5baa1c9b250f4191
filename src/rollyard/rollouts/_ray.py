"""The Ray executor: a rollout's stages inside Ray actors, one process per actor.

Each actor is an async worker that holds several prepared rollouts (worlds or workspaces)
and runs the same stage bodies as the local executor (``prepare_locally``, ``run_locally``,
``evaluate_locally``, ``release_locally``). Agents inside actors reach the gateway over
HTTP (``context.gateway_url``). Arguments and results cross the process boundary as plain
dicts. A dead actor ends the rollouts it held clearly (``crashed`` in RUN, an error in the
other stages) and is replaced, so the pool keeps its size.

Without ``address`` (or ``$RAY_ADDRESS``) a local Ray is started on 127.0.0.1 only, with
no dashboard and no usage stats, and shut down again by ``close()``."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from ._executor import (
    AgentFactory,
    EnvFactory,
    Executor,
    Prepared,
    _builtin_tasks,
    default_agent_factory,
    default_env_factory,
    evaluate_locally,
    prepare_locally,
    release_locally,
    run_locally,
)
from ._rewards import Evaluation
from ._types import AgentOutcome, AgentSpec, EvaluatorSpec, RolloutContext

log = logging.getLogger("rollyard.rollouts")

MAX_CONCURRENCY = 256
"""Method calls an actor serves at once (its rollouts' stages: mostly waiting on HTTP)."""


class WorkerLostError(RuntimeError):
    """The Ray actor holding a rollout died (killed, out of memory, its node gone)."""


def start_local_ray(num_cpus: int | None = None) -> Any:
    """Start a Ray instance on this machine, reachable on 127.0.0.1 only; returns ``ray``.

    Ray resolves ``127.0.0.1`` to the machine's outward address (and then listens there)
    unless its cluster mode is off, which it reads when first imported."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    imported = "ray" in sys.modules
    import ray

    if imported:  # too late for the environment variable: the same switch, set directly
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False
    ray.init(
        num_cpus=num_cpus or os.cpu_count() or 1,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        logging_level=logging.WARNING,
        log_to_driver=False,
        configure_logging=False,
    )
    host = str(ray.get_runtime_context().gcs_address).rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "localhost"):
        ray.shutdown()
        raise RuntimeError(f"the local Ray listened on {host}, not on 127.0.0.1; refusing to run")
    return ray


class _Worker:
    """The actor body (``ray.remote`` wraps it at start): prepared rollouts by key."""

    def __init__(self, env_factory: EnvFactory, agent_factory: AgentFactory, init_delay_s: float) -> None:
        self.env_factory = env_factory
        self.agent_factory = agent_factory
        self.init_delay_s = init_delay_s
        self.held: dict[str, Prepared] = {}

    async def ready(self) -> int:
        """Import what the stages use and load the built-in tasks, so the first rollout on
        this worker does not pay for it (on a small machine, many workers at once would)."""
        await asyncio.to_thread(_warm)
        return os.getpid()

    async def prepare(self, key: str, task_id: str, agent: dict[str, Any]) -> None:
        spec = AgentSpec.model_validate(agent)
        self.held[key] = await prepare_locally(task_id, spec, self.env_factory, self.init_delay_s)

    async def run(self, key: str, context: dict[str, Any], agent: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        spec = AgentSpec.model_validate(agent)
        outcome = await run_locally(self.held[key], RolloutContext(**context), self.agent_factory(spec), timeout_s)
        return dataclasses.asdict(outcome)

    async def evaluate(self, key: str, outcome: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        evaluator = EvaluatorSpec.model_validate(spec)
        evaluation = await evaluate_locally(self.held[key], AgentOutcome(**outcome), evaluator)
        return dataclasses.asdict(evaluation)

    async def release(self, key: str) -> None:
        prepared = self.held.pop(key, None)
        if prepared is not None:
            release_locally(prepared)


@dataclass(frozen=True)
class RayHandle:
    """A prepared rollout: which actor holds it, under which key."""

    slot: int
    """The actor's place in the pool."""
    actor: Any
    """The Ray actor handle (``ray.kill(handle.actor)`` is how tests kill it)."""
    key: str


class RayExecutor(Executor):
    """Stages in ``workers`` async Ray actors; each prepared rollout stays on its actor."""

    def __init__(
        self,
        *,
        workers: int = 8,
        init_delay_s: float = 0.0,
        env_factory: EnvFactory | None = None,
        agent_factory: AgentFactory | None = None,
        address: str | None = None,
    ) -> None:
        """``env_factory`` / ``agent_factory`` must be importable module-level functions
        (or picklable objects): they are shipped to the actors. ``address``: a Ray cluster
        to join (default ``$RAY_ADDRESS``; neither: a local Ray, or the one this process
        already joined)."""
        if workers < 1:
            raise ValueError("a Ray executor needs at least one worker")
        self.workers = workers
        self.init_delay_s = init_delay_s
        self.env_factory = env_factory or default_env_factory
        self.agent_factory = agent_factory or default_agent_factory
        self.address = address or os.environ.get("RAY_ADDRESS")
        self._ray: Any = None
        self._actor_class: Any = None
        self._started_ray = False
        self._actors: list[Any] = []
        self._load: list[int] = []

    # ---- pool ----

    async def start(self) -> None:
        import ray

        if not ray.is_initialized():
            # On this thread, blocking a few seconds once: Ray sets its signal handlers only
            # from the main thread.
            if self.address:
                ray.init(address=self.address, logging_level=logging.WARNING)
            else:
                start_local_ray()
            self._started_ray = True
        self._ray = ray
        self._actor_class = ray.remote(_Worker).options(max_concurrency=MAX_CONCURRENCY, scheduling_strategy="SPREAD")
        self._actors = [self._spawn() for _ in range(self.workers)]
        self._load = [0] * self.workers
        await asyncio.gather(*(actor.ready.remote() for actor in self._actors))

    async def close(self) -> None:
        if self._ray is None:
            return
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors, self._load = [], []
        if self._started_ray:
            self._ray.shutdown()
            self._started_ray = False
        self._ray = None

    def _spawn(self) -> Any:
        return self._actor_class.remote(self.env_factory, self.agent_factory, self.init_delay_s)

    def _lost(self, handle: RayHandle) -> None:
        """The actor died: replace it once (its rollouts end; new ones go to the new actor)."""
        if self._actors and self._actors[handle.slot] is handle.actor:
            log.warning("Ray worker %d died; starting a replacement", handle.slot)
            self._actors[handle.slot] = self._spawn()
            self._load[handle.slot] = 0

    async def _call(self, handle: RayHandle, stage: str, call: Awaitable[Any]) -> Any:
        """Await one actor call; a remote exception comes back as itself, a dead actor as
        ``WorkerLostError``; a cancelled stage cancels the remote call too."""
        from ray.exceptions import RayActorError, RayTaskError

        try:
            return await call
        except asyncio.CancelledError:
            self._ray.cancel(call)
            raise
        except RayActorError as exc:
            self._lost(handle)
            message = f"the Ray worker holding this rollout died during {stage}: {_first_line(exc)}"
            raise WorkerLostError(message) from exc
        except RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, Exception):
                raise cause from None
            raise

    # ---- stages ----

    async def prepare(self, task_id: str, agent: AgentSpec) -> RayHandle:
        if not self._actors:
            raise RuntimeError("the Ray executor is not started")
        slot = min(range(len(self._actors)), key=self._load.__getitem__)
        handle = RayHandle(slot, self._actors[slot], uuid.uuid4().hex)
        self._load[slot] += 1
        try:
            await self._call(handle, "init", handle.actor.prepare.remote(handle.key, task_id, agent.model_dump()))
        except BaseException:
            self._unload(handle)
            raise
        return handle

    async def run(self, handle: Any, context: RolloutContext, agent: AgentSpec, timeout_s: float) -> AgentOutcome:
        call = handle.actor.run.remote(handle.key, dataclasses.asdict(context), agent.model_dump(), timeout_s)
        try:
            result = await self._call(handle, "run", call)
        except WorkerLostError as exc:  # like a harness process that died: the agent crashed
            return AgentOutcome("crashed", error=str(exc))
        return AgentOutcome(**result)

    async def evaluate(self, handle: Any, outcome: AgentOutcome, spec: EvaluatorSpec) -> Evaluation:
        call = handle.actor.evaluate.remote(handle.key, dataclasses.asdict(outcome), spec.model_dump())
        return Evaluation(**await self._call(handle, "evaluation", call))

    async def release(self, handle: Any) -> None:
        self._unload(handle)
        try:
            await self._call(handle, "release", handle.actor.release.remote(handle.key))
        except WorkerLostError:
            pass  # whatever it held went with it

    def _unload(self, handle: RayHandle) -> None:
        if self._actors and self._actors[handle.slot] is handle.actor:
            self._load[handle.slot] -= 1


def _warm() -> None:
    import importlib

    for module in ("rollyard.agents", "rollyard.models", "rollyard.evals", "rollyard.envs"):
        importlib.import_module(module)
    _builtin_tasks()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
