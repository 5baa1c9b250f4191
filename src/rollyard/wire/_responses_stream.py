"""OpenAI Responses response bodies and typed SSE streams <-> canonical ``Response`` and
stream events.

Output items: a message item per run of consecutive text parts, one ``reasoning`` item per
reasoning part, one ``function_call`` / ``custom_tool_call`` per call. Items a foreign
response has no id for get a deterministic one (``msg_<response id>_<output index>``),
the same in a stream and in its final ``response.completed`` body, which the official SDK
checks against each other."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, get_args

from ._canonical import (
    DIALECTS,
    ConversionReport,
    FinishReason,
    Message,
    MessageEnd,
    MessageStart,
    Part,
    PartEnd,
    PartStart,
    ReasoningDelta,
    ReasoningOpaque,
    ReasoningPart,
    ReasoningSummaryDelta,
    Response,
    StreamEvent,
    TextDelta,
    TextPart,
    TokenLogprob,
    ToolArgsDelta,
    ToolCallPart,
    Usage,
)
from ._errors import MalformedResponseError
from ._fields import EXT_KEY, as_list, as_object, opt, put_ext, req
from ._responses_items import ItemFolder, ParseCtx, RenderCtx, join, render_assistant
from ._stream import SSEMessage, StreamAccumulator, sse

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
        _fill_ids(items, response.id, lossless)
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


def _fill_ids(items: list[dict[str, Any]], response_id: str, mark: bool) -> None:
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


# ---- streams: encode ----


@dataclass
class _Item:
    kind: str
    output_index: int
    item_id: str
    parts: list[int] = field(default_factory=list)
    sub: tuple[str, int] | None = None
    """The open sub-part of a reasoning item: ("content", 0) or ("summary", k)."""


@dataclass
class _Encoder:
    include_usage: bool
    seq: int = 0
    acc: StreamAccumulator = field(default_factory=StreamAccumulator)
    items: list[_Item] = field(default_factory=list)
    by_part: dict[int, _Item] = field(default_factory=dict)
    message: _Item | None = None
    first_message_id: str | None = None

    def emit(self, kind: str, **fields: Any) -> str:
        data = {"type": kind, "sequence_number": self.seq, **fields}
        self.seq += 1
        return sse(data, event=kind)

    def feed(self, event: StreamEvent) -> Iterator[str]:
        self.acc.feed(event)
        match event:
            case MessageStart():
                shell = render_response(
                    Response(event.id, event.model, Message("assistant", []), created=event.created)
                )
                shell.update(status="in_progress", incomplete_details=None, usage=None)
                yield self.emit("response.created", response=shell)
                yield self.emit("response.in_progress", response=shell)
            case PartStart():
                yield from self._start(event)
            case TextDelta():
                item = self.by_part[event.index]
                yield self.emit(
                    "response.output_text.delta",
                    item_id=item.item_id,
                    output_index=item.output_index,
                    content_index=item.parts.index(event.index),
                    delta=event.text,
                    logprobs=[],
                )
            case ReasoningDelta():
                item = self.by_part[event.index]
                yield from self._open_sub(item, ("content", 0))
                where = {"item_id": item.item_id, "output_index": item.output_index}
                yield self.emit("response.reasoning_text.delta", **where, content_index=0, delta=event.text)
            case ReasoningSummaryDelta():
                item = self.by_part[event.index]
                yield from self._open_sub(item, ("summary", event.summary_index))
                where = {"item_id": item.item_id, "output_index": item.output_index}
                yield self.emit(
                    "response.reasoning_summary_text.delta",
                    **where,
                    summary_index=event.summary_index,
                    delta=event.text,
                )
            case ReasoningOpaque():
                pass  # lands on the reasoning item of ``output_item.done``
            case ToolArgsDelta():
                item = self.by_part[event.index]
                kind = (
                    "response.custom_tool_call_input.delta"
                    if item.kind == "custom_tool_call"
                    else "response.function_call_arguments.delta"
                )
                yield self.emit(kind, item_id=item.item_id, output_index=item.output_index, delta=event.fragment)
            case PartEnd():
                yield from self._end(event.index)
            case MessageEnd():
                yield from self._finish(event)

    def _start(self, event: PartStart) -> Iterator[str]:
        part = self.acc.parts[event.index]
        if event.kind == "text" and self.message is not None:
            item = self.message
        else:
            yield from self._close_message()
            kind = {"text": "message", "reasoning": "reasoning"}.get(event.kind) or (
                "custom_tool_call" if event.tool_kind == "custom" else "function_call"
            )
            index = len(self.items)
            item_id = event.item_id if event.item_id and (kind != "message" or self.first_message_id is None) else None
            item = _Item(kind, index, item_id or synth_id(kind, self.acc.id, index))
            self.items.append(item)
            if isinstance(part, ReasoningPart):
                part.id = item.item_id
            elif isinstance(part, ToolCallPart):
                part.item_id = item.item_id
            added: dict[str, Any]
            if kind == "message":
                self.message = item
                self.first_message_id = self.first_message_id or item.item_id
                added = {
                    "id": item.item_id,
                    "type": "message",
                    "status": "in_progress",
                    "content": [],
                    "role": "assistant",
                }
            elif kind == "reasoning":
                added = {"id": item.item_id, "type": "reasoning", "summary": []}
            elif kind == "function_call":
                added = {
                    "id": item.item_id,
                    "type": kind,
                    "status": "in_progress",
                    "arguments": "",
                    "call_id": event.tool_call_id,
                    "name": event.tool_name,
                }
            else:
                added = {
                    "id": item.item_id,
                    "type": kind,
                    "call_id": event.tool_call_id,
                    "name": event.tool_name,
                    "input": "",
                }
            yield self.emit("response.output_item.added", output_index=index, item=added)
        item.parts.append(event.index)
        self.by_part[event.index] = item
        if event.kind == "text":
            yield self.emit(
                "response.content_part.added",
                item_id=item.item_id,
                output_index=item.output_index,
                content_index=len(item.parts) - 1,
                part={"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
            )

    def _open_sub(self, item: _Item, sub: tuple[str, int]) -> Iterator[str]:
        if item.sub == sub:
            return
        yield from self._close_sub(item)
        item.sub = sub
        where = {"item_id": item.item_id, "output_index": item.output_index}
        if sub[0] == "content":
            part = {"type": "reasoning_text", "text": ""}
            yield self.emit("response.content_part.added", **where, content_index=0, part=part)
        else:
            part = {"type": "summary_text", "text": ""}
            yield self.emit("response.reasoning_summary_part.added", **where, summary_index=sub[1], part=part)

    def _close_sub(self, item: _Item) -> Iterator[str]:
        if item.sub is None:
            return
        reasoning = self.acc.parts[item.parts[0]]
        assert isinstance(reasoning, ReasoningPart)
        where = {"item_id": item.item_id, "output_index": item.output_index}
        if item.sub[0] == "content":
            text = reasoning.text or ""
            yield self.emit("response.reasoning_text.done", **where, content_index=0, text=text)
            part = {"type": "reasoning_text", "text": text}
            yield self.emit("response.content_part.done", **where, content_index=0, part=part)
        else:
            k = item.sub[1]
            text = (reasoning.summary or [""] * (k + 1))[k]
            yield self.emit("response.reasoning_summary_text.done", **where, summary_index=k, text=text)
            part = {"type": "summary_text", "text": text}
            yield self.emit("response.reasoning_summary_part.done", **where, summary_index=k, part=part)
        item.sub = None

    def _end(self, index: int) -> Iterator[str]:
        item = self.by_part[index]
        part = self.acc.parts[index]
        where = {"item_id": item.item_id, "output_index": item.output_index}
        if isinstance(part, TextPart):
            content_index = item.parts.index(index)
            yield self.emit(
                "response.output_text.done", **where, content_index=content_index, text=part.text, logprobs=[]
            )
            done = {"type": "output_text", "annotations": [], "logprobs": [], "text": part.text}
            yield self.emit("response.content_part.done", **where, content_index=content_index, part=done)
            return
        yield from self._close_sub(item)
        if isinstance(part, ToolCallPart):
            if part.kind == "custom":
                yield self.emit("response.custom_tool_call_input.done", **where, input=part.arguments)
            else:
                yield self.emit("response.function_call_arguments.done", **where, arguments=part.arguments)
        yield self.emit("response.output_item.done", output_index=item.output_index, item=self._item_body([part], None))

    def _close_message(self) -> Iterator[str]:
        item, self.message = self.message, None
        if item is not None:
            parts: list[Part] = [self.acc.parts[i] for i in item.parts]
            body = self._item_body(parts, item.item_id)
            yield self.emit("response.output_item.done", output_index=item.output_index, item=body)

    def _item_body(self, parts: list[Part], message_id: str | None) -> dict[str, Any]:
        rctx = RenderCtx(None, lossless=True, report=None, marks=True)
        (body,) = render_assistant(Message("assistant", parts, id=message_id), rctx, "message", output=True)
        _fill_ids([body], self.acc.id, mark=False)
        return body

    def _finish(self, end: MessageEnd) -> Iterator[str]:
        yield from self._close_message()
        response = self.acc.response()
        response.message.id = self.first_message_id
        if not self.include_usage:
            response.usage = None
        body = render_response(response)
        kind = {"incomplete": "response.incomplete", "failed": "response.failed"}.get(
            body["status"], "response.completed"
        )
        yield self.emit(kind, response=body)


def encode_stream(events: Iterable[StreamEvent], *, include_usage: bool = True) -> Iterator[str]:
    """Canonical events -> Responses SSE (``event: <type>`` + ``data:`` with a
    ``sequence_number``; no ``[DONE]``), ending in ``response.completed`` (or
    ``.incomplete`` / ``.failed``) carrying the whole response."""
    encoder = _Encoder(include_usage)
    for event in events:
        yield from encoder.feed(event)


# ---- streams: decode ----


@dataclass
class _Decoder:
    next_index: int = 0
    index_of: dict[tuple[int, int], int] = field(default_factory=dict)
    """(output_index, content_index or -1 for a whole item) -> canonical part index."""
    streamed: set[int] = field(default_factory=set)
    message_ids: dict[int, str | None] = field(default_factory=dict)
    first_message: int | None = None
    calls: bool = False

    def new(self, key: tuple[int, int]) -> int:
        index = self.index_of[key] = self.next_index
        self.next_index += 1
        return index

    def text_index(self, oi: int, ci: int) -> Iterator[StreamEvent | int]:
        if (oi, ci) in self.index_of:
            yield self.index_of[(oi, ci)]
            return
        if self.first_message is None:
            self.first_message = oi
        index = self.new((oi, ci))
        item_id = self.message_ids.get(oi) if oi == self.first_message else None
        yield PartStart(index, "text", item_id=item_id)
        yield index


def _event_int(data: dict[str, Any], key: str, path: str) -> int:
    return req(data, key, int, path, _ERR)


def decode_stream(messages: Iterable[SSEMessage]) -> Iterator[StreamEvent]:
    """Responses SSE -> canonical events. Interleaved deltas of parallel calls are keyed
    by ``output_index``; ``response.failed`` and ``error`` raise ``MalformedResponseError``."""
    state = _Decoder()
    for n, message in enumerate(messages):
        path = f"stream[{n}]"
        try:
            data = json.loads(message.data)
        except ValueError:
            raise _ERR("event data is not JSON", field=path) from None
        data = as_object(data, path, _ERR)
        kind = data.get("type", message.event)
        if kind == "error":
            raise _ERR(str(data.get("message") or "the stream reported an error"), field=path)
        if kind == "response.failed":
            error = data.get("response", {}).get("error") if isinstance(data.get("response"), dict) else None
            text = error.get("message") if isinstance(error, dict) else None
            raise _ERR(str(text or "the response failed"), field=path)
        yield from _decode_one(state, kind, data, path)


def _decode_one(state: _Decoder, kind: Any, data: dict[str, Any], path: str) -> Iterator[StreamEvent]:
    if kind == "response.created":
        resp = req(data, "response", dict, path, _ERR)
        created = opt(resp, "created_at", (int, float), f"{path}.response", _ERR)
        yield MessageStart(
            req(resp, "id", str, f"{path}.response", _ERR),
            req(resp, "model", str, f"{path}.response", _ERR),
            None if created is None else int(created),
        )
    elif kind == "response.output_item.added":
        oi = _event_int(data, "output_index", path)
        item = req(data, "item", dict, path, _ERR)
        item_kind = item.get("type", "message")
        item_id = opt(item, "id", str, f"{path}.item", _ERR)
        if item_kind == "message":
            state.message_ids[oi] = item_id
        elif item_kind == "reasoning":
            yield PartStart(state.new((oi, -1)), "reasoning", item_id=item_id)
        elif item_kind in ("function_call", "custom_tool_call"):
            custom = item_kind == "custom_tool_call"
            state.calls = True
            index = state.new((oi, -1))
            yield PartStart(
                index,
                "tool_call",
                tool_call_id=req(item, "call_id", str, f"{path}.item", _ERR),
                tool_name=req(item, "name", str, f"{path}.item", _ERR),
                tool_kind="custom" if custom else "function",
                item_id=item_id,
            )
            initial = opt(item, "input" if custom else "arguments", str, f"{path}.item", _ERR)
            if initial:
                state.streamed.add(index)
                yield ToolArgsDelta(index, initial)
        # Other items (web_search_call...) have no canonical stream event.
    elif kind == "response.content_part.added":
        part = req(data, "part", dict, path, _ERR)
        if part.get("type") in ("output_text", "refusal"):
            for got in state.text_index(
                _event_int(data, "output_index", path), _event_int(data, "content_index", path)
            ):
                if not isinstance(got, int):
                    yield got
    elif kind in ("response.output_text.delta", "response.refusal.delta"):
        index = -1
        for got in state.text_index(_event_int(data, "output_index", path), _event_int(data, "content_index", path)):
            if isinstance(got, int):
                index = got
            else:
                yield got
        state.streamed.add(index)
        yield TextDelta(index, req(data, "delta", str, path, _ERR))
    elif kind in (
        "response.reasoning_text.delta",
        "response.reasoning_summary_text.delta",
        "response.function_call_arguments.delta",
        "response.custom_tool_call_input.delta",
    ):
        key = (_event_int(data, "output_index", path), -1)
        if key not in state.index_of:
            raise _ERR(f"{kind} before its output item", field=f"{path}.output_index")
        index = state.index_of[key]
        delta = req(data, "delta", str, path, _ERR)
        state.streamed.add(index)
        if kind == "response.reasoning_text.delta":
            yield ReasoningDelta(index, delta)
        elif kind == "response.reasoning_summary_text.delta":
            yield ReasoningSummaryDelta(index, _event_int(data, "summary_index", path), delta)
        else:
            yield ToolArgsDelta(index, delta)
    elif kind == "response.output_item.done":
        yield from _item_done(state, data, path)
    elif kind in ("response.completed", "response.incomplete"):
        final = parse_response(req(data, "response", dict, path, _ERR))
        finish = final.finish_reason
        if finish == "stop" and state.calls:
            finish = "tool_calls"
        yield MessageEnd(finish, final.usage, final.stop_sequence)


def _item_done(state: _Decoder, data: dict[str, Any], path: str) -> Iterator[StreamEvent]:
    """Close the item's parts, back-filling content a server sent only here."""
    oi = _event_int(data, "output_index", path)
    item = req(data, "item", dict, path, _ERR)
    item_kind = item.get("type", "message")
    if item_kind == "message":
        content = item.get("content")
        for ci, part in enumerate(content if isinstance(content, list) else []):
            if not isinstance(part, dict) or part.get("type") not in ("output_text", "refusal"):
                continue
            for got in state.text_index(oi, ci):
                if not isinstance(got, int):
                    yield got
            index = state.index_of[(oi, ci)]
            text = part.get("text", part.get("refusal"))
            if index not in state.streamed and isinstance(text, str) and text:
                yield TextDelta(index, text)
            yield PartEnd(index)
        return
    whole = state.index_of.get((oi, -1))
    if whole is None:
        return
    if item_kind == "reasoning":
        ext: dict[str, Any] = item[EXT_KEY] if isinstance(item.get(EXT_KEY), dict) else {}
        if whole not in state.streamed:
            summary, content = item.get("summary"), item.get("content")
            for k, entry in enumerate(summary if isinstance(summary, list) else []):
                if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                    yield ReasoningSummaryDelta(whole, k, entry["text"])
            for entry in content if isinstance(content, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                    yield ReasoningDelta(whole, entry["text"])
        opaque = {
            "encrypted_content": item.get("encrypted_content"),
            "signature": ext.get("signature"),
            "redacted_data": ext.get("redacted_data"),
        }
        kept = {k: v for k, v in opaque.items() if isinstance(v, str)}
        if kept:
            yield ReasoningOpaque(whole, **kept)
    elif item_kind in ("function_call", "custom_tool_call") and whole not in state.streamed:
        arguments = item.get("input" if item_kind == "custom_tool_call" else "arguments")
        if isinstance(arguments, str) and arguments:
            yield ToolArgsDelta(whole, arguments)
    yield PartEnd(whole)
