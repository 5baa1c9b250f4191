"""The gateway's ASGI app: the three dialects' endpoints (also under ``/s/{session}``),
health, and the admin API."""

from __future__ import annotations

import dataclasses
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..models import EmbeddedModel
from ..store import Store, open_store
from ..wire import CODECS, Dialect, WireError, loads_object
from ._config import GatewayConfig
from ._pipeline import BodyTooLargeError, GatewayState, count_tokens, handle_call, record_refusal
from ._router import Router
from ._sessions import resolve_session

log = logging.getLogger("rollyard.gateway")

Handler = Callable[[HTTPRequest], Awaitable[Response]]


async def _read_body(request: HTTPRequest, limit: int) -> bytes:
    """The body, refusing early (by Content-Length or while reading) past ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"request body of {declared} bytes exceeds the gateway's limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"request body exceeds the gateway's limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _model_endpoint(state: GatewayState, api: Dialect) -> Handler:
    async def endpoint(request: HTTPRequest) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        session = resolve_session(request.path_params.get("session_id"), headers)
        try:
            body = await _read_body(request, state.max_body_bytes)
        except BodyTooLargeError as error:
            return await record_refusal(state, api, headers, session, error)
        return await handle_call(state, api, body, headers, session)

    return endpoint


def _admin(state: GatewayState, admin_key: str | None, handler: Handler) -> Handler:
    async def guarded(request: HTTPRequest) -> Response:
        if admin_key is None:
            return JSONResponse({"error": {"message": "the admin API is off: start the gateway with --admin-key"}}, 404)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {admin_key}".encode()):
            return JSONResponse({"error": {"message": "admin API needs Authorization: Bearer <admin key>"}}, 401)
        try:
            return await handler(request)
        except WireError as error:
            return JSONResponse({"error": {"message": str(error)}}, error.status)

    return guarded


def build_app(
    config: GatewayConfig,
    *,
    store: Store | None = None,
    router: Router | None = None,
    embedded: EmbeddedModel | None = None,
) -> Starlette:
    """The gateway app. ``store`` and ``router`` default to what ``config`` says."""
    store = store or open_store(config.db)
    router = router or Router.from_config(config, embedded=embedded)
    state = GatewayState(router=router, store=store, max_body_bytes=config.max_body_bytes)
    state.policy_version = config.policy_version
    admin_key = config.resolved_admin_key()

    async def root(_: HTTPRequest) -> Response:
        return PlainTextResponse("rollyard gateway\n")

    async def healthz(_: HTTPRequest) -> Response:
        return JSONResponse({"status": "ok", "paused": not state.resumed.is_set(), "in_flight": state.in_flight})

    async def models(_: HTTPRequest) -> Response:
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "rollyard"} for n in router.model_names()]
        return JSONResponse({"object": "list", "data": data})

    async def messages_count_tokens(request: HTTPRequest) -> Response:
        try:
            return JSONResponse(count_tokens(state, await _read_body(request, state.max_body_bytes)))
        except WireError as error:
            status, body = CODECS["anthropic"].render_error(error)
            return JSONResponse(body, status)

    async def admin_sessions(_: HTTPRequest) -> Response:
        return JSONResponse([dataclasses.asdict(s) for s in await state.store.sessions()])

    async def admin_session_calls(request: HTTPRequest) -> Response:
        calls = await state.store.calls(request.path_params["session_id"])
        return JSONResponse([c.to_json() for c in calls])

    async def admin_call(request: HTTPRequest) -> Response:
        record = await state.store.get(request.path_params["call_id"])
        if record is None:
            return JSONResponse({"error": {"message": "no such call"}}, 404)
        return JSONResponse(record.to_json())

    async def admin_pause(_: HTTPRequest) -> Response:
        state.pause()
        return JSONResponse({"paused": True, "in_flight": state.in_flight})

    async def admin_resume(_: HTTPRequest) -> Response:
        state.resume()
        return JSONResponse({"paused": False})

    async def admin_policy_version(request: HTTPRequest) -> Response:
        body = loads_object(await request.body())
        version = body.get("policy_version", body.get("version"))
        if version is not None and not isinstance(version, (str, int)):
            raise WireError('body must be {"policy_version": "..."} (null clears it)', field="policy_version")
        state.policy_version = None if version is None else str(version)
        return JSONResponse({"policy_version": state.policy_version})

    async def metrics(_: HTTPRequest) -> Response:
        return PlainTextResponse(state.metrics.render(), media_type="text/plain; version=0.0.4")

    api_routes: list[Route] = []
    for prefix in ("", "/s/{session_id}"):
        api_routes += [
            Route(f"{prefix}/v1/chat/completions", _model_endpoint(state, "chat"), methods=["POST"]),
            Route(f"{prefix}/v1/responses", _model_endpoint(state, "responses"), methods=["POST"]),
            Route(f"{prefix}/v1/messages", _model_endpoint(state, "anthropic"), methods=["POST"]),
            Route(f"{prefix}/v1/messages/count_tokens", messages_count_tokens, methods=["POST"]),
            Route(f"{prefix}/v1/models", models, methods=["GET"]),
            Route(f"{prefix}/", root, methods=["GET", "HEAD"]),
            Route(f"{prefix}/healthz", healthz, methods=["GET"]),
        ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await router.aclose()
        await state.store.aclose()

    app = Starlette(
        routes=[
            *api_routes,
            Route("/admin/sessions", _admin(state, admin_key, admin_sessions), methods=["GET"]),
            Route("/admin/sessions/{session_id}/calls", _admin(state, admin_key, admin_session_calls), methods=["GET"]),
            Route("/admin/calls/{call_id}", _admin(state, admin_key, admin_call), methods=["GET"]),
            Route("/admin/pause", _admin(state, admin_key, admin_pause), methods=["POST"]),
            Route("/admin/resume", _admin(state, admin_key, admin_resume), methods=["POST"]),
            Route("/admin/policy-version", _admin(state, admin_key, admin_policy_version), methods=["PUT"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.gateway = state
    return app
