"""Running an evaluation: cases x strategies x models, with bounded concurrency, every
result durable in the store as soon as it is known (so ``--resume`` skips it)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..agents import Budget, make_strategy
from ..envs import make_world
from ._contracts import check_contract
from ._tasks import BUILTIN_SUITE, ScriptedUser, Task, load_tasks, task_toolset

if TYPE_CHECKING:
    from ..models import Model
    from ..store import Store
    from ._bfcl_data import BFCLCase


@dataclass(frozen=True)
class EvalCase:
    """One thing to solve: a built-in/file task, or a BFCL case."""

    id: str
    suite: str
    task: Task | None = None
    bfcl: BFCLCase | None = None

    @property
    def group(self) -> str:
        """World of a task, category of a BFCL case (the report groups by it)."""
        if self.task is not None:
            return self.task.world
        return self.bfcl.category if self.bfcl is not None else "?"


@dataclass
class CaseResult:
    """How one strategy on one model did on one case."""

    case_id: str
    suite: str
    group: str
    strategy: str
    model: str
    success: bool
    score: float
    status: str
    """The agent run's own status (success, budget_exceeded, loop_detected, error, ...)."""
    reason: str = ""
    """Why it failed: the contract's failed assertions, answer checks, checker reasons."""
    failures: list[str] = field(default_factory=list)
    answer: str | None = None
    llm_calls: int = 0
    tool_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    session_id: str = ""
    change: str = ""
    """A one-line account of the state change (built-in tasks)."""
    asked_user: int = 0

    @classmethod
    def of(cls, case: EvalCase, strategy: str, model: str, **fields: Any) -> CaseResult:
        """A result naming its case, strategy and model."""
        return cls(case_id=case.id, suite=case.suite, group=case.group, strategy=strategy, model=model, **fields)

    @property
    def key(self) -> str:
        return result_key(self.strategy, self.model, self.case_id)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def result_key(strategy: str, model: str, case_id: str) -> str:
    return f"{strategy}|{model}|{case_id}"


def load_suite(suite: str, limit: int | None = None) -> list[EvalCase]:
    """``builtin``, ``bfcl:CATEGORY`` or a path to task files; ``limit`` takes the first N."""
    if suite.startswith("bfcl:"):
        from ._bfcl_data import load_bfcl

        category = suite.removeprefix("bfcl:")
        return [EvalCase(c.id, suite, bfcl=c) for c in load_bfcl(category, limit=limit)]
    tasks = load_tasks(BUILTIN_SUITE if suite == BUILTIN_SUITE else suite)
    cases = [EvalCase(t.id, suite, task=t) for t in tasks]
    return cases[:limit] if limit is not None else cases


@dataclass(frozen=True)
class AgentSettings:
    budget: Budget = field(default_factory=lambda: Budget(max_requests=16, max_tool_calls=24, max_seconds=180.0))
    max_tokens: int | None = 512
    """Per model call."""
    temperature: float | None = 0.0


def task_prompt(task: Task, world_description: str) -> str:
    return f"{world_description}\n\n{task.instruction}".strip()


async def run_task_case(
    case: EvalCase, strategy: str, model: Model, model_name: str, settings: AgentSettings
) -> CaseResult:
    """Run ``strategy`` on a built-in task in a fresh world and judge the state change."""
    task = case.task
    assert task is not None
    world = make_world(task.world, task.seed)
    try:
        user = ScriptedUser(task.user)
        toolset = task_toolset(world.toolset, user)
        before = world.state()
        agent = make_strategy(
            strategy,
            model,
            toolset,
            settings.budget,
            model_name=model_name,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
        )
        run = await agent.run(task_prompt(task, world.description))
        diff = world.diff(before, world.state())
    finally:
        world.close()
    verdict = check_contract(task.contract, diff.to_dict())
    failures = [f"{f['description'] or f['assertion']}: {f['reason']}" for f in verdict.to_dict()["failures"]]
    if task.answer is not None:
        failures += task.answer.failures(run.answer, len(user.questions))
    return CaseResult.of(
        case,
        strategy,
        model_name,
        success=not failures,
        score=verdict.score,
        status=run.status,
        reason="; ".join(failures) or ("" if run.status == "success" else f"run ended {run.status}: {run.reason}"),
        failures=failures,
        answer=run.answer,
        llm_calls=run.llm_calls,
        tool_calls=run.tool_calls,
        prompt_tokens=run.prompt_tokens,
        completion_tokens=run.completion_tokens,
        cost=run.cost,
        seconds=run.seconds,
        change=diff.summary(),
        asked_user=len(user.questions),
    )


