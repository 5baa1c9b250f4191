"""The rollout service: groups of rollouts through staged, bounded pools.

Each rollout goes INIT (environment or workspace prepared) -> RUN (the agent, its model
calls through the gateway under the rollout's own session) -> POSTRUN (evaluated, its
trajectory built from the recorded calls). Stages have their own pools, and INIT may run
up to ``prewarm`` rollouts ahead of the RUN slots, so environments boot while other
rollouts keep the model busy. Pools serve waiters by group priority, then arrival.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._executor import Executor, instruction_of, resolve_task
from ._rewards import group_advantages
from ._types import AgentOutcome, GroupSpec, GroupState, Rollout, RolloutContext

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger("rollyard.rollouts")

SAVED_KIND = "rollout_group"
"""The ``kind`` of a rollout group's row among the store's evaluation runs."""


class PriorityGate:
    """A counting semaphore whose waiters are served highest priority first, then FIFO."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, priority: int = 0) -> None:
        if self.in_use < self.capacity and not self._waiters:
            self.in_use += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (-priority, next(self._seq), future)
        self._waiters.append(entry)
        self._waiters.sort(key=lambda e: (e[0], e[1]))
        try:
            await future
        except asyncio.CancelledError:
            if entry in self._waiters:
                self._waiters.remove(entry)
            elif future.done() and not future.cancelled():
                self.release()  # granted just as we were cancelled: hand it on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, future = self._waiters.pop(0)
            if not future.done():
                future.set_result(None)  # the slot passes straight to the waiter
                return
        self.in_use -= 1

    @contextlib.asynccontextmanager
    async def slot(self, priority: int = 0) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()


@dataclass
class ServiceOptions:
    concurrency: int = 8
    """Rollouts in RUN at once (the agents using the model)."""
    prewarm: int = 8
    """Rollouts whose INIT may run ahead of a free RUN slot (0: INIT inside the RUN slot)."""
    init_concurrency: int = 8
    postrun_concurrency: int = 4


@dataclass
class Group:
    id: str
    spec: GroupSpec
    task_id: str
    rollouts: list[Rollout]
    state: GroupState = "queued"
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: list[asyncio.Queue[dict[str, Any]]] = field(default_factory=list)
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    stopping_early: bool = False
    finishing: bool = False
    restarts: int = 0
    """How many times a restarted service resumed this group."""

    def saved(self) -> dict[str, Any]:
        """The group's row in the store (rollouts are saved one by one beside it)."""
        return {
            "kind": SAVED_KIND,
            "task_id": self.task_id,
            "spec": self.spec.model_dump(),
            "state": self.state,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "restarts": self.restarts,
        }

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for rollout in self.rollouts:
            counts[rollout.status] = counts.get(rollout.status, 0) + 1
        rewards = [r.reward for r in self.rollouts if r.reward is not None]
        return {
            "id": self.id,
            "task_id": self.task_id,
            "state": self.state,
            "n": len(self.rollouts),
            "agent": self.spec.agent.label,
            "priority": self.spec.priority,
            "statuses": counts,
            "mean_reward": sum(rewards) / len(rewards) if rewards else None,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }

    def to_dict(self, trajectories: bool = True) -> dict[str, Any]:
        rollouts = [r.to_dict() for r in self.rollouts]
        if not trajectories:
            for item in rollouts:
                item["trajectory"] = [
                    {k: v for k, v in s.items() if k not in ("input_ids", "loss_mask", "logprobs")}
                    for s in item["trajectory"]
                ]
        return {**self.summary(), "spec": self.spec.model_dump(), "rollouts": rollouts}


