"""One call through the gateway: parse, wait if paused, route, forward, record, answer.

The record is committed before the client sees a byte of the answer (streamed or not),
and every outcome, errors included, leaves exactly one record."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from ..models import EmbeddedModel
from ..store import CallRecord, CallTimings, Store, new_call_id
from ..wire import (
    CODECS,
    ConversionReport,
    Dialect,
    Request,
    WireError,
    loads_object,
    response_to_events,
)
from ..wire import Response as ModelResponse
from ._metrics import GatewayMetrics
from ._quirks import prepare_for_backend
from ._router import Backend, Router
from ._sessions import SessionInfo, safe_headers

log = logging.getLogger("rollyard.gateway")


class BodyTooLargeError(WireError):
    kind = "too_large"


class RecordFailedError(WireError):
    kind = "overloaded"


@dataclass
class GatewayState:
    """What every call shares: routing, the store, pause state, metrics."""

    router: Router
    store: Store
    max_body_bytes: int
    policy_version: str | None = None
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0

    def __post_init__(self) -> None:
        self.resumed.set()

    def pause(self) -> None:
        self.resumed.clear()
        self.metrics.paused = True

    def resume(self) -> None:
        self.resumed.set()
        self.metrics.paused = False


@dataclass
class _Call:
    api: Dialect
    session: SessionInfo
    headers: dict[str, str]
    started: float = field(default_factory=time.perf_counter)
    created_at: float = field(default_factory=time.time)
    raw: dict[str, Any] | None = None
    request: Request | None = None
    backend: Backend | None = None
    queued_s: float = 0.0
    upstream_s: float = 0.0
    report: ConversionReport = field(default_factory=ConversionReport)


def _client_view(response: ModelResponse, request: Request, raw: Mapping[str, Any]) -> ModelResponse:
    """What the client gets: token ids only when it asked for them (vLLM-style
    ``return_token_ids``), logprobs only when it asked; the record keeps them all."""
    wants_ids = bool(raw.get("return_token_ids"))
    return dataclasses.replace(
        response,
        prompt_token_ids=response.prompt_token_ids if wants_ids else None,
        completion_token_ids=response.completion_token_ids if wants_ids else None,
        logprobs=response.logprobs if request.logprobs else None,
        extra=response.extra if response.origin is not None else {},
    )


def _clean_passthrough(body: dict[str, Any], raw: Mapping[str, Any], request: Request) -> dict[str, Any]:
    """A passed-through chat body minus the capture fields the client did not ask for."""
    cleaned = dict(body)
    if not raw.get("return_token_ids"):
        cleaned.pop("prompt_token_ids", None)
    choices = cleaned.get("choices")
    if isinstance(choices, list):
        new_choices = []
        for choice in choices:
            if isinstance(choice, dict):
                choice = dict(choice)
                if not raw.get("return_token_ids"):
                    choice.pop("token_ids", None)
                if not request.logprobs:
                    choice["logprobs"] = None
            new_choices.append(choice)
        cleaned["choices"] = new_choices
    return cleaned


def _plain(request: Request) -> dict[str, Any]:
    """The canonical request as plain JSON values (orjson walks the dataclasses far
    faster than ``dataclasses.asdict``; same keys and values)."""
    try:
        value = orjson.loads(orjson.dumps(request))
    except TypeError:  # integers beyond 64 bits in a client's extra fields
        return dataclasses.asdict(request)
    assert isinstance(value, dict)
    return value


def _usage_json(response: ModelResponse) -> dict[str, Any] | None:
    # What dataclasses.asdict gives, without its deep copy (a tenth of a call's CPU here).
    usage = response.usage
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_creation_tokens": usage.cache_creation_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "extra": dict(usage.extra),
    }


async def _record(state: GatewayState, record: CallRecord) -> None:
    try:
        await state.store.append(record)
        state.metrics.records_written += 1
    except Exception as exc:
        state.metrics.record_failures += 1
        log.exception("could not record call %s", record.id)
        raise RecordFailedError(f"the call could not be recorded ({type(exc).__name__}); not answering") from None


def _error_response(api: Dialect, error: WireError) -> JSONResponse:
    status, body = CODECS[api].render_error(error)
    return JSONResponse(body, status_code=status)


async def handle_call(
    state: GatewayState, api: Dialect, body_bytes: bytes, headers: Mapping[str, str], session: SessionInfo
) -> Response:
    """Serve one model call in the client's dialect ``api``."""
    call = _Call(api=api, session=session, headers=safe_headers(headers))
    state.in_flight += 1
    state.metrics.in_flight = state.in_flight
    try:
        return await _handle(state, call, body_bytes, headers)
    finally:
        state.in_flight -= 1
        state.metrics.in_flight = state.in_flight


async def _handle(state: GatewayState, call: _Call, body_bytes: bytes, headers: Mapping[str, str]) -> Response:
    codec = CODECS[call.api]
    try:
        if len(body_bytes) > state.max_body_bytes:
            raise BodyTooLargeError(
                f"request body of {len(body_bytes)} bytes exceeds the gateway's limit of {state.max_body_bytes}"
            )
        call.raw = loads_object(body_bytes)
        call.request = codec.parse_request(call.raw)
        waited = time.perf_counter()
        await state.resumed.wait()  # paused for a weight sync: new calls wait here
        call.queued_s = time.perf_counter() - waited
        call.backend = state.router.resolve(call.request.model)
        upstream = time.perf_counter()
        response, client_body = await _forward(call, headers)
        call.upstream_s = time.perf_counter() - upstream
    except WireError as error:
        return await _fail(state, call, error)
    except Exception as exc:  # a bug of ours: a message, never a traceback
        log.exception("gateway call failed")
        return await _fail(state, call, WireError(f"internal error: {type(exc).__name__}: {exc}", kind="internal"))
    record = _ok_record(state, call, response, client_body)
    try:
        await _record(state, record)
    except WireError as error:
        return _error_response(call.api, error)
    _observe(state, call, "ok", response)
    assert call.request is not None
    if call.request.stream:
        view = _client_view(response, call.request, call.raw or {})
        include_usage = call.api != "chat" or bool(call.request.stream_include_usage)
        # The upstream answer is complete, so the synthesized stream goes out in one write:
        # the same SSE events a client parses, without an ASGI send per event.
        events = "".join(codec.encode_stream(response_to_events(view), include_usage=include_usage))
        return Response(
            events,
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-rollyard-call-id": record.id},
        )
    return FastJSONResponse(client_body, headers={"x-rollyard-call-id": record.id})


