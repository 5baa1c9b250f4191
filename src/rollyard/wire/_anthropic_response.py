"""Anthropic Messages responses and streams <-> canonical.

Usage: Anthropic's ``input_tokens`` excludes cache reads and cache writes; the
canonical (OpenAI) count includes them. Parsing adds them, rendering subtracts them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, assert_never

from ._anthropic_messages import from_anthropic_id, own_extra, parse_block, render_group, to_anthropic_id
from ._canonical import (
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
    ReasoningSummaryDelta,
    Response,
    StreamEvent,
    TextDelta,
    ToolArgsDelta,
    Usage,
)
from ._errors import MalformedResponseError
from ._fields import EXT_KEY, as_list, as_object, ext_of, opt, put_ext, req
from ._serialize import message_from_json, message_to_json
from ._stream import SSEMessage, sse

_ERR = MalformedResponseError
STOP_FROM: dict[str, FinishReason] = {
    "end_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "stop_sequence": "stop_sequence",
    "refusal": "content_filter",
    "pause_turn": "pause_turn",
    "model_context_window_exceeded": "length",
}
STOP_TO: dict[FinishReason, str] = {
    "stop": "end_turn",
    "stop_sequence": "stop_sequence",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "pause_turn": "pause_turn",
    "error": "end_turn",
}
_TOP_KNOWN = frozenset({"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"})


def parse_usage(obj: Any, path: str = "usage") -> Usage | None:
    if obj is None:
        return None
    obj = as_object(obj, path, _ERR)
    cache_read = opt(obj, "cache_read_input_tokens", int, path, _ERR)
    cache_write = opt(obj, "cache_creation_input_tokens", int, path, _ERR)
    base = int(opt(obj, "input_tokens", int, path, _ERR) or 0)
    return Usage(
        input_tokens=base + (cache_read or 0) + (cache_write or 0),
        output_tokens=int(opt(obj, "output_tokens", int, path, _ERR) or 0),
        cache_read_tokens=cache_read,
        cache_creation_tokens=cache_write,
        extra={"~raw": obj},
    )


def render_usage(usage: Usage, native: bool) -> dict[str, Any]:
    raw = usage.extra.get("~raw") if native else None
    if isinstance(raw, dict) and parse_usage(raw) == Usage(**{**usage.__dict__}):
        return raw
    cache_read, cache_write = usage.cache_read_tokens or 0, usage.cache_creation_tokens or 0
    out: dict[str, Any] = {
        "input_tokens": max(0, usage.input_tokens - cache_read - cache_write),
        "output_tokens": usage.output_tokens,
    }
    if usage.cache_read_tokens is not None:
        out["cache_read_input_tokens"] = usage.cache_read_tokens
    if usage.cache_creation_tokens is not None:
        out["cache_creation_input_tokens"] = usage.cache_creation_tokens
    return out


def parse_response(body: dict[str, Any]) -> Response:
    """An Anthropic message body -> canonical ``Response``."""
    body = as_object(body, "body", _ERR)
    parts: list[Part] = []
    opaque: list[tuple[int, dict[str, Any]]] = []
    for j, raw in enumerate(as_list(req(body, "content", list, "", _ERR), "content", _ERR)):
        part = parse_block(raw, f"content[{j}]", "assistant", _ERR)
        if isinstance(part, dict):
            opaque.append((j, part))
        else:
            parts.append(part)
    extra: dict[str, Any] = {k: v for k, v in body.items() if k not in _TOP_KNOWN and k != EXT_KEY}
    extra["~order"] = [k for k in body if k != EXT_KEY]
    message = Message("assistant", parts, extra={"~opaque": opaque} if opaque else {})
    ext = ext_of(body)
    if isinstance(ext.get("message"), dict):
        restored = message_from_json(ext["message"], f"{EXT_KEY}.message")
        if restored.text == message.text:
            message = restored
    stop_raw = opt(body, "stop_reason", str, "", _ERR) or "end_turn"
    origin: Any = "anthropic"
    if ext.get("origin") in ("chat", "responses"):
        origin, extra = ext["origin"], dict(ext.get("extra") or {})
    return Response(
        id=opt(body, "id", str, "", _ERR) or "",
        model=opt(body, "model", str, "", _ERR) or "",
        message=message,
        finish_reason=ext.get("finish_reason") or STOP_FROM.get(stop_raw, "stop"),
        stop_sequence=opt(body, "stop_sequence", str, "", _ERR),
        usage=parse_usage(body.get("usage")),
        origin=origin,
        extra=extra,
    )


def render_response(
    response: Response, *, lossless: bool = True, report: ConversionReport | None = None
) -> dict[str, Any]:
    """Canonical ``Response`` -> Anthropic message body."""
    report = report if report is not None else ConversionReport()
    own = response.origin == "anthropic"
    # Responses go to clients: unsigned reasoning is shown as thinking, not dropped.
    rendered = render_group([response.message], native=own, lossless=True, carry=False, report=report)
    content = rendered["content"]
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    body: dict[str, Any] = {
        "id": response.id,
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": content,
        "stop_reason": STOP_TO[response.finish_reason],
        "stop_sequence": response.stop_sequence,
        "usage": render_usage(response.usage or Usage(), own),
    }
    if own:
        body.update(own_extra(response.extra))
        order = response.extra.get("~order")
        if order:
            body = {k: body[k] for k in order if k in body} | {k: v for k, v in body.items() if k not in order}
    elif lossless and response.origin is not None:
        put_ext(body, origin=response.origin, extra=response.extra, message=message_to_json(response.message))
    if response.finish_reason == "error" and lossless:
        put_ext(body, finish_reason="error")
    return body


# ---- streams ----


@dataclass
class _Encoder:
    block: dict[int, int] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    skipped: set[int] = field(default_factory=set)
    pending_text: dict[int, bool] = field(default_factory=dict)
    summary_at: dict[int, int] = field(default_factory=dict)
    usage: Usage | None = None

    def event(self, name: str, data: dict[str, Any]) -> str:
        return sse({"type": name, **data}, event=name)

    def start_block(self, index: int, block: dict[str, Any]) -> str:
        b = self.block[index] = len(self.block)
        return self.event("content_block_start", {"index": b, "content_block": block})

    def encode(self, event: StreamEvent) -> Iterator[str]:
        match event:
            case MessageStart():
                message: dict[str, Any] = {
                    "id": event.id,
                    "type": "message",
                    "role": "assistant",
                    "model": event.model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 0, "output_tokens": 0},
                }
                yield self.event("message_start", {"message": message})
                yield self.event("ping", {})
            case PartStart():
                self.kinds[event.index] = event.kind
                if event.kind == "text":
                    # Opened on its first character: an empty text block is never sent.
                    self.pending_text[event.index] = True
                elif event.kind == "reasoning":
                    self.pending_text[event.index] = True  # thinking vs redacted is known later
                else:
                    block: dict[str, Any] = {
                        "type": "tool_use",
                        "id": to_anthropic_id(event.tool_call_id or ""),
                        "name": event.tool_name,
                        "input": {},
                    }
                    yield self.start_block(event.index, block)
            case TextDelta():
                if self.pending_text.pop(event.index, False):
                    yield self.start_block(event.index, {"type": "text", "text": ""})
                yield self.delta(event.index, {"type": "text_delta", "text": event.text})
            case ReasoningDelta():
                if self.pending_text.pop(event.index, False):
                    yield self.start_block(event.index, {"type": "thinking", "thinking": "", "signature": ""})
                yield self.delta(event.index, {"type": "thinking_delta", "thinking": event.text})
            case ReasoningSummaryDelta():
                if self.pending_text.pop(event.index, False):
                    yield self.start_block(event.index, {"type": "thinking", "thinking": "", "signature": ""})
                # Summaries are joined as in a rendered thinking block: by blank lines.
                gap = "\n\n" if self.summary_at.get(event.index, 0) != event.summary_index else ""
                self.summary_at[event.index] = event.summary_index
                yield self.delta(event.index, {"type": "thinking_delta", "thinking": gap + event.text})
            case ReasoningOpaque():
                if event.redacted_data is not None and self.pending_text.pop(event.index, False):
                    yield self.start_block(event.index, {"type": "redacted_thinking", "data": event.redacted_data})
                    return
                if self.pending_text.pop(event.index, False):
                    yield self.start_block(event.index, {"type": "thinking", "thinking": "", "signature": ""})
                if event.signature is not None:
                    yield self.delta(event.index, {"type": "signature_delta", "signature": event.signature})
            case ToolArgsDelta():
                yield self.delta(event.index, {"type": "input_json_delta", "partial_json": event.fragment})
            case PartEnd():
                if self.pending_text.pop(event.index, False):
                    if self.kinds.get(event.index) == "reasoning":
                        yield self.start_block(event.index, {"type": "thinking", "thinking": "", "signature": ""})
                    else:
                        return  # an empty text part: no block at all
                yield self.event("content_block_stop", {"index": self.block[event.index]})
            case MessageEnd():
                usage = render_usage(event.usage or Usage(), native=False)
                delta = {"stop_reason": STOP_TO[event.finish_reason], "stop_sequence": event.stop_sequence}
                yield self.event("message_delta", {"delta": delta, "usage": usage})
                yield self.event("message_stop", {})
            case _:
                assert_never(event)

    def delta(self, index: int, delta: dict[str, Any]) -> str:
        return self.event("content_block_delta", {"index": self.block[index], "delta": delta})


def encode_stream(events: Iterable[StreamEvent], *, include_usage: bool = True) -> Iterator[str]:
    """Canonical events -> Anthropic SSE (``message_start`` ... ``message_stop``)."""
    encoder = _Encoder()
    for event in events:
        yield from encoder.encode(event)


@dataclass
class _Decoder:
    """Every field is read through the typed accessors: a malformed event raises
    ``MalformedResponseError`` naming it, never a KeyError or TypeError."""

    parts: dict[int, int] = field(default_factory=dict)
    usage_in: dict[str, Any] = field(default_factory=dict)
    started: bool = False
    ended: bool = False

    def _index(self, data: dict[str, Any], path: str) -> int:
        block = req(data, "index", int, path, _ERR)
        if block not in self.parts:
            raise _ERR(f"no content block was started at index {block}", field=f"{path}.index")
        return self.parts[block]

    def decode(self, data: dict[str, Any], n: int) -> Iterator[StreamEvent]:
        path = f"stream[{n}]"
        kind = req(data, "type", str, path, _ERR)
        if kind == "error":
            error = data.get("error")
            message = error.get("message", error) if isinstance(error, dict) else error
            raise _ERR(f"the stream reported an error: {message}", field=path)
        if kind != "message_start" and not self.started and kind != "ping":
            raise _ERR(f"{kind} before message_start", field=f"{path}.type")
        if kind == "message_start":
            message = as_object(req(data, "message", dict, path, _ERR), f"{path}.message", _ERR)
            self.started = True
            self.usage_in = dict(opt(message, "usage", dict, f"{path}.message", _ERR) or {})
            yield MessageStart(
                opt(message, "id", str, f"{path}.message", _ERR) or "",
                opt(message, "model", str, f"{path}.message", _ERR) or "",
            )
        elif kind == "content_block_start":
            b = req(data, "index", int, path, _ERR)
            block = req(data, "content_block", dict, path, _ERR)
            bpath = f"{path}.content_block"
            block_type = req(block, "type", str, bpath, _ERR)
            index = self.parts[b] = len(self.parts)
            if block_type == "text":
                yield PartStart(index, "text")
                if text := opt(block, "text", str, bpath, _ERR):
                    yield TextDelta(index, text)
            elif block_type == "thinking":
                yield PartStart(index, "reasoning")
                if thinking := opt(block, "thinking", str, bpath, _ERR):
                    yield ReasoningDelta(index, thinking)
                if signature := opt(block, "signature", str, bpath, _ERR):
                    yield ReasoningOpaque(index, signature=signature)
            elif block_type == "redacted_thinking":
                yield PartStart(index, "reasoning")
                yield ReasoningOpaque(index, redacted_data=req(block, "data", str, bpath, _ERR))
            elif block_type == "tool_use":
                call_id = from_anthropic_id(req(block, "id", str, bpath, _ERR))
                yield PartStart(
                    index, "tool_call", tool_call_id=call_id, tool_name=req(block, "name", str, bpath, _ERR)
                )
                initial = opt(block, "input", dict, bpath, _ERR)
                if initial:  # the API starts with {}; a complete input may come whole
                    yield ToolArgsDelta(index, json.dumps(initial, ensure_ascii=False))
            else:
                raise _ERR(f"unsupported streamed block type {block_type!r}", field=f"{bpath}.type")
        elif kind == "content_block_delta":
            index = self._index(data, path)
            delta = req(data, "delta", dict, path, _ERR)
            dpath = f"{path}.delta"
            match req(delta, "type", str, dpath, _ERR):
                case "text_delta":
                    yield TextDelta(index, req(delta, "text", str, dpath, _ERR))
                case "thinking_delta":
                    yield ReasoningDelta(index, req(delta, "thinking", str, dpath, _ERR))
                case "signature_delta":
                    yield ReasoningOpaque(index, signature=req(delta, "signature", str, dpath, _ERR))
                case "input_json_delta":
                    if fragment := req(delta, "partial_json", str, dpath, _ERR):
                        yield ToolArgsDelta(index, fragment)
                case "citations_delta":
                    pass  # citations have no canonical slot in a streamed part
                case other:
                    raise _ERR(f"unknown delta type {other!r}", field=f"{dpath}.type")
        elif kind == "content_block_stop":
            yield PartEnd(self._index(data, path))
        elif kind == "message_delta":
            delta = req(data, "delta", dict, path, _ERR)
            # message_delta counts are cumulative and overwrite, but a null keeps the earlier count.
            latest = opt(data, "usage", dict, path, _ERR) or {}
            usage = {**self.usage_in, **{k: v for k, v in latest.items() if v is not None}}
            stop = opt(delta, "stop_reason", str, f"{path}.delta", _ERR) or "end_turn"
            self.ended = True
            yield MessageEnd(
                STOP_FROM.get(stop, "stop"),
                parse_usage(usage, f"{path}.usage"),
                opt(delta, "stop_sequence", str, f"{path}.delta", _ERR),
            )


def decode_stream(messages: Iterable[SSEMessage]) -> Iterator[StreamEvent]:
    """Anthropic SSE -> canonical events."""
    decoder = _Decoder()
    for n, message in enumerate(messages):
        try:
            data = json.loads(message.data)
        except ValueError:
            raise _ERR(f"stream event is not JSON: {message.data[:80]!r}", field="stream") from None
        if not isinstance(data, dict):
            raise _ERR("stream event must be an object", field=f"stream[{n}]")
        yield from decoder.decode(data, n)
    if not decoder.started or not decoder.ended:
        raise _ERR("the stream ended before message_delta", field="stream")
