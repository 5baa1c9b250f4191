"""What a conversion must not lose, as comparable plain data: tool definitions, tool
calls and results, ids, and reasoning blocks (plus the text and order of turns)."""

from __future__ import annotations

import json
from typing import Any

from rollyard.wire import (
    ImagePart,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)


def _args(arguments: str) -> Any:
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return arguments


def _part(part: Any) -> Any:
    match part:
        case TextPart():
            return ("text", part.text)
        case ImagePart():
            return ("image", part.url, part.data, part.media_type)
        case ReasoningPart():
            return (
                "reasoning",
                part.text,
                part.signature,
                part.redacted_data,
                part.encrypted_content,
                tuple(part.summary or ()),
                part.id,
            )
        case ToolCallPart():
            return ("call", part.id, part.name, _args(part.arguments), part.kind)
        case ToolResultPart():
            return ("result", part.call_id, part.text, bool(part.is_error), part.kind)
    raise AssertionError(f"unknown part {part!r}")


def _merge_text(parts: list[Any]) -> list[Any]:
    # Adjacent text parts may legitimately be joined or split by a dialect.
    out: list[Any] = []
    for p in parts:
        if p[0] == "text" and out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1] + p[1])
        else:
            out.append(p)
    return [p for p in out if p != ("text", "")]


def summary(request: Request) -> dict[str, Any]:
    """The facts of a request that every conversion must keep."""
    turns: list[Any] = []
    for message in request.messages:
        role = "system" if message.role == "developer" else message.role
        parts = _merge_text([_part(p) for p in message.parts])
        if role == "system" and turns and turns[-1][0] == "system" and len(turns) == 1:
            # Leading system content may be one message or several.
            turns[-1] = ("system", _merge_text(turns[-1][1] + parts))
            continue
        turns.append((role, parts))
    tools = [
        (
            t.name,
            t.kind,
            json.dumps(t.parameters, sort_keys=True) if t.parameters is not None else None,
            json.dumps(t.raw, sort_keys=True) if t.kind != "function" and t.raw is not None else None,
        )
        for t in request.tools
    ]
    choice = (request.tool_choice.mode, request.tool_choice.name) if request.tool_choice else None
    return {"model": request.model, "turns": turns, "tools": tools, "tool_choice": choice}
