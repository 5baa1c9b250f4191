"""OpenAI Responses typed SSE streams <-> canonical stream events.

Every event is ``event: <type>`` + ``data: {"type", "sequence_number", ...}``, no
``[DONE]``; the stream ends with ``response.completed`` (``.incomplete``, ``.failed``)
carrying the whole response, built by the same ``render_response`` as the non-streaming
body so that the official SDK's stream helper and ``responses.create`` agree."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._canonical import (
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
    ToolArgsDelta,
    ToolCallPart,
)
from ._errors import MalformedResponseError
from ._fields import EXT_KEY, as_object, opt, req
from ._responses_output import fill_ids, parse_response, render_response, synth_id
from ._responses_render import RenderCtx, render_assistant
from ._stream import SSEMessage, StreamAccumulator, sse

_ERR = MalformedResponseError

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
        fill_ids([body], self.acc.id, mark=False)
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
