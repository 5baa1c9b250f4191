"""OpenAI Responses response bodies <-> canonical ``Response``.

Output items: a message item per run of consecutive text parts, one ``reasoning`` item per
reasoning part, one ``function_call`` / ``custom_tool_call`` per call. Items a foreign
response has no id for get a deterministic one (``msg_<response id>_<output index>``),
the same in a stream (``_responses_stream``) and in its final ``response.completed``
body, which the official SDK checks against each other."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

from ._canonical import (
    DIALECTS,
    ConversionReport,
    FinishReason,
    Message,
    Response,
    TokenLogprob,
    ToolCallPart,
    Usage,
)
from ._errors import MalformedResponseError
from ._fields import EXT_KEY, as_list, as_object, opt, put_ext, req
from ._responses_items import ItemFolder, ParseCtx, join
from ._responses_render import RenderCtx, render_assistant

_ERR = MalformedResponseError
_RESPONSE_KNOWN = frozenset(
    {"id", "model", "created_at", "output", "usage", "prompt_token_ids", "completion_token_ids", "logprobs"}
)
_USAGE_KNOWN = frozenset(
    {"input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details", "total_tokens"}
)
_ID_PREFIX = {"message": "msg", "reasoning": "rs", "function_call": "fc", "custom_tool_call": "ctc"}


def synth_id(kind: str, response_id: str, output_index: int) -> str:
    """The id of an output item whose source had none (deterministic, so that a stream
    and its final response agree)."""
    return f"{_ID_PREFIX[kind]}_{response_id}_{output_index}"


def finish_for(status: Any, reason: Any, has_calls: bool) -> FinishReason:
    """Responses ``status`` (+ ``incomplete_details.reason``) -> canonical finish reason."""
    if status == "incomplete":
        return "content_filter" if reason == "content_filter" else "length"
    if status == "failed":
        return "error"
    return "tool_calls" if has_calls else "stop"


def _status_for(finish: FinishReason) -> tuple[str, dict[str, Any] | None]:
    if finish == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if finish == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    if finish == "error":
        return "failed", None
    return "completed", None


def _reason_of(details: Any) -> Any:
    return details.get("reason") if isinstance(details, dict) else None


# ---- usage and logprobs ----


def _parse_usage(obj: dict[str, Any], ctx: ParseCtx) -> Usage:
    usage = Usage(req(obj, "input_tokens", int, "usage", _ERR), req(obj, "output_tokens", int, "usage", _ERR))
    usage.extra = ctx.extra(obj, _USAGE_KNOWN, "usage")
    details = opt(obj, "input_tokens_details", dict, "usage", _ERR)
    if details is not None:
        usage.cache_read_tokens = opt(details, "cached_tokens", int, "usage.input_tokens_details", _ERR)
        usage.cache_creation_tokens = opt(details, "cache_write_tokens", int, "usage.input_tokens_details", _ERR)
        rest = ctx.extra(details, frozenset({"cached_tokens", "cache_write_tokens"}), "")
        # Kept when it holds more, or when nothing canonical shows the object was there.
        if not ctx.foreign and (rest or usage.cache_read_tokens is usage.cache_creation_tokens is None):
            usage.extra["input_tokens_details"] = rest
    details = opt(obj, "output_tokens_details", dict, "usage", _ERR)
    if details is not None:
        usage.reasoning_tokens = opt(details, "reasoning_tokens", int, "usage.output_tokens_details", _ERR)
        rest = ctx.extra(details, frozenset({"reasoning_tokens"}), "")
        if not ctx.foreign and (rest or usage.reasoning_tokens is None):
            usage.extra["output_tokens_details"] = rest
    total = opt(obj, "total_tokens", int, "usage", _ERR)
    if total is not None and total != usage.total_tokens and not ctx.foreign:
        usage.extra["total_tokens"] = total
    for name in opt(ctx.ext(obj, "usage"), "absent", list, join("usage", EXT_KEY), _ERR) or []:
        if name in ("cache_read_tokens", "reasoning_tokens"):
            setattr(usage, name, None)
    return usage


def _render_usage(usage: Usage, rctx: RenderCtx) -> dict[str, Any]:
    native = rctx.native
    extra = dict(usage.extra) if native else {}
    out: dict[str, Any] = {"input_tokens": usage.input_tokens}
    absent: list[str] = []
    in_extra = extra.pop("input_tokens_details", None)
    if (
        usage.cache_read_tokens is not None
        or usage.cache_creation_tokens is not None
        or in_extra is not None
        or not native
    ):
        details: dict[str, Any] = {}
        if usage.cache_read_tokens is not None or not native:
            details["cached_tokens"] = usage.cache_read_tokens or 0
            if usage.cache_read_tokens is None:
                absent.append("cache_read_tokens")
        if usage.cache_creation_tokens is not None:
            details["cache_write_tokens"] = usage.cache_creation_tokens
        if isinstance(in_extra, dict):
            for key, value in in_extra.items():
                details.setdefault(key, value)
        out["input_tokens_details"] = details
    out["output_tokens"] = usage.output_tokens
    out_extra = extra.pop("output_tokens_details", None)
    if usage.reasoning_tokens is not None or out_extra is not None or not native:
        details = {}
        if usage.reasoning_tokens is not None or not native:
            details["reasoning_tokens"] = usage.reasoning_tokens or 0
            if usage.reasoning_tokens is None:
                absent.append("reasoning_tokens")
        if isinstance(out_extra, dict):
            for key, value in out_extra.items():
                details.setdefault(key, value)
        out["output_tokens_details"] = details
    total = extra.pop("total_tokens", None)
    out["total_tokens"] = total if isinstance(total, int) else usage.total_tokens
    rctx.absent(out, *absent)
    rctx.merge(out, extra if native else usage.extra, "usage")
    return out


def _parse_logprobs(raw: Any, path: str) -> list[TokenLogprob]:
    out = []
    for k, entry in enumerate(as_list(raw, path, _ERR)):
        p = f"{path}[{k}]"
        obj = as_object(entry, p, _ERR)
        raw_bytes = opt(obj, "bytes", list, p, _ERR)
        top = []
        for t, alt in enumerate(opt(obj, "top_logprobs", list, p, _ERR) or []):
            alt_obj = as_object(alt, f"{p}.top_logprobs[{t}]", _ERR)
            top.append(
                (
                    req(alt_obj, "token", str, f"{p}.top_logprobs[{t}]", _ERR),
                    req(alt_obj, "logprob", float, f"{p}.top_logprobs[{t}]", _ERR),
                )
            )
        out.append(
            TokenLogprob(
                token=req(obj, "token", str, p, _ERR),
                logprob=float(req(obj, "logprob", (int, float), p, _ERR)),
                token_id=opt(obj, "token_id", int, p, _ERR),
                bytes=None if raw_bytes is None else [b for b in raw_bytes if isinstance(b, int)],
                top=tuple(top),
            )
        )
    return out


def _render_logprobs(logprobs: list[TokenLogprob]) -> list[dict[str, Any]]:
    out = []
    for lp in logprobs:
        entry: dict[str, Any] = {
            "token": lp.token,
            "logprob": lp.logprob,
            "bytes": lp.bytes if lp.bytes is not None else list(lp.token.encode()),
            "top_logprobs": [{"token": t, "logprob": v, "bytes": list(t.encode())} for t, v in lp.top],
        }
        if lp.token_id is not None:
            entry["token_id"] = lp.token_id
        out.append(entry)
    return out


def _token_ids(body: dict[str, Any], key: str) -> list[int] | None:
    raw = opt(body, key, list, "", _ERR)
    if raw is None:
        return None
    for k, value in enumerate(raw):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _ERR("expected int", field=f"{key}[{k}]")
    return list(raw)


# ---- response bodies ----


def parse_response(body: dict[str, Any]) -> Response:
    """A Responses response body -> canonical ``Response``."""
    body = as_object(body, "body", _ERR)
    top_ext = ParseCtx(error=_ERR).ext(body, "")
    origin = top_ext.get("origin")
    foreign = origin in DIALECTS and origin != "responses"
    ctx = ParseCtx(foreign=foreign, error=_ERR)
    output = req(body, "output", list, "", _ERR)
    folder = ItemFolder(ctx)
    text_logprobs: list[TokenLogprob] = []
    for i, item in enumerate(output):
        if isinstance(item, dict) and isinstance(item.get(EXT_KEY), dict) and item[EXT_KEY].get("synthetic_id") is True:
            item = {k: v for k, v in item.items() if k != "id"}
        folder.feed(item, f"output[{i}]", output=True)
        content = item.get("content") if isinstance(item, dict) and item.get("type", "message") == "message" else None
        for j, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, dict) and part.get("type") == "output_text" and part.get("logprobs") is not None:
                text_logprobs += _parse_logprobs(part["logprobs"], f"output[{i}].content[{j}].logprobs")
    messages = folder.finish()
    if len(messages) > 1:
        raise _ERR("output holds more than one assistant turn", field="output")
    message = messages[0] if messages else Message("assistant", [])
    response = Response(
        id=req(body, "id", str, "", _ERR),
        model=req(body, "model", str, "", _ERR),
        message=message,
        origin=origin if foreign else "responses",
        extra=ctx.extra(body, _RESPONSE_KNOWN, ""),
    )
    created = opt(body, "created_at", (int, float), "", _ERR)
    if created is not None and float(created).is_integer():
        response.created = int(created)
    elif created is not None and not foreign:
        response.extra["created_at"] = created
    usage = opt(body, "usage", dict, "", _ERR)
    if usage is not None:
        response.usage = _parse_usage(usage, ctx)
    status = opt(body, "status", str, "", _ERR)
    details = opt(body, "incomplete_details", dict, "", _ERR)
    has_calls = any(isinstance(p, ToolCallPart) for p in message.parts)
    response.finish_reason = finish_for(status, _reason_of(details), has_calls)
    response.prompt_token_ids = _token_ids(body, "prompt_token_ids")
    response.completion_token_ids = _token_ids(body, "completion_token_ids")
    if body.get("logprobs") is not None:
        response.logprobs = _parse_logprobs(body["logprobs"], "logprobs")
        if text_logprobs and not foreign:
            response.extra["logprobs"] = body["logprobs"]
    elif text_logprobs:
        response.logprobs = text_logprobs
    e_path = EXT_KEY
    finish = opt(top_ext, "finish_reason", str, e_path, _ERR)
    if finish is not None:
        if finish not in get_args(FinishReason):
            raise _ERR(f"unknown finish reason {finish!r}", field=f"{e_path}.finish_reason")
        response.finish_reason = finish  # type: ignore[assignment]
    response.stop_sequence = opt(top_ext, "stop_sequence", str, e_path, _ERR)
    if "created" in (opt(top_ext, "absent", list, e_path, _ERR) or []):
        response.created = None
    return response


def render_response(
    response: Response, *, lossless: bool = True, report: ConversionReport | None = None
) -> dict[str, Any]:
    """Canonical ``Response`` -> Responses body (what ``client.responses.create`` returns)."""
    native = response.origin == "responses"
    rctx = RenderCtx(response.origin, lossless, report, marks=not native)
    items = render_assistant(response.message, rctx, "message", output=True)
    has_calls = any(isinstance(p, ToolCallPart) for p in response.message.parts)
    out: dict[str, Any] = {"id": response.id}
    absent: list[str] = []
    if not native:
        out["object"] = "response"
    if response.created is not None:
        out["created_at"] = response.created
    elif not native:
        out["created_at"] = 0
        absent.append("created")
    status: Any
    details: Any
    status, details = _status_for(response.finish_reason)
    kept = response.extra if native else {}
    if native and finish_for(kept.get("status"), _reason_of(kept.get("incomplete_details")), has_calls) == (
        response.finish_reason
    ):
        status, details = kept.get("status"), kept.get("incomplete_details")  # put back by the extras merge
    else:
        out["status"] = status
        if not native or "incomplete_details" in kept or details is not None:
            out["incomplete_details"] = details
    if finish_for(status, _reason_of(details), has_calls) != response.finish_reason:
        rctx.carry(
            out, "finish_reason", f"finish reason {response.finish_reason!r}", finish_reason=response.finish_reason
        )
    out["model"] = response.model
    texts = list(_output_texts(items))
    if native:
        out["output"] = items
        if response.logprobs is not None and not any(c.get("logprobs") for c in texts):
            out["logprobs"] = _render_logprobs(response.logprobs)
    else:
        fill_ids(items, response.id, lossless)
        if response.logprobs:
            if texts:
                texts[0]["logprobs"] = _render_logprobs(response.logprobs)
            else:
                out["logprobs"] = _render_logprobs(response.logprobs)
        error = (
            {"code": "server_error", "message": "the model failed to produce a response"}
            if status == "failed"
            else None
        )
        out.update(error=error, instructions=None, metadata={}, output=items, parallel_tool_calls=True)
        out.update(temperature=None, tool_choice="auto", tools=[], top_p=None)
    if response.usage is not None:
        out["usage"] = _render_usage(response.usage, rctx)
    elif not native:
        out["usage"] = None
    if response.prompt_token_ids is not None:
        out["prompt_token_ids"] = response.prompt_token_ids
    if response.completion_token_ids is not None:
        out["completion_token_ids"] = response.completion_token_ids
    if response.stop_sequence is not None:
        rctx.carry(out, "stop_sequence", "stop sequence", stop_sequence=response.stop_sequence)
    if not native and lossless:
        put_ext(out, origin=response.origin, absent=absent)
    rctx.merge(out, response.extra, "")
    return out


def _output_texts(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        content = item.get("content") if item.get("type", "message") == "message" else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "output_text":
                yield part


def fill_ids(items: list[dict[str, Any]], response_id: str, mark: bool) -> None:
    first_message = True
    for n, item in enumerate(items):
        kind = item.get("type", "message")
        if kind not in _ID_PREFIX:
            continue
        if kind == "function_call":
            item.setdefault("status", "completed")
        if "id" not in item:
            item["id"] = synth_id(kind, response_id, n)
            # Later message items have no canonical id slot: nothing to restore there.
            if mark and (kind != "message" or first_message):
                put_ext(item, synthetic_id=True)
        first_message = first_message and kind != "message"
