"""The rollout service over HTTP (``rollyard rollout serve``).

POST /v1/groups                 submit (a GroupSpec as JSON) -> 201 {"groups": [...]}
GET  /v1/groups                 every group's summary
GET  /v1/groups/{id}            a group with its rollouts (?trajectories=false: no token arrays)
GET  /v1/groups/{id}/events     server-sent events: each finished rollout, then the group
POST /v1/groups/{id}/cancel
POST /v1/pause | /v1/drain | /v1/resume      (a trainer's weight sync)
GET  /healthz, GET /metrics
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ._executor import Executor, LocalExecutor
from ._service import RolloutService, ServiceOptions
from ._types import GroupSpec


@dataclass
class ServeSettings:
    executor: Literal["local", "ray"] = "local"
    db: str | None = None
    gateway: str | None = None
    """An external gateway's URL (it must record into the same ``db``); None: one in-process."""
    model: str = "embedded"
    """The in-process gateway's backend: ``embedded`` or an OpenAI-compatible URL."""
    concurrency: int = 8
    prewarm: int = 8
    init_delay_s: float = 0.0
    resume: bool = True
    """Resume the unfinished groups an earlier service left in ``db`` (and serve finished ones)."""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "invalid_request" if status < 500 else "internal"}},
                        status_code=status)  # fmt: skip


def make_executor(settings: ServeSettings) -> Executor:
    if settings.executor == "ray":
        from ._ray import RayExecutor

        return RayExecutor(init_delay_s=settings.init_delay_s, workers=settings.concurrency)  # actors hold several
    return LocalExecutor(init_delay_s=settings.init_delay_s)