class FastJSONResponse(JSONResponse):
    """JSONResponse rendered by orjson (the same compact UTF-8 JSON, faster)."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:  # integers beyond 64 bits
            return super().render(content)


async def _forward(call: _Call, headers: Mapping[str, str]) -> tuple[ModelResponse, dict[str, Any]]:
    assert call.request is not None and call.backend is not None and call.raw is not None
    codec = CODECS[call.api]
    model = call.backend.model
    if model.dialect is not None and model.dialect == call.api:
        # Same dialect: the client's body goes upstream as it is (ARCHITECTURE decision 1).
        passthrough = {k: headers[k] for k in ("anthropic-beta", "anthropic-version") if k in headers}
        body = await model.request_raw(call.raw, headers=passthrough, request=call.request)
        response = codec.parse_response(body)
        if call.api == "chat":
            body = _clean_passthrough(body, call.raw, call.request)
        return response, body
    prepared = prepare_for_backend(call.request, backend_dialect=model.dialect, report=call.report)
    response = await model.request(prepared)
    for warning in getattr(model, "last_report", ConversionReport()).warnings:
        call.report.warn(warning)
    view = _client_view(response, call.request, call.raw)
    return response, codec.render_response(view, lossless=False, report=call.report)


def _ok_record(state: GatewayState, call: _Call, response: ModelResponse, client_body: dict[str, Any]) -> CallRecord:
    assert call.request is not None and call.backend is not None
    has_ids = response.prompt_token_ids is not None and response.completion_token_ids is not None
    return CallRecord(
        id=new_call_id(),
        session_id=call.session.session_id,
        parent_session_id=call.session.parent_session_id,
        harness=call.session.harness,
        api=call.api,
        status="ok",
        http_status=200,
        created_at=call.created_at,
        raw_request=call.raw,
        normalized_request=_plain(call.request),
        response=client_body,
        prompt_token_ids=response.prompt_token_ids,
        completion_token_ids=response.completion_token_ids,
        logprobs=[lp.logprob for lp in response.logprobs] if response.logprobs else None,
        token_source="engine" if has_ids else "none",
        finish_reason=response.finish_reason,
        usage=_usage_json(response),
        timings=CallTimings(call.queued_s, call.upstream_s, time.perf_counter() - call.started),
        model_requested=call.request.model,
        model_used=response.model or call.request.model,
        backend=call.backend.name,
        policy_version=state.policy_version,
        stream=call.request.stream,
        headers=call.headers,
        warnings=list(call.report.warnings),
        constrained_decoding=bool(response.extra.get("constrained_decoding")) if response.origin is None else False,
    )


async def _fail(state: GatewayState, call: _Call, error: WireError) -> Response:
    record = CallRecord(
        id=new_call_id(),
        session_id=call.session.session_id,
        parent_session_id=call.session.parent_session_id,
        harness=call.session.harness,
        api=call.api,
        status="error",
        http_status=error.status,
        created_at=call.created_at,
        raw_request=call.raw,
        normalized_request=_plain(call.request) if call.request else None,
        timings=CallTimings(call.queued_s, call.upstream_s, time.perf_counter() - call.started),
        model_requested=call.request.model if call.request else None,
        backend=call.backend.name if call.backend else None,
        policy_version=state.policy_version,
        stream=bool(call.request and call.request.stream),
        headers=call.headers,
        error=str(error),
        warnings=list(call.report.warnings),
    )
    try:
        await _record(state, record)
    except WireError as record_error:
        return _error_response(call.api, record_error)
    _observe(state, call, "error", None)
    return _error_response(call.api, error)


async def record_refusal(
    state: GatewayState, api: Dialect, headers: Mapping[str, str], session: SessionInfo, error: WireError
) -> Response:
    """Record and answer a call refused before its body was read (too large)."""
    return await _fail(state, _Call(api=api, session=session, headers=safe_headers(headers)), error)


def _observe(state: GatewayState, call: _Call, status: str, response: ModelResponse | None) -> None:
    usage = response.usage if response else None
    state.metrics.observe(
        call.api,
        status,
        call.backend.name if call.backend else "-",
        time.perf_counter() - call.started,
        usage.input_tokens if usage else 0,
        usage.output_tokens if usage else 0,
    )


def count_tokens(state: GatewayState, body_bytes: bytes) -> dict[str, Any]:
    """``/v1/messages/count_tokens``: exact on the embedded model, else an estimate."""
    body = loads_object(body_bytes)
    body.setdefault("max_tokens", 1)
    request = CODECS["anthropic"].parse_request(body)
    backend = state.router.resolve(request.model)
    if isinstance(backend.model, EmbeddedModel):
        prepared = prepare_for_backend(request, backend_dialect=None, report=ConversionReport())
        _, ids = backend.model.render_prompt(prepared)
        return {"input_tokens": len(ids)}
    # No tokenizer for a remote backend here: about four characters a token.
    return {"input_tokens": max(1, len(body_bytes) // 4), "estimated": True}
