"""Chat completion streams: canonical events <-> ``chat.completion.chunk`` SSE.

Tool-call deltas are indexed by the call's position among the tool calls (what the
SDKs expect), not by canonical part index; the decoder maps them back. What chat
chunks cannot carry rides under ``_rollyard`` at the top level of a chunk, which the
SDKs ignore: a part's item id, a custom tool kind, or the start of a part right after
one of the same kind (so two reasoning blocks stay two) on the chunk that opens it;
reasoning signatures, encrypted reasoning, summaries and the exact finish reason on
the final chunk."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, assert_never

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
from ._chat_messages import own_extra
from ._chat_response import FINISH_FROM_CHAT, FINISH_TO_CHAT, finish_from_ext, is_chat_usage, parse_usage, render_usage
from ._errors import MalformedResponseError
from ._fields import EXT_KEY, as_list, as_object, ext_of, opt, req
from ._stream import SSEMessage, sse

_ERR = MalformedResponseError
_OPAQUE = ("signature", "redacted_data", "encrypted_content")
PartKind = Literal["text", "reasoning", "tool_call"]


@dataclass
class _Encoder:
    include_usage: bool
    id: str = ""
    model: str = ""
    created: int = 0
    last_kind: str | None = None
    tool_index: dict[int, int] = field(default_factory=dict)
    opaque: dict[int, dict[str, Any]] = field(default_factory=dict)

    def chunk(
        self, delta: dict[str, Any] | None, finish: str | None = None, extra: dict[str, Any] | None = None
    ) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **(extra or {}),
        }
        return sse(body)

    def start(self, event: PartStart) -> Iterator[str]:
        hint: dict[str, Any] = {}
        if event.kind == self.last_kind and event.kind != "tool_call":
            hint["index"] = event.index  # a new part, not more of the previous one
        if event.item_id:
            hint["item_id"] = event.item_id
        if event.tool_kind != "function":
            hint["tool_kind"] = event.tool_kind
        extra = {EXT_KEY: {"start": {"index": event.index, "kind": event.kind, **hint}}} if hint else {}
        self.last_kind = event.kind
        match event.kind:
            case "text":
                yield self.chunk({"content": ""}, extra=extra)
            case "reasoning":
                yield self.chunk({"reasoning_content": ""}, extra=extra)
            case "tool_call":
                k = self.tool_index[event.index] = len(self.tool_index)
                call: dict[str, Any] = {
                    "index": k,
                    "id": event.tool_call_id,
                    "type": "function",
                    "function": {"name": event.tool_name, "arguments": ""},
                }
                yield self.chunk({"tool_calls": [call]}, extra=extra)
            case _:
                assert_never(event.kind)

    def end(self, event: MessageEnd) -> Iterator[str]:
        ext: dict[str, Any] = {}
        if self.opaque:
            ext["parts"] = {str(i): v for i, v in self.opaque.items()}
        if FINISH_TO_CHAT[event.finish_reason] != event.finish_reason and event.finish_reason != "stop":
            ext["finish_reason"] = event.finish_reason
        if event.stop_sequence is not None:
            ext["stop_sequence"] = event.stop_sequence
        yield self.chunk({}, FINISH_TO_CHAT[event.finish_reason], {EXT_KEY: ext} if ext else None)
        if self.include_usage:
            usage = event.usage or Usage()
            native = is_chat_usage(usage)
            if not native:  # a client stream carries no codec bookkeeping
                usage = dataclasses.replace(usage, extra=own_extra(usage.extra))
            yield self.chunk(None, extra={"usage": render_usage(usage, native)})
        yield "data: [DONE]\n\n"

    def encode(self, event: StreamEvent) -> Iterator[str]:
        match event:
            case MessageStart():
                self.id, self.model, self.created = event.id, event.model, event.created or 0
                yield self.chunk({"role": "assistant", "content": ""})
            case PartStart():
                yield from self.start(event)
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
                slot.update({k: getattr(event, k) for k in _OPAQUE if getattr(event, k) is not None})
            case ToolArgsDelta():
                k = self.tool_index[event.index]
                yield self.chunk({"tool_calls": [{"index": k, "function": {"arguments": event.fragment}}]})
            case PartEnd():
                pass
            case MessageEnd():
                yield from self.end(event)
            case _:
                assert_never(event)


def encode_stream(events: Iterable[StreamEvent], *, include_usage: bool = True) -> Iterator[str]:
    """Canonical events -> chat SSE chunks: a first ``{role: assistant}`` delta, content,
    reasoning and tool-call deltas, a final chunk with ``finish_reason``, a ``usage``
    chunk with no choices (when ``include_usage``), then ``data: [DONE]``."""
    encoder = _Encoder(include_usage)
    for event in events:
        yield from encoder.encode(event)


@dataclass
class _Decoder:
    next_index: int = 0
    open_kind: str | None = None
    open_index: int = -1
    kinds: dict[int, PartKind] = field(default_factory=dict)
    tool_parts: dict[int, int] = field(default_factory=dict)
    call_ids: set[str] = field(default_factory=set)
    hint: dict[str, Any] | None = None
    finish: FinishReason | None = None
    stop_sequence: str | None = None
    usage: Usage | None = None
    started: bool = False

    def _open(self, kind: PartKind, call_id: str | None = None, name: str | None = None) -> Iterator[StreamEvent]:
        hint = self.hint if self.hint is not None and self.hint.get("kind") == kind else None
        index = self.next_index
        item_id: str | None = None
        tool_kind: Any = "function"
        if hint is not None:
            self.hint = None
            index = req(hint, "index", int, "stream._rollyard.start", _ERR)
            item_id = opt(hint, "item_id", str, "stream._rollyard.start", _ERR)
            tool_kind = hint.get("tool_kind", "function")
            if tool_kind not in ("function", "custom"):
                raise _ERR(f"unknown tool kind {tool_kind!r}", field="stream._rollyard.start.tool_kind")
        if index in self.kinds or index < 0:
            raise _ERR(f"part index {index} is negative or already open", field="stream._rollyard.start.index")
        self.next_index = max(self.next_index, index + 1)
        self.open_kind, self.open_index = kind, index
        self.kinds[index] = kind
        yield PartStart(index, kind, tool_call_id=call_id, tool_name=name, tool_kind=tool_kind, item_id=item_id)

    def chunk(self, data: dict[str, Any], path: str) -> Iterator[StreamEvent]:
        if "error" in data:
            error = data["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise _ERR(f"the stream reported an error: {message}", field="stream")
        if not self.started:
            self.started = True
            yield MessageStart(
                id=opt(data, "id", str, path, _ERR) or "",
                model=opt(data, "model", str, path, _ERR) or "",
                created=opt(data, "created", int, path, _ERR),
            )
        if data.get("usage") is not None:
            self.usage = parse_usage(data["usage"], f"{path}.usage")
        ext = ext_of(data)
        start = ext.get("start")
        if start is not None:
            self.hint = as_object(start, f"{path}.{EXT_KEY}.start", _ERR)
            self.open_kind = None  # whatever comes next opens a new part
        for i, choice in enumerate(as_list(data.get("choices") or [], f"{path}.choices", _ERR)):
            c_path = f"{path}.choices[{i}]"
            choice = as_object(choice, c_path, _ERR)
            if (opt(choice, "index", int, c_path, _ERR) or 0) != 0:
                continue  # n > 1: the canonical response is choice 0
            yield from self._delta(as_object(choice.get("delta") or {}, f"{c_path}.delta", _ERR), f"{c_path}.delta")
            finish = opt(choice, "finish_reason", str, c_path, _ERR)
            if finish:
                self.finish = finish_from_ext(ext, f"{path}.{EXT_KEY}") or FINISH_FROM_CHAT.get(finish, "stop")
        self.hint = None
        stop_sequence = opt(ext, "stop_sequence", str, f"{path}.{EXT_KEY}", _ERR)
        if stop_sequence is not None:
            self.stop_sequence = stop_sequence
        parts = opt(ext, "parts", dict, f"{path}.{EXT_KEY}", _ERR) or {}
        for key, slot in parts.items():
            yield from self._opaque(key, slot, f"{path}.{EXT_KEY}.parts.{key}")

    def _delta(self, delta: dict[str, Any], path: str) -> Iterator[StreamEvent]:
        for key in ("reasoning_content", "reasoning"):  # vLLM and SGLang name it either way
            reasoning = opt(delta, key, str, path, _ERR)
            if reasoning is not None:
                if self.open_kind != "reasoning":
                    yield from self._open("reasoning")
                if reasoning:
                    yield ReasoningDelta(self.open_index, reasoning)
                break
        content = opt(delta, "content", str, path, _ERR)
        # The opening {role, content: ""} delta is no part; text sent along with the role is.
        if content is not None and (content or "role" not in delta):
            if self.open_kind != "text":
                yield from self._open("text")
            if content:
                yield TextDelta(self.open_index, content)
        for j, call in enumerate(opt(delta, "tool_calls", list, path, _ERR) or []):
            yield from self._tool_call(as_object(call, f"{path}.tool_calls[{j}]", _ERR), f"{path}.tool_calls[{j}]")

    def _tool_call(self, call: dict[str, Any], path: str) -> Iterator[StreamEvent]:
        function = opt(call, "function", dict, path, _ERR) or {}
        call_id = opt(call, "id", str, path, _ERR)
        k = opt(call, "index", int, path, _ERR)
        if k is None:  # some servers leave out the index: a new id is a new call
            fresh = call_id is not None and call_id not in self.call_ids
            k = len(self.tool_parts) if fresh or not self.tool_parts else max(self.tool_parts)
        if call_id is not None:
            self.call_ids.add(call_id)
        if k not in self.tool_parts:
            name = opt(function, "name", str, f"{path}.function", _ERR)
            yield from self._open("tool_call", call_id or "", name or "")
            self.tool_parts[k] = self.open_index
        arguments = opt(function, "arguments", str, f"{path}.function", _ERR)
        if arguments:
            yield ToolArgsDelta(self.tool_parts[k], arguments)

    def _opaque(self, key: str, slot: Any, path: str) -> Iterator[StreamEvent]:
        slot = as_object(slot, path, _ERR)
        index = int(key) if key.isascii() and key.isdigit() else -1
        if self.kinds.get(index) != "reasoning":
            raise _ERR("reasoning payload for a part that is not reasoning", field=path)
        summary = as_list(slot.get("summary") or [], f"{path}.summary", _ERR)
        for s_index, text in enumerate(summary):
            if not isinstance(text, str):
                raise _ERR("expected a list of strings", field=f"{path}.summary[{s_index}]")
            yield ReasoningSummaryDelta(index, s_index, text)
        opaque = {k: opt(slot, k, str, path, _ERR) for k in _OPAQUE}
        if any(v is not None for v in opaque.values()):
            yield ReasoningOpaque(index, **opaque)

    def end(self) -> Iterator[StreamEvent]:
        for index in self.kinds:
            yield PartEnd(index)
        yield MessageEnd(self.finish or "stop", self.usage, self.stop_sequence)


def decode_stream(messages: Iterable[SSEMessage]) -> Iterator[StreamEvent]:
    """Chat SSE -> canonical events, ending at ``data: [DONE]`` (or the end of the body).
    Interleaved deltas of parallel tool calls are told apart by their ``index``."""
    decoder = _Decoder()
    for number, message in enumerate(messages):
        if message.data.strip() == "[DONE]":
            break
        try:
            data = json.loads(message.data)
        except ValueError:
            raise _ERR(f"stream chunk is not JSON: {message.data[:80]!r}", field=f"stream[{number}]") from None
        yield from decoder.chunk(as_object(data, f"stream[{number}]", _ERR), f"stream[{number}]")
    if not decoder.started:
        raise _ERR("the stream was empty", field="stream")
    yield from decoder.end()
