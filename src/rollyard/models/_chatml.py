"""The embedded model's chat template: canonical messages -> ChatML segments, and
sampled text -> canonical parts.

SmolLM2's own template is plain ChatML with string content and no tools. We extend
it the usual way (a tool list in the system prompt, calls in ``<tool_call>`` frames,
results in ``tool`` turns) and render an assistant turn exactly as it was sampled, so
that each later prompt extends the earlier prompt + completion token for token."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, assert_never

from ..wire import (
    ImagePart,
    Message,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    UnsupportedFeatureError,
)
from ._grammar import CALL_CLOSE, CALL_OPEN, CALL_SEPARATOR, render_call

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


@dataclass(frozen=True)
class Segment:
    """A piece of the prompt. ``assistant_content`` segments are the text of an
    earlier assistant turn: the engine reuses the ids it sampled for them."""

    text: str
    kind: Literal["frame", "assistant_content"] = "frame"


def _tools_prompt(tools: Sequence[ToolSpec]) -> str:
    listing = "\n".join(
        json.dumps({"name": t.name, "description": t.description or "", "parameters": t.parameters or {}})
        for t in tools
    )
    example = render_call("tool_name", '{"argument": "value"}')
    return (
        "You can call these tools:\n<tools>\n"
        f"{listing}\n</tools>\n"
        f"To call a tool, answer with only:\n{example}\n"
        "After the tool result arrives, answer the user in plain text."
    )


def _content_text(message: Message, index: int) -> str:
    chunks: list[str] = []
    for part in message.parts:
        match part:
            case TextPart():
                chunks.append(part.text)
            case ImagePart():
                raise UnsupportedFeatureError("the embedded model reads text only", field=f"messages[{index}].content")
            case ReasoningPart() | ToolCallPart() | ToolResultPart():
                pass  # rendered by the caller
            case _:
                assert_never(part)
    return "".join(chunks)


def assistant_text(message: Message) -> str:
    """An assistant turn as the model wrote it: text, then calls in their frames."""
    text = "".join(p.text for p in message.parts if isinstance(p, TextPart))
    calls = [render_call(c.name, c.arguments) for c in message.tool_calls]
    if calls:
        joined = CALL_SEPARATOR.join(calls)
        return f"{text}{CALL_SEPARATOR}{joined}" if text else joined
    return text


def render_segments(request: Request, *, offer_tools: bool) -> list[Segment]:
    """The prompt as segments, ending with the assistant generation prompt.

    Leading system and developer messages merge into one system turn (SmolLM2's
    template takes one); a system message later in the conversation stays in place."""
    messages = request.messages
    lead: list[str] = []
    start = 0
    while start < len(messages) and messages[start].role in ("system", "developer"):
        lead.append(_content_text(messages[start], start))
        start += 1
    system = "\n\n".join(lead) if lead else DEFAULT_SYSTEM
    if offer_tools and request.tools:
        system = f"{system}\n\n{_tools_prompt(request.tools)}"
    segments = [Segment(f"{IM_START}system\n{system}{IM_END}\n")]
    for index in range(start, len(messages)):
        message = messages[index]
        match message.role:
            case "system" | "developer":
                segments.append(Segment(f"{IM_START}system\n{_content_text(message, index)}{IM_END}\n"))
            case "user":
                segments.append(Segment(f"{IM_START}user\n{_content_text(message, index)}{IM_END}\n"))
            case "assistant":
                segments.append(Segment(f"{IM_START}assistant\n"))
                segments.append(Segment(assistant_text(message), "assistant_content"))
                segments.append(Segment(f"{IM_END}\n"))
            case "tool":
                results = [p for p in message.parts if isinstance(p, ToolResultPart)]
                body = "\n".join(r.text for r in results)
                segments.append(Segment(f"{IM_START}tool\n{body}{IM_END}\n"))
            case _:
                assert_never(message.role)
    segments.append(Segment(f"{IM_START}assistant\n"))
    return segments


@dataclass(frozen=True)
class ParsedCompletion:
    text: str
    calls: list[tuple[str, str]]
    """(name, raw arguments JSON) in order."""


def parse_completion(text: str, tool_names: Sequence[str]) -> ParsedCompletion:
    """Split sampled text into free text and tool calls, tolerantly: a frame that does
    not parse stays text, so nothing the model wrote is lost."""
    calls: list[tuple[str, str]] = []
    rest = text
    first = text.find(CALL_OPEN)
    if first < 0:
        return ParsedCompletion(text, [])
    prose, rest = text[:first], text[first:]
    leftovers: list[str] = []
    while rest:
        start = rest.find(CALL_OPEN)
        if start < 0:
            leftovers.append(rest)
            break
        if start > 0:
            leftovers.append(rest[:start])
        end = rest.find(CALL_CLOSE, start)
        if end < 0:
            leftovers.append(rest[start:])
            break
        frame = rest[start + len(CALL_OPEN) : end]
        rest = rest[end + len(CALL_CLOSE) :]
        try:
            obj = json.loads(frame)
        except ValueError:
            leftovers.append(CALL_OPEN + frame + CALL_CLOSE)
            continue
        name = obj.get("name") if isinstance(obj, dict) else None
        if not isinstance(name, str) or (tool_names and name not in tool_names):
            leftovers.append(CALL_OPEN + frame + CALL_CLOSE)
            continue
        # Keep the arguments exactly as sampled when the frame is ours.
        marker = '"arguments": '
        at = frame.find(marker)
        raw = frame[at + len(marker) : -1] if at >= 0 and frame.endswith("}") else json.dumps(obj.get("arguments", {}))
        calls.append((name, raw))
    trailing = "".join(x for x in leftovers if x.strip(CALL_SEPARATOR))
    prose = prose.removesuffix(CALL_SEPARATOR)
    return ParsedCompletion(prose + trailing, calls)
