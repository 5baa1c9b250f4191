"""Canonical stream events <-> complete responses, and SSE framing.

Upstream calls are non-streaming (ARCHITECTURE decision 2): a client's stream is
synthesized from the complete ``Response`` by ``response_to_events`` and encoded by
the client's dialect. ``StreamAccumulator`` is the inverse, used by every dialect's
stream parser, so streaming and non-streaming paths share one processing."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, assert_never

from ._canonical import (
    ImagePart,
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
    ToolResultPart,
)
from ._errors import MalformedResponseError

_P = TypeVar("_P", TextPart, ReasoningPart, ToolCallPart)


def _chunks(text: str, size: int) -> Iterator[str]:
    if size <= 0 or len(text) <= size:
        yield text
        return
    for start in range(0, len(text), size):
        yield text[start : start + size]


def response_to_events(response: Response, *, chunk_chars: int = 0) -> list[StreamEvent]:
    """Split a complete response into canonical events. ``chunk_chars > 0`` fragments
    text, reasoning and tool arguments into deltas of that many characters (as real
    engines do), which is what stream tests need to exercise reassembly."""
    events: list[StreamEvent] = [MessageStart(id=response.id, model=response.model, created=response.created)]
    for index, part in enumerate(response.message.parts):
        match part:
            case TextPart():
                events.append(PartStart(index=index, kind="text", item_id=response.message.id))
                events.extend(TextDelta(index, c) for c in _chunks(part.text, chunk_chars) if c)
            case ReasoningPart():
                events.append(PartStart(index=index, kind="reasoning", item_id=part.id))
                if part.text:
                    events.extend(ReasoningDelta(index, c) for c in _chunks(part.text, chunk_chars))
                for s_index, summary in enumerate(part.summary or []):
                    events.extend(ReasoningSummaryDelta(index, s_index, c) for c in _chunks(summary, chunk_chars))
                if part.signature is not None or part.redacted_data is not None or part.encrypted_content is not None:
                    events.append(
                        ReasoningOpaque(
                            index,
                            signature=part.signature,
                            redacted_data=part.redacted_data,
                            encrypted_content=part.encrypted_content,
                        )
                    )
            case ToolCallPart():
                events.append(
                    PartStart(
                        index=index,
                        kind="tool_call",
                        tool_call_id=part.id,
                        tool_name=part.name,
                        tool_kind=part.kind,
                        item_id=part.item_id,
                    )
                )
                events.extend(ToolArgsDelta(index, c) for c in _chunks(part.arguments, chunk_chars) if c)
            case ImagePart() | ToolResultPart():
                raise MalformedResponseError(
                    f"an assistant response cannot stream a {type(part).__name__}", field=f"message.parts[{index}]"
                )
            case _:
                assert_never(part)
        events.append(PartEnd(index))
    events.append(MessageEnd(response.finish_reason, response.usage, response.stop_sequence))
    return events


@dataclass
class StreamAccumulator:
    """Folds canonical events into a ``Response``. Parts are keyed by event index, so
    interleaved deltas of parallel tool calls land in the right call."""

    id: str = ""
    model: str = ""
    created: int | None = None
    parts: dict[int, Part] = field(default_factory=dict)
    end: MessageEnd | None = None
    message_id: str | None = None

    def feed(self, event: StreamEvent) -> None:
        match event:
            case MessageStart():
                self.id, self.model, self.created = event.id, event.model, event.created
            case PartStart():
                self.parts[event.index] = self._new_part(event)
            case TextDelta():
                part = self._part(event.index, TextPart)
                part.text += event.text
            case ReasoningDelta():
                reasoning = self._part(event.index, ReasoningPart)
                reasoning.text = (reasoning.text or "") + event.text
            case ReasoningSummaryDelta():
                reasoning = self._part(event.index, ReasoningPart)
                summary = reasoning.summary if reasoning.summary is not None else []
                while len(summary) <= event.summary_index:
                    summary.append("")
                summary[event.summary_index] += event.text
                reasoning.summary = summary
            case ReasoningOpaque():
                reasoning = self._part(event.index, ReasoningPart)
                if event.signature is not None:
                    reasoning.signature = event.signature
                if event.redacted_data is not None:
                    reasoning.redacted_data = event.redacted_data
                if event.encrypted_content is not None:
                    reasoning.encrypted_content = event.encrypted_content
            case ToolArgsDelta():
                call = self._part(event.index, ToolCallPart)
                call.arguments += event.fragment
            case PartEnd():
                pass
            case MessageEnd():
                self.end = event
            case _:
                assert_never(event)

    def _new_part(self, event: PartStart) -> Part:
        match event.kind:
            case "text":
                if event.item_id:
                    self.message_id = event.item_id
                return TextPart("")
            case "reasoning":
                return ReasoningPart(id=event.item_id)
            case "tool_call":
                return ToolCallPart(
                    id=event.tool_call_id or "",
                    name=event.tool_name or "",
                    arguments="",
                    kind=event.tool_kind,
                    item_id=event.item_id,
                )
            case _:
                assert_never(event.kind)

    def _part(self, index: int, kind: type[_P]) -> _P:
        part = self.parts.get(index)
        if part is None:
            # Some streams send deltas without an explicit start (chat text).
            part = self._new_part(
                PartStart(index, {TextPart: "text", ReasoningPart: "reasoning", ToolCallPart: "tool_call"}[kind])  # type: ignore[arg-type]
            )
            self.parts[index] = part
        if not isinstance(part, kind):
            raise MalformedResponseError(
                f"stream delta for a {kind.__name__} at index {index} holding a {type(part).__name__}",
                field=f"stream[{index}]",
            )
        return part

    def response(self) -> Response:
        if self.end is None:
            raise MalformedResponseError("stream ended before its final event", field="stream")
        return Response(
            id=self.id,
            model=self.model,
            created=self.created,
            message=Message("assistant", [self.parts[i] for i in sorted(self.parts)], id=self.message_id),
            finish_reason=self.end.finish_reason,
            stop_sequence=self.end.stop_sequence,
            usage=self.end.usage,
        )


def events_to_response(events: Iterable[StreamEvent]) -> Response:
    acc = StreamAccumulator()
    for event in events:
        acc.feed(event)
    return acc.response()


# ---- SSE framing ----


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event. ``data`` is JSON-encoded unless it is already a str."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"


@dataclass(frozen=True)
class SSEMessage:
    event: str | None
    data: str


def parse_sse(text: str | Iterable[str]) -> Iterator[SSEMessage]:
    """Split an SSE body (a whole string, or an iterable of lines) into messages."""
    lines = text.splitlines() if isinstance(text, str) else (line.rstrip("\r\n") for line in text)
    event: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield SSEMessage(event, "\n".join(data))
            event, data = None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield SSEMessage(event, "\n".join(data))