class RolloutService:
    """Accepts groups, runs their rollouts through the stage pools, keeps the results."""

    def __init__(
        self,
        executor: Executor,
        store: Store,
        gateway_url: str,
        *,
        options: ServiceOptions | None = None,
        gateway_unix_socket: str | None = None,
    ) -> None:
        self.executor = executor
        self.store = store
        self.gateway_url = gateway_url.rstrip("/")
        self.gateway_unix_socket = gateway_unix_socket
        self.options = options or ServiceOptions()
        o = self.options
        self._init = PriorityGate(o.init_concurrency)
        self._run = PriorityGate(o.concurrency)
        self._post = PriorityGate(o.postrun_concurrency)
        self._held = PriorityGate(o.concurrency + o.prewarm)  # environments alive at once
        self._resumed = asyncio.Event()
        self._resumed.set()
        self.groups: dict[str, Group] = {}
        self._stage_seconds: dict[str, list[float]] = {"queued": [0.0, 0], "init": [0.0, 0], "run": [0.0, 0],
                                                       "postrun": [0.0, 0]}  # fmt: skip
        self.completed = 0
        self._background: set[asyncio.Task[None]] = set()
        self._closing = False

    # ---- API ----

    async def submit(self, spec: GroupSpec) -> list[Group]:
        """One group per task (a suite's first ``tasks`` give one each); rollouts start now."""
        if spec.task is not None:
            task_ids = [spec.task]
        else:
            from ..evals import load_suite

            task_ids = [c.id for c in load_suite(spec.suite or "builtin", spec.tasks)]
        for task_id in task_ids:
            task = resolve_task(task_id)  # unknown ids fail here, before anything runs
            is_workspace = not hasattr(task, "world")
            if is_workspace != (spec.agent.kind == "harness") and spec.evaluator.kind == "contract":
                kind = "a workspace task (needs a harness agent)" if is_workspace else "a tool-world task"
                raise ValueError(f"task {task_id} is {kind}; agent {spec.agent.label} cannot run it")
        groups = []
        for task_id in task_ids:
            group_id = f"g-{uuid.uuid4().hex[:12]}"
            rollouts = [
                Rollout(id=f"{group_id}-r{i}", group_id=group_id, task_id=task_id, index=i,
                        session_id=f"rollout.{group_id}.r{i}")
                for i in range(spec.n)
            ]  # fmt: skip
            group = Group(group_id, spec, task_id, rollouts, state="running")
            self.groups[group_id] = group
            await self.store.put_eval_run(group_id, group.saved())
            for rollout in rollouts:
                self._start(group, rollout)
            groups.append(group)
        return groups

    async def recover(self, prepare: Callable[[GroupSpec], None] | None = None) -> list[Group]:
        """Take back the groups an earlier run of the service left in the store.

        Finished groups come back as they ended. An unfinished group (the service was
        stopped or killed) resumes: its ended rollouts are kept, and each rollout that had
        not ended runs again from INIT under a fresh gateway session, so the interrupted
        attempt's calls never enter its trajectory. ``prepare`` sees each resumed group's
        spec before its rollouts start (the app routes a model named by URL there); if it
        raises ``ValueError``, those rollouts end ``init_failed`` with its message.
        Returns the resumed groups."""
        resumed = []
        for run_id in await self.store.eval_runs():
            if run_id in self.groups:
                continue
            saved = await self.store.eval_run(run_id)
            if not saved or saved.get("kind") != SAVED_KIND:
                continue
            try:
                spec = GroupSpec.model_validate(saved["spec"])
            except (KeyError, ValueError) as exc:
                log.warning("rollout group %s in the store cannot be read (%s); left as it is", run_id, exc)
                continue
            finished = saved.get("state") in ("done", "cancelled")
            group = Group(
                run_id, spec, str(saved["task_id"]), [], state=saved.get("state", "running"),
                created_at=saved.get("created_at") or time.time(), finished_at=saved.get("finished_at"),
                restarts=int(saved.get("restarts", 0)) + (0 if finished else 1),
            )  # fmt: skip
            results = await self.store.eval_results(run_id)
            for index in range(spec.n):
                rollout_id = f"{run_id}-r{index}"
                kept = Rollout.from_dict(results[rollout_id]) if rollout_id in results else None
                if kept is None or not kept.done:
                    kept = Rollout(id=rollout_id, group_id=run_id, task_id=group.task_id, index=index,
                                   session_id=f"rollout.{run_id}.r{index}.restart{group.restarts}")  # fmt: skip
                    if finished:  # a finished group with a rollout that was never saved: say so
                        kept.status, kept.error = "cancelled", "not saved before the service stopped"
                group.rollouts.append(kept)
            self.groups[run_id] = group
            if finished:
                group.done.set()
                continue
            group.state = "running"
            await self.store.put_eval_run(run_id, group.saved())
            resumed.append(group)
            pending = [r for r in group.rollouts if not r.done]
            try:
                if prepare is not None:
                    prepare(spec)
            except ValueError as exc:
                for rollout in pending:
                    rollout.status, rollout.error = "init_failed", f"cannot resume after a restart: {exc}"
                    await self._persist(group, rollout)
                pending = []
            log.info("resuming rollout group %s: %d of %d rollouts to run", run_id, len(pending), spec.n)
            for rollout in pending:
                self._start(group, rollout)
            if not pending:  # every rollout had ended; only the group's finish was lost
                await self._finish_group(group)
        return resumed

    def _start(self, group: Group, rollout: Rollout) -> None:
        group.tasks[rollout.id] = asyncio.create_task(self._life(group, rollout), name=rollout.id)

    async def wait(self, group_id: str, timeout_s: float | None = None) -> Group:
        group = self.groups[group_id]
        await asyncio.wait_for(group.done.wait(), timeout_s)
        return group

    async def cancel(self, group_id: str) -> Group:
        group = self.groups[group_id]
        if not group.done.is_set():
            group.state = "cancelled"
        for task in group.tasks.values():
            task.cancel()
        await asyncio.gather(*group.tasks.values(), return_exceptions=True)
        await self._finish_group(group)
        return group

    def pause(self) -> None:
        """New RUN stages wait; running ones finish (a trainer's weight sync)."""
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    async def drain(self, timeout_s: float | None = None) -> None:
        """Pause, then wait until no rollout is in RUN."""
        self.pause()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self._run.in_use:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("rollouts still running")
            await asyncio.sleep(0.05)

    async def subscribe(self, group_id: str) -> AsyncIterator[dict[str, Any]]:
        """Events of a group: every finished rollout so far, then live ones, then the group."""
        group = self.groups[group_id]
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        group.subscribers.append(queue)
        try:
            for rollout in group.rollouts:
                if rollout.done:
                    yield {"type": "rollout", "rollout": _light(rollout)}
            if group.done.is_set():
                yield {"type": "group", "group": group.summary()}
                return
            while True:
                event = await queue.get()
                yield event
                if event["type"] == "group":
                    return
        finally:
            group.subscribers.remove(queue)

    def metrics(self) -> dict[str, Any]:
        return {
            "queue_depth": {"init": self._init.waiting, "run": self._run.waiting, "postrun": self._post.waiting},
            "in_flight": {"init": self._init.in_use, "run": self._run.in_use, "postrun": self._post.in_use},
            "stage_seconds_sum": {k: v[0] for k, v in self._stage_seconds.items()},
            "stage_count": {k: int(v[1]) for k, v in self._stage_seconds.items()},
            "rollouts_completed": self.completed,
            "groups": len(self.groups),
            "paused": self.paused,
        }

    async def close(self) -> None:
        """Stop every rollout in flight. Unfinished groups stay unfinished in the store, so
        the next service on this store resumes them (:meth:`recover`)."""
        self._closing = True
        tasks = [t for g in self.groups.values() if not g.done.is_set() for t in g.tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- one rollout ----

    def _time(self, rollout: Rollout, stage: str, started: float) -> None:
        seconds = time.perf_counter() - started
        rollout.timings[stage] = round(rollout.timings.get(stage, 0.0) + seconds, 6)
        total = self._stage_seconds[stage]
        total[0] += seconds
        total[1] += 1

    async def _life(self, group: Group, rollout: Rollout) -> None:
        priority = group.spec.priority
        handle: Any = None
        outcome: AgentOutcome | None = None
        started = time.perf_counter()
        try:
            async with self._held.slot(priority):
                if self.options.prewarm > 0:
                    async with self._init.slot(priority):
                        self._time(rollout, "queued", started)
                        handle = await self._stage_init(rollout, group)
                    if handle is None:
                        return
                    await self._resumed.wait()
                    async with self._run.slot(priority):
                        await self._resumed.wait()
                        outcome = await self._stage_run(group, rollout, handle)
                else:
                    await self._resumed.wait()
                    async with self._run.slot(priority):
                        self._time(rollout, "queued", started)
                        handle = await self._stage_init(rollout, group)
                        if handle is None:
                            return
                        outcome = await self._stage_run(group, rollout, handle)
            async with self._post.slot(priority):
                await self._stage_postrun(group, rollout, handle, outcome)
        except asyncio.CancelledError:
            if not rollout.done and not self._closing:
                rollout.status = "skipped" if group.stopping_early else "cancelled"
            raise
        except Exception as exc:  # a bug of ours must still end the rollout with a reason
            log.exception("rollout %s failed", rollout.id)
            rollout.status, rollout.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        finally:
            if handle is not None:
                with contextlib.suppress(Exception):
                    await self.executor.release(handle)
            await self._rollout_done(group, rollout)

    async def _stage_init(self, rollout: Rollout, group: Group) -> Any:
        rollout.status = "init"
        started = time.perf_counter()
        try:
            return await self.executor.prepare(rollout.task_id, group.spec.agent)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            rollout.status, rollout.error = "init_failed", f"{type(exc).__name__}: {exc}"
            return None
        finally:
            self._time(rollout, "init", started)

    async def _stage_run(self, group: Group, rollout: Rollout, handle: Any) -> AgentOutcome:
        rollout.status = "running"
        started = time.perf_counter()
        context = RolloutContext(
            rollout_id=rollout.id,
            session_id=rollout.session_id,
            gateway_url=f"{self.gateway_url}/s/{rollout.session_id}",
            api_key=f"rk-{secrets.token_hex(12)}",
            instruction=instruction_of(resolve_task(rollout.task_id)),
            task_id=rollout.task_id,
            gateway_unix_socket=self.gateway_unix_socket,
        )
        try:
            outcome = await self.executor.run(handle, context, group.spec.agent, group.spec.timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the executor lost the agent (a dead worker): a crash, with why
            outcome = AgentOutcome("crashed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._time(rollout, "run", started)
        rollout.answer = outcome.answer
        rollout.error = outcome.error
        rollout.status = "postrun"
        rollout.evaluation["agent_status"] = outcome.status
        return outcome

    async def _stage_postrun(self, group: Group, rollout: Rollout, handle: Any, outcome: AgentOutcome | None) -> None:
        started = time.perf_counter()
        assert outcome is not None
        try:
            evaluation = await self.executor.evaluate(handle, outcome, group.spec.evaluator)
            rollout.reward = evaluation.reward
            rollout.evaluation.update({"passed": evaluation.passed, **evaluation.details})
        except Exception as exc:
            rollout.evaluation["error"] = f"evaluation failed: {type(exc).__name__}: {exc}"
        await self._attach_trajectory(group, rollout)
        rollout.status = "completed" if outcome.status == "completed" else outcome.status
        self._time(rollout, "postrun", started)

    async def _attach_trajectory(self, group: Group, rollout: Rollout) -> None:
        from ..trajectories import builder, token_call

        records = await self.store.calls(rollout.session_id)
        rollout.calls = [r.id for r in records]
        result = builder(group.spec.builder).build([token_call(r, i) for i, r in enumerate(records)])
        rows = []
        for sample in result.samples:
            sample.reward = rollout.reward
            rows.append(sample.row())
        rollout.trajectory = rows
        rollout.evaluation["trajectory_stats"] = {
            "calls": result.stats.calls,
            "samples": len(result.samples),
            "excluded_no_ids": result.stats.excluded_no_ids,
        }

    async def _rollout_done(self, group: Group, rollout: Rollout) -> None:
        if self._closing and not rollout.done:
            return  # stopped by a shutdown, not by anyone's choice: left for the next service to run
        if not rollout.done:
            rollout.status = "cancelled"
        self.completed += 1
        await self._persist(group, rollout)  # durable as soon as it ends; again with its advantage
        self._emit(group, {"type": "rollout", "rollout": _light(rollout)})
        early = group.spec.early_stop
        if early and group.state == "running":
            usable = sum(r.status == "completed" and r.reward is not None for r in group.rollouts)
            if usable >= early:
                group.stopping_early = True
                for other in group.rollouts:
                    task = group.tasks.get(other.id)
                    if not other.done and task is not None and task is not asyncio.current_task():
                        task.cancel()
        if all(r.done for r in group.rollouts):
            await self._finish_group(group)

    async def _finish_group(self, group: Group) -> None:
        # Several rollouts may see "all done" at once; only the first finishes the group.
        if group.finishing:
            return
        group.finishing = True
        advantages = group_advantages([r.reward for r in group.rollouts], group.spec.advantage)
        for rollout, advantage in zip(group.rollouts, advantages, strict=True):
            rollout.advantage = advantage
            for sample in rollout.trajectory:
                sample["metadata"] = {**sample.get("metadata", {}), "advantage": advantage}
            await self._persist(group, rollout)
        group.state = "cancelled" if group.state == "cancelled" else "done"
        group.finished_at = time.time()
        try:
            await self.store.put_eval_run(group.id, group.saved())
        except Exception:
            log.exception("could not save the end of group %s", group.id)
        group.done.set()
        self._emit(group, {"type": "group", "group": group.summary()})
        if group.spec.callback_url:
            task = asyncio.create_task(_callback(group.spec.callback_url, group.to_dict()))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _persist(self, group: Group, rollout: Rollout) -> None:
        try:
            await self.store.put_eval_result(group.id, rollout.id, rollout.to_dict())
        except Exception:  # the rollout stays in memory and in the API; the failure is loud
            log.exception("could not save rollout %s", rollout.id)

    def _emit(self, group: Group, event: dict[str, Any]) -> None:
        for queue in group.subscribers:
            queue.put_nowait(event)


def _light(rollout: Rollout) -> dict[str, Any]:
    data = rollout.to_dict()
    data["trajectory"] = len(rollout.trajectory)
    return data


async def _callback(url: str, payload: dict[str, Any]) -> None:
    """POST the finished group to the trainer's callback (bounded retries)."""
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:
        for attempt in range(3):
            try:
                response = await client.post(url, json=payload)
                if response.status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5 * 2**attempt)
    log.warning("callback %s failed for group %s", url, payload.get("id"))
