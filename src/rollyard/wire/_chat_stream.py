"""Chat completion streams: canonical events <-> ``chat.completion.chunk`` SSE.

Tool-call deltas are indexed by the call's position among the tool calls (what the
SDKs expect), not by canonical part index; the decoder maps them back. What chat
chunks cannot carry (reasoning signatures, encrypted reasoning, summaries, the exact
finish reason) rides on the final chunk under ``_rollyard``: SDKs ignore it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, assert_never

from ._canonical import (
    FinishReason,
    MessageEnd,
    MessageStart,
    PartEnd,
    PartStart,
    ReasoningDelta,
    ReasoningOpaque,
    ReasoningSummaryDelta,
    StreamEvent,
    TextDelta,
    ToolArgsDelta,
    Usage,
)
from ._chat_response import FINISH_FROM_CHAT, FINISH_TO_CHAT, parse_usage, render_usage
from ._errors import MalformedResponseError
from ._fields import EXT_KEY
from ._stream import SSEMessage, sse


@dataclass
class _Encoder:
    include_usage: bool
    id: str = ""
    model: str = ""
    created: int = 0
    tool_index: dict[int, int] = field(default_factory=dict)
    opaque: dict[int, dict[str, Any]] = field(default_factory=dict)

    def chunk(self, delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
        }
        return sse(body)

    def encode(self, event: StreamEvent) -> Iterator[str]:
        match event:
            case MessageStart():
                self.id, self.model, self.created = event.id, event.model, event.created or 0
                yield self.chunk({"role": "assistant", "content": ""})
            case PartStart():
                if event.kind == "text":
                    yield self.chunk({"content": ""})
                elif event.kind == "reasoning":
                    yield self.chunk({"reasoning_content": ""})
                    if event.item_id:
                        self.opaque.setdefault(event.index, {})["id"] = event.item_id
                else:
                    k = self.tool_index[event.index] = len(self.tool_index)
                    call: dict[str, Any] = {
                        "index": k,
                        "id": event.tool_call_id,
                        "type": "function",
                        "function": {"name": event.tool_name, "arguments": ""},
                    }
                    yield self.chunk({"tool_calls": [call]})
                    if event.tool_kind != "function" or event.item_id:
                        self.opaque.setdefault(event.index, {}).update(kind=event.tool_kind, item_id=event.item_id)
            case TextDelta():
                yield self.chunk({"content": event.text})
            case ReasoningDelta():
                yield self.chunk({"reasoning_content": event.text})
            case ReasoningSummaryDelta():
                summary = self.opaque.setdefault(event.index, {}).setdefault("summary", [])
                while len(summary) <= event.summary_index:
                    summary.append("")
                summary[event.summary_index] += event.text
            case ReasoningOpaque():
                slot = self.opaque.setdefault(event.index, {})
                for key in ("signature", "redacted_data", "encrypted_content"):
                    if getattr(event, key) is not None:
                        slot[key] = getattr(event, key)
            case ToolArgsDelta():
                k = self.tool_index[event.index]
                yield self.chunk({"tool_calls": [{"index": k, "function": {"arguments": event.fragment}}]})
            case PartEnd():
                pass
            case MessageEnd():
                ext: dict[str, Any] = {}
                if self.opaque:
                    ext["parts"] = {str(i): v for i, v in self.opaque.items()}
                if FINISH_TO_CHAT[event.finish_reason] != event.finish_reason and event.finish_reason != "stop":
                    ext["finish_reason"] = event.finish_reason
                if event.stop_sequence is not None:
                    ext["stop_sequence"] = event.stop_sequence
                extra = {EXT_KEY: ext} if ext else {}
                yield self.chunk({}, FINISH_TO_CHAT[event.finish_reason], **extra)
                if self.include_usage:
                    usage = render_usage(event.usage or Usage(), native=False)
                    yield self.chunk(None, usage=usage)
                yield "data: [DONE]\n\n"
            case _:
                assert_never(event)


def encode_stream(events: Iterable[StreamEvent], *, include_usage: bool = True) -> Iterator[str]:
    """Canonical events -> chat SSE chunks, ending with ``data: [DONE]``."""
    encoder = _Encoder(include_usage)
    for event in events:
        yield from encoder.encode(event)


@dataclass
class _Decoder:
    next_index: int = 0
    open_kind: str | None = None
    open_index: int = -1
    tool_parts: dict[int, int] = field(default_factory=dict)
    finish: FinishReason | None = None
    stop_sequence: str | None = None
    usage: Usage | None = None
    started: bool = False
    opened: list[int] = field(default_factory=list)

    def _open(self, kind: str, **kwargs: Any) -> Iterator[StreamEvent]:
        index = self.next_index
        self.next_index += 1
        self.open_kind, self.open_index = kind, index
        self.opened.append(index)
        yield PartStart(index=index, kind=kind, **kwargs)  # type: ignore[arg-type]

    def chunk(self, data: dict[str, Any]) -> Iterator[StreamEvent]:
        if "error" in data:
            error = data["error"]
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise MalformedResponseError(f"the stream reported an error: {message}", field="stream")
        if not self.started:
            self.started = True
            yield MessageStart(
                id=str(data.get("id", "")), model=str(data.get("model", "")), created=data.get("created")
            )
        if data.get("usage") is not None:
            self.usage = parse_usage(data["usage"], "stream.usage")
        raw_ext = data.get(EXT_KEY)
        ext: dict[str, Any] = raw_ext if isinstance(raw_ext, dict) else {}
        for choice in data.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if not isinstance(delta, dict):
                raise MalformedResponseError("delta must be an object", field="stream.choices[0].delta")
            yield from self._delta(delta)
            if choice.get("finish_reason"):
                self.finish = ext.get("finish_reason") or FINISH_FROM_CHAT.get(choice["finish_reason"], "stop")
        if ext.get("stop_sequence") is not None:
            self.stop_sequence = ext["stop_sequence"]
        for key, slot in (ext.get("parts") or {}).items():
            yield from self._opaque(int(key), slot)

    def _delta(self, delta: dict[str, Any]) -> Iterator[StreamEvent]:
        for key in ("reasoning_content", "reasoning"):
            value = delta.get(key)
            if key in delta and value is not None:
                if self.open_kind != "reasoning":
                    yield from self._open("reasoning")
                if value:
                    yield ReasoningDelta(self.open_index, value)
                break
        if "content" in delta and delta["content"] is not None and "role" not in delta:
            if self.open_kind != "text":
                yield from self._open("text")
            if delta["content"]:
                yield TextDelta(self.open_index, delta["content"])
        for call in delta.get("tool_calls") or []:
            if not isinstance(call, dict):
                raise MalformedResponseError("tool call delta must be an object", field="stream.tool_calls")
            k = call.get("index", 0)
            function = call.get("function") or {}
            if k not in self.tool_parts:
                index = self.next_index
                self.next_index += 1
                self.tool_parts[k] = index
                self.opened.append(index)
                self.open_kind = "tool_call"
                yield PartStart(
                    index=index,
                    kind="tool_call",
                    tool_call_id=call.get("id") or "",
                    tool_name=function.get("name") or "",
                )
            if function.get("arguments"):
                yield ToolArgsDelta(self.tool_parts[k], function["arguments"])

    def _opaque(self, index: int, slot: dict[str, Any]) -> Iterator[StreamEvent]:
        for s_index, text in enumerate(slot.get("summary") or []):
            yield ReasoningSummaryDelta(index, s_index, text)
        if any(k in slot for k in ("signature", "redacted_data", "encrypted_content")):
            yield ReasoningOpaque(
                index,
                signature=slot.get("signature"),
                redacted_data=slot.get("redacted_data"),
                encrypted_content=slot.get("encrypted_content"),
            )

    def end(self) -> Iterator[StreamEvent]:
        for index in self.opened:
            yield PartEnd(index)
        yield MessageEnd(self.finish or "stop", self.usage, self.stop_sequence)


def decode_stream(messages: Iterable[SSEMessage]) -> Iterator[StreamEvent]:
    """Chat SSE -> canonical events. Ends at ``[DONE]`` (or the end of the body)."""
    decoder = _Decoder()
    for message in messages:
        if message.data.strip() == "[DONE]":
            break
        try:
            data = json.loads(message.data)
        except ValueError:
            raise MalformedResponseError(f"stream chunk is not JSON: {message.data[:80]!r}", field="stream") from None
        if not isinstance(data, dict):
            raise MalformedResponseError("stream chunk must be an object", field="stream")
        yield from decoder.chunk(data)
    if not decoder.started:
        raise MalformedResponseError("the stream was empty", field="stream")
    yield from decoder.end()