def build_rollout_app(settings: ServeSettings, *, executor: Executor | None = None, backend: Any = None) -> Starlette:
    """The service app. ``executor`` and ``backend`` (a ``Model`` for the in-process gateway)
    default to what ``settings`` say; tests plug doubles in at these seams."""
    from ..store import open_store

    holder: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            store = open_store(settings.db)
            stack.push_async_callback(store.aclose)
            run_executor = executor or make_executor(settings)
            await run_executor.start()
            stack.push_async_callback(run_executor.close)
            unix_socket = None
            if settings.gateway:
                gateway_url = settings.gateway
            else:
                folder = Path(tempfile.mkdtemp(prefix="rollyard-gw-"))
                unix_socket = str(folder / "gateway.sock")
                gateway_app = _gateway_app(settings, backend)
                holder["gateway_app"] = gateway_app
                from ..gateway import serve_in_loop

                gateway_url = await stack.enter_async_context(serve_in_loop(gateway_app, unix_socket=unix_socket))
            options = ServiceOptions(
                concurrency=settings.concurrency, prewarm=settings.prewarm,
                init_concurrency=max(settings.concurrency, settings.prewarm),
            )  # fmt: skip
            service = RolloutService(run_executor, store, gateway_url, options=options, gateway_unix_socket=unix_socket)
            stack.push_async_callback(service.close)
            holder["service"] = service
            if settings.resume:
                external = settings.gateway is not None
                await service.recover(lambda spec: _route_model(holder, spec.agent.model, external=external))
            yield

    def service() -> RolloutService:
        return holder["service"]  # type: ignore[no-any-return]

    async def submit(request: Request) -> Response:
        try:
            spec = GroupSpec.model_validate(json.loads(await request.body()))
        except (ValueError, ValidationError) as exc:
            return _error(400, f"invalid group spec: {exc}")
        try:
            _route_model(holder, spec.agent.model, external=settings.gateway is not None)
            groups = await service().submit(spec)
        except (ValueError, KeyError) as exc:
            return _error(400, str(exc).strip("'\""))
        return JSONResponse({"groups": [g.summary() for g in groups]}, status_code=201)

    async def list_groups(_: Request) -> Response:
        return JSONResponse({"groups": [g.summary() for g in service().groups.values()]})

    def _group(request: Request) -> Any:
        return service().groups.get(request.path_params["group_id"])

    async def get_group(request: Request) -> Response:
        group = _group(request)
        if group is None:
            return _error(404, f"no group {request.path_params['group_id']!r}")
        trajectories = request.query_params.get("trajectories", "true").lower() != "false"
        return JSONResponse(group.to_dict(trajectories=trajectories))

    async def events(request: Request) -> Response:
        group = _group(request)
        if group is None:
            return _error(404, f"no group {request.path_params['group_id']!r}")

        async def stream() -> AsyncIterator[str]:
            async for event in service().subscribe(group.id):
                yield f"event: {event['type']}\ndata: {json.dumps(event, default=str)}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    async def cancel(request: Request) -> Response:
        group = _group(request)
        if group is None:
            return _error(404, f"no group {request.path_params['group_id']!r}")
        await service().cancel(group.id)
        return JSONResponse(group.summary())

    async def pause(_: Request) -> Response:
        service().pause()
        return JSONResponse({"paused": True})

    async def drain(_: Request) -> Response:
        await service().drain()
        return JSONResponse({"paused": True, "running": 0})

    async def resume(_: Request) -> Response:
        service().resume()
        return JSONResponse({"paused": False})

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "paused": service().paused})

    async def metrics(_: Request) -> Response:
        m = service().metrics()
        lines = [
            "# TYPE rollyard_rollout_queue_depth gauge",
            *(f'rollyard_rollout_queue_depth{{stage="{k}"}} {v}' for k, v in m["queue_depth"].items()),
            "# TYPE rollyard_rollout_in_flight gauge",
            *(f'rollyard_rollout_in_flight{{stage="{k}"}} {v}' for k, v in m["in_flight"].items()),
            "# TYPE rollyard_rollout_stage_seconds summary",
            *(f'rollyard_rollout_stage_seconds_sum{{stage="{k}"}} {v}' for k, v in m["stage_seconds_sum"].items()),
            *(f'rollyard_rollout_stage_seconds_count{{stage="{k}"}} {v}' for k, v in m["stage_count"].items()),
            "# TYPE rollyard_rollouts_finished_total counter",
            f"rollyard_rollouts_finished_total {m['rollouts_completed']}",
            f"rollyard_rollout_paused {int(m['paused'])}",
        ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return Starlette(
        routes=[
            Route("/v1/groups", submit, methods=["POST"]),
            Route("/v1/groups", list_groups, methods=["GET"]),
            Route("/v1/groups/{group_id}", get_group, methods=["GET"]),
            Route("/v1/groups/{group_id}/events", events, methods=["GET"]),
            Route("/v1/groups/{group_id}/cancel", cancel, methods=["POST"]),
            Route("/v1/pause", pause, methods=["POST"]),
            Route("/v1/drain", drain, methods=["POST"]),
            Route("/v1/resume", resume, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _gateway_app(settings: ServeSettings, backend: Any) -> Starlette:
    from ..evals import ModelChoice
    from ..gateway import Backend, BackendConfig, GatewayConfig, Router, build_app

    if backend is not None:
        router = Router([Backend(BackendConfig(name="default", kind="embedded"), backend)])
    else:
        embedded = None
        if settings.model == "embedded":
            from ..models import EmbeddedModel

            embedded = EmbeddedModel()
        first = ModelChoice.parse(settings.model).backend(embedded)
        # "default" keeps naming the serve-time backend once groups add others by URL.
        router = Router([first], aliases={"default": first.name})
    return build_app(GatewayConfig(db=settings.db), router=router)


def _route_model(holder: dict[str, Any], model: str, *, external: bool) -> None:
    """A group may name its model by URL: the in-process gateway learns that backend."""
    if not model.startswith(("http://", "https://")):
        return
    if external:
        raise ValueError("with --gateway, configure model backends on that gateway and name them")
    from ..evals import ModelChoice

    router = holder["gateway_app"].state.gateway.router
    if all(b.name != model for b in router.backends):
        router.backends.append(ModelChoice(label=model, url=model).backend())
