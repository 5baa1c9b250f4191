"""Serve one ``Model`` OpenAI-compatibly (``rollyard model serve``).

Like vLLM with ``return_token_ids``, every chat response carries top-level
``prompt_token_ids`` and per-choice ``token_ids`` (the engine's own), and
``logprobs.content[]`` when the client asked for logprobs."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..wire import CHAT, Request, WireError, loads_object
from ._base import Model

log = logging.getLogger("rollyard.model_serve")

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


class _NotFoundError(WireError):
    kind = "not_found"


class _TooLargeError(WireError):
    kind = "too_large"


def _error(error: WireError) -> JSONResponse:
    status, body = CHAT.render_error(error)
    return JSONResponse(body, status_code=status)


def model_app(model: Model, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, any_model_name: bool = True) -> Starlette:
    """An ASGI app serving ``model`` over OpenAI Chat Completions.

    ``any_model_name``: answer whatever ``model`` the client names (a single-model
    server); otherwise only the names in ``model.model_names()``."""
    started = int(time.time())

    async def healthz(_: HTTPRequest) -> Response:
        return JSONResponse({"status": "ok", "model": model.name})

    async def models(_: HTTPRequest) -> Response:
        data = [{"id": n, "object": "model", "created": started, "owned_by": "rollyard"} for n in model.model_names()]
        return JSONResponse({"object": "list", "data": data})

    async def chat_completions(http_request: HTTPRequest) -> Response:
        try:
            raw = await http_request.body()
            if len(raw) > max_body_bytes:
                raise _TooLargeError(f"request body of {len(raw)} bytes exceeds the limit of {max_body_bytes}")
            request = CHAT.parse_request(loads_object(raw))
            if not any_model_name and request.model not in model.model_names():
                raise _NotFoundError(f"model {request.model!r} is not served here", field="model")
            if request.stream:
                return StreamingResponse(
                    _stream(model, request), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
                )
            response = await model.request(request)
            if not request.logprobs:
                response = dataclasses.replace(response, logprobs=None)
            return JSONResponse(CHAT.render_response(response, lossless=False))
        except WireError as error:
            return _error(error)
        except Exception as exc:  # never a traceback to the client; the log keeps it
            log.exception("model serve failed")
            return _error(WireError(f"internal error: {type(exc).__name__}: {exc}", kind="internal"))

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        ]
    )


async def _stream(model: Model, request: Request) -> AsyncIterator[str]:
    include_usage = bool(request.stream_include_usage)
    try:
        events = [event async for event in model.stream(request)]
    except WireError as error:
        _, body = CHAT.render_error(error)
        yield f"data: {_json(body)}\n\n"
        return
    except Exception as exc:
        log.exception("model serve stream failed")
        _, body = CHAT.render_error(WireError(f"internal error: {type(exc).__name__}: {exc}", kind="internal"))
        yield f"data: {_json(body)}\n\n"
        return
    for chunk in CHAT.encode_stream(events, include_usage=include_usage):
        yield chunk


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
