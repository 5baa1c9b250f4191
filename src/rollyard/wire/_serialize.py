"""Canonical objects <-> plain JSON, exactly. Used to carry a foreign-dialect message
(or request settings) whole inside the ``_rollyard`` extension of a lossless render,
so a conversion back restores it bit for bit."""

from __future__ import annotations

import dataclasses
from typing import Any

from ._canonical import (
    DIALECTS,
    Dialect,
    ImagePart,
    Message,
    Part,
    ReasoningConfig,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from ._errors import MalformedRequestError
from ._fields import EXT_KEY, put_ext

_PART_TYPES: dict[str, type[Any]] = {
    "text": TextPart,
    "image": ImagePart,
    "reasoning": ReasoningPart,
    "tool_call": ToolCallPart,
    "tool_result": ToolResultPart,
}
_TAG_OF = {cls: tag for tag, cls in _PART_TYPES.items()}


def part_to_json(part: Part) -> dict[str, Any]:
    data = {f.name: getattr(part, f.name) for f in dataclasses.fields(part)}
    if isinstance(part, ToolResultPart):
        data["content"] = [part_to_json(p) for p in part.content]
    data["~t"] = _TAG_OF[type(part)]
    return data


def part_from_json(data: dict[str, Any], path: str) -> Part:
    if not isinstance(data, dict) or data.get("~t") not in _PART_TYPES:
        raise MalformedRequestError("not a carried canonical part", field=path)
    values = {k: v for k, v in data.items() if k != "~t"}
    cls = _PART_TYPES[data["~t"]]
    try:
        if cls is ToolResultPart:
            values["content"] = [part_from_json(p, f"{path}.content[{i}]") for i, p in enumerate(values["content"])]
        if cls is ReasoningPart and values.get("summary") is not None:
            values["summary"] = list(values["summary"])
        part: Part = cls(**values)
    except (TypeError, KeyError) as exc:
        raise MalformedRequestError(f"not a carried canonical part ({exc})", field=path) from None
    return part


def message_to_json(message: Message) -> dict[str, Any]:
    return {
        "role": message.role,
        "parts": [part_to_json(p) for p in message.parts],
        "content_form": message.content_form,
        "name": message.name,
        "id": message.id,
        "extra": message.extra,
    }


def message_from_json(data: Any, path: str) -> Message:
    if not isinstance(data, dict) or not isinstance(data.get("parts"), list):
        raise MalformedRequestError("not a carried canonical message", field=path)
    try:
        return Message(
            role=data["role"],
            parts=[part_from_json(p, f"{path}.parts[{i}]") for i, p in enumerate(data["parts"])],
            content_form=data.get("content_form", "parts"),
            name=data.get("name"),
            id=data.get("id"),
            extra=dict(data.get("extra") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedRequestError(f"not a carried canonical message ({exc})", field=path) from None


def tool_to_json(spec: ToolSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def tool_from_json(data: Any, path: str) -> ToolSpec:
    try:
        return ToolSpec(**data)
    except (TypeError, ValueError) as exc:
        raise MalformedRequestError(f"not a carried tool ({exc})", field=path) from None


def choice_to_json(choice: ToolChoice | None) -> dict[str, Any] | None:
    return None if choice is None else dataclasses.asdict(choice)


def choice_from_json(data: Any) -> ToolChoice | None:
    return None if not isinstance(data, dict) else ToolChoice(**data)


def reasoning_to_json(config: ReasoningConfig | None) -> dict[str, Any] | None:
    return None if config is None else dataclasses.asdict(config)


def reasoning_from_json(data: Any) -> ReasoningConfig | None:
    return None if not isinstance(data, dict) else ReasoningConfig(**data)


def _strip_bookkeeping(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                {ek: _strip_bookkeeping(ev) for ek, ev in v.items() if not ek.startswith("~")}
                if k == "extra" and isinstance(v, dict)
                else _strip_bookkeeping(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_strip_bookkeeping(v) for v in value]
    return value


def same_messages(a: list[Message], b: list[Message]) -> bool:
    """Whether two message lists say the same, codec bookkeeping (``~`` keys) aside:
    a lossless render carries a message only when its native form would lose something."""
    return len(a) == len(b) and all(
        _strip_bookkeeping(message_to_json(x)) == _strip_bookkeeping(message_to_json(y))
        for x, y in zip(a, b, strict=True)
    )


def without_bookkeeping(message: Message) -> Message:
    """The message minus codec bookkeeping: for messages parsed natively from a body
    whose request belongs to another dialect (the bookkeeping would be that codec's)."""
    return message_from_json(_strip_bookkeeping(message_to_json(message)), "message")


# Request settings a lossless render into another dialect carries whole.
CARRIED_SETTINGS = (
    "parallel_tool_calls",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_include_usage",
    "logprobs",
    "top_logprobs",
    "user",
)


def carry_request(body: dict[str, Any], request: Request) -> None:
    """Put what a foreign request needs to come back exactly into ``body``'s extension:
    its origin, own fields, tools, tool choice, reasoning config and settings."""
    put_ext(
        body,
        origin=request.origin,
        extra=request.extra,
        tools=[tool_to_json(t) for t in request.tools],
        tool_choice=choice_to_json(request.tool_choice),
        reasoning=reasoning_to_json(request.reasoning),
        settings={k: getattr(request, k) for k in CARRIED_SETTINGS},
    )


def restore_request(request: Request, ext: dict[str, Any], own: Dialect) -> Request:
    """The inverse of ``carry_request`` for a body parsed in dialect ``own``."""
    origin = ext.get("origin")
    if origin not in DIALECTS or origin == own:
        return request
    try:
        settings = ext.get("settings", {})
        return dataclasses.replace(
            request,
            tools=[tool_from_json(t, f"{EXT_KEY}.tools[{i}]") for i, t in enumerate(ext.get("tools", []))],
            tool_choice=choice_from_json(ext.get("tool_choice")),
            reasoning=reasoning_from_json(ext.get("reasoning")),
            origin=origin,
            extra=dict(ext.get("extra", {})),
            **{k: settings[k] for k in CARRIED_SETTINGS if k in settings},
        )
    except (TypeError, KeyError, ValueError) as exc:
        raise MalformedRequestError(f"malformed extension ({exc})", field=EXT_KEY) from None