async def run_case(case: EvalCase, strategy: str, model: Model, model_name: str, settings: AgentSettings) -> CaseResult:
    """Any case; never raises for agent, model or checker trouble (it becomes the result)."""
    started = time.perf_counter()
    try:
        if case.bfcl is not None:
            from ._bfcl_run import run_bfcl_case

            return await run_bfcl_case(case, strategy, model, model_name, settings)
        return await run_task_case(case, strategy, model, model_name, settings)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return CaseResult.of(
            case,
            strategy,
            model_name,
            success=False,
            score=0.0,
            status="error",
            reason=f"{type(exc).__name__}: {exc}",
            failures=[f"{type(exc).__name__}: {exc}"],
            seconds=time.perf_counter() - started,
        )


ModelFactory = Callable[[EvalCase, str, str, str], "Model"]
"""(case, strategy, model label, session id) -> the model the agent talks to."""


@dataclass
class EvalRun:
    """One evaluation: what to run, where results go, and how many at once."""

    cases: Sequence[EvalCase]
    strategies: Sequence[str]
    models: Sequence[str]
    """Model labels (the names the agents ask for)."""
    model_for: ModelFactory
    store: Store | None = None
    run_id: str = field(default_factory=lambda: f"eval-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
    concurrency: int = 2
    settings: AgentSettings = field(default_factory=AgentSettings)
    on_result: Callable[[CaseResult], Awaitable[None] | None] | None = None

    def session_id(self, case: EvalCase, strategy: str, model: str) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{strategy}.{model}.{case.id}")
        return f"{self.run_id}.{safe}"

    def work(self) -> list[tuple[EvalCase, str, str]]:
        return [(c, s, m) for m in self.models for s in self.strategies for c in self.cases]

    async def run(self, done: dict[str, dict[str, Any]] | None = None) -> list[CaseResult]:
        """Every (case, strategy, model) not in ``done``; results in work order, ``done`` ones included."""
        done = done or {}
        results: dict[str, CaseResult] = {k: CaseResult.from_dict(v) for k, v in done.items()}
        gate = asyncio.Semaphore(max(1, self.concurrency))

        async def one(case: EvalCase, strategy: str, model_label: str) -> None:
            async with gate:
                session = self.session_id(case, strategy, model_label)
                model = self.model_for(case, strategy, model_label, session)
                try:
                    result = await run_case(case, strategy, model, model_label, self.settings)
                finally:
                    await model.aclose()
                result.session_id = session
                if self.store is not None:
                    await self.store.put_eval_result(self.run_id, result.key, result.to_dict())
                results[result.key] = result
                if self.on_result is not None:
                    outcome = self.on_result(result)
                    if outcome is not None:
                        await outcome

        todo = [w for w in self.work() if result_key(w[1], w[2], w[0].id) not in done]
        await asyncio.gather(*(one(*w) for w in todo))
        return [results[result_key(s, m, c.id)] for c, s, m in self.work() if result_key(s, m, c.id) in results]


def summarize(results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    """Aggregate per (strategy, model): success rate and mean cost, tokens, calls, latency."""
    groups: dict[tuple[str, str], list[CaseResult]] = {}
    for result in results:
        groups.setdefault((result.strategy, result.model), []).append(result)
    rows = []
    for (strategy, model), items in groups.items():
        n = len(items)
        rows.append(
            {
                "strategy": strategy,
                "model": model,
                "n": n,
                "success_rate": sum(r.success for r in items) / n,
                "mean_score": sum(r.score for r in items) / n,
                "llm_calls": sum(r.llm_calls for r in items) / n,
                "tool_calls": sum(r.tool_calls for r in items) / n,
                "tokens": sum(r.tokens for r in items) / n,
                "cost": sum(r.cost for r in items) / n,
                "seconds": sum(r.seconds for r in items) / n,
                "errors": sum(r.status == "error" for r in items),
            }
        )
    return rows
