"""Chat Completions messages <-> canonical messages.

Bookkeeping for an exact same-dialect re-render lives in ``extra`` under keys that
start with ``~`` (never emitted as keys). A message rendered from another dialect in
lossless mode carries the whole canonical message in its ``_rollyard`` extension, and
parsing restores it when the native fields still say the same thing."""

from __future__ import annotations

from typing import Any, assert_never

from ._canonical import (
    ConversionReport,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from ._errors import MalformedRequestError, WireError
from ._fields import EXT_KEY, as_list, as_object, ext_of, opt, req
from ._serialize import message_from_json

ROLES = ("system", "developer", "user", "assistant", "tool")
BOOK = "~"


def own_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` minus bookkeeping keys: what is emitted back as body keys."""
    return {k: v for k, v in extra.items() if not k.startswith(BOOK)}


# ---- parsing ----


def _parse_content_part(obj: Any, path: str, error: type[WireError]) -> TextPart | ImagePart:
    obj = as_object(obj, path, error)
    kind = req(obj, "type", str, path, error)
    if kind == "text":
        text = req(obj, "text", str, path, error)
        return TextPart(text, extra={k: v for k, v in obj.items() if k not in ("type", "text")})
    if kind == "image_url":
        image = as_object(obj.get("image_url"), f"{path}.image_url", error)
        url = req(image, "url", str, f"{path}.image_url", error)
        detail = opt(image, "detail", str, f"{path}.image_url", error)
        extra = {k: v for k, v in obj.items() if k not in ("type", "image_url")}
        inner = {k: v for k, v in image.items() if k not in ("url", "detail")}
        if inner:
            extra["~image_url"] = inner
        if "detail" in image and image["detail"] is None:
            extra["~detail_null"] = True
        return ImagePart(url=url, detail=detail, extra=extra)
    raise error(f"unknown content part type {kind!r} (expected text or image_url)", field=f"{path}.type")


def _parse_content(
    message: dict[str, Any], path: str, error: type[WireError]
) -> tuple[list[TextPart | ImagePart], str, dict[str, Any]]:
    """(parts, content_form, bookkeeping) of a message's ``content``."""
    if "content" not in message:
        return [], "string", {"~content": "absent"}
    content = message["content"]
    if content is None:
        return [], "string", {"~content": "null"}
    if isinstance(content, str):
        return [TextPart(content)], "string", {}
    items = as_list(content, f"{path}.content", error)
    parts = [_parse_content_part(p, f"{path}.content[{j}]", error) for j, p in enumerate(items)]
    return parts, "parts", ({} if parts else {"~content": "empty_list"})


def _parse_tool_call(obj: Any, path: str, error: type[WireError]) -> ToolCallPart:
    obj = as_object(obj, path, error)
    call_id = req(obj, "id", str, path, error)
    kind = obj.get("type", "function")
    if kind == "custom":
        custom = as_object(obj.get("custom"), f"{path}.custom", error)
        name = req(custom, "name", str, f"{path}.custom", error)
        custom_input = req(custom, "input", str, f"{path}.custom", error)
        extra = {k: v for k, v in obj.items() if k not in ("id", "type", "custom")}
        return ToolCallPart(call_id, name, custom_input, kind="custom", extra=extra)
    if kind != "function":
        raise error(f"unknown tool call type {kind!r}", field=f"{path}.type")
    function = as_object(obj.get("function"), f"{path}.function", error)
    name = req(function, "name", str, f"{path}.function", error)
    arguments: str | None = opt(function, "arguments", str, f"{path}.function", error)
    extra = {k: v for k, v in obj.items() if k not in ("id", "type", "function")}
    if "type" not in obj:
        extra["~no_type"] = True
    if arguments is None:
        extra["~arguments"] = "null" if "arguments" in function else "absent"
    inner = {k: v for k, v in function.items() if k not in ("name", "arguments")}
    if inner:
        extra["~function"] = inner
    return ToolCallPart(call_id, name, arguments or "", extra=extra)


_KNOWN = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "tool_calls", "reasoning_content", "reasoning"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
}


def parse_message(obj: Any, index: int, *, error: type[WireError] = MalformedRequestError, path: str = "") -> Message:
    """One chat message (``messages[index]``) -> a canonical message."""
    path = path or f"messages[{index}]"
    obj = as_object(obj, path, error)
    role = req(obj, "role", str, path, error)
    if role not in ROLES:
        raise error(f"unknown role {role!r} (expected one of {', '.join(ROLES)})", field=f"{path}.role")
    return parse_message_ex(obj, index, error=error, path=path)[0]


def parse_message_ex(
    obj: Any, index: int, *, error: type[WireError] = MalformedRequestError, path: str = ""
) -> tuple[Message, bool]:
    """Like ``parse_message``; also says whether the message was restored from a carry."""
    path = path or f"messages[{index}]"
    obj = as_object(obj, path, error)
    role = req(obj, "role", str, path, error)
    if role not in ROLES:
        raise error(f"unknown role {role!r} (expected one of {', '.join(ROLES)})", field=f"{path}.role")
    carried = ext_of(obj).get("message")
    native = _parse_native(obj, role, path, error)
    if carried is not None:
        restored = message_from_json(carried, f"{path}.{EXT_KEY}.message")
        if _same_view(restored, native):
            return restored, True
    return native, False


def _parse_native(obj: dict[str, Any], role: str, path: str, error: type[WireError]) -> Message:
    extra = {k: v for k, v in obj.items() if k not in _KNOWN[role] and k != EXT_KEY}
    name = opt(obj, "name", str, path, error)
    if role == "tool":
        call_id = req(obj, "tool_call_id", str, path, error)
        parts, form, book = _parse_content(obj, path, error)
        result = ToolResultPart(call_id, list(parts), content_form="string" if form == "string" else "parts")
        return Message("tool", [result], extra={**extra, **book})
    parts_: list[Part] = []
    if role == "assistant":
        for key in ("reasoning_content", "reasoning"):
            if key in obj:
                value = obj[key]
                if value is not None and not isinstance(value, str):
                    raise error(f"expected str, got {type(value).__name__}", field=f"{path}.{key}")
                parts_.append(ReasoningPart(text=value))
                if value is None:
                    extra["~reasoning_null"] = True
                if key == "reasoning":
                    extra["~reasoning_key"] = "reasoning"
                break
    content, form, book = _parse_content(obj, path, error)
    parts_.extend(content)
    if role == "assistant" and obj.get("tool_calls") is not None:
        calls = as_list(obj["tool_calls"], f"{path}.tool_calls", error)
        parts_.extend(_parse_tool_call(c, f"{path}.tool_calls[{j}]", error) for j, c in enumerate(calls))
    elif role == "assistant" and "tool_calls" in obj:
        extra["~tool_calls_null"] = True
    return Message(
        role,  # type: ignore[arg-type]
        parts_,
        content_form="string" if form == "string" else "parts",
        name=name,
        extra={**extra, **book},
    )


def _same_view(restored: Message, native: Message) -> bool:
    """A carried message is trusted only while the native fields agree with it."""
    chat_role = {"developer": "developer"}.get(restored.role, restored.role)
    if chat_role != native.role:
        return False
    if restored.text != native.text:
        return False
    ours = [(c.id, c.name) for c in restored.tool_calls]
    theirs = [(c.id, c.name) for c in native.tool_calls]
    if ours != theirs:
        return False
    results = [p.call_id for p in restored.parts if isinstance(p, ToolResultPart)]
    native_results = [p.call_id for p in native.parts if isinstance(p, ToolResultPart)]
    return results[:1] == native_results[:1]


# ---- rendering ----


def _render_part(part: TextPart | ImagePart, native: bool) -> dict[str, Any]:
    extra = own_extra(part.extra) if native else {}
    match part:
        case TextPart():
            return {"type": "text", "text": part.text, **extra}
        case ImagePart():
            url = part.url or f"data:{part.media_type or 'image/png'};base64,{part.data or ''}"
            image: dict[str, Any] = {"url": url}
            if part.detail is not None or (native and part.extra.get("~detail_null")):
                image["detail"] = part.detail
            if native:
                image.update(part.extra.get("~image_url", {}))
            return {"type": "image_url", "image_url": image, **extra}
        case _:
            assert_never(part)


def _render_content(
    parts: list[TextPart | ImagePart], form: str, extra: dict[str, Any], native: bool
) -> tuple[bool, Any]:
    """(present, value) of ``content``."""
    if native and extra.get("~content") == "absent" and not parts:
        return False, None
    if native and extra.get("~content") == "empty_list" and not parts:
        return True, []
    if not parts:
        return True, None
    if form == "string" and all(isinstance(p, TextPart) for p in parts):
        if not parts:
            return True, None
        return True, "".join(p.text for p in parts if isinstance(p, TextPart))
    return True, [_render_part(p, native) for p in parts]


def _render_tool_call(call: ToolCallPart, native: bool, report: ConversionReport) -> dict[str, Any]:
    extra = call.extra if native else {}
    if call.kind == "custom":
        out: dict[str, Any] = {"id": call.id, "type": "custom", "custom": {"name": call.name, "input": call.arguments}}
        out.update(own_extra(extra))
        return out
    function: dict[str, Any] = {"name": call.name}
    marker = extra.get("~arguments")
    if marker == "null":
        function["arguments"] = None
    elif marker != "absent":
        function["arguments"] = call.arguments
    function.update(extra.get("~function", {}))
    out = {"id": call.id, "function": function, **own_extra(extra)}
    if not extra.get("~no_type"):
        out = {"id": call.id, "type": "function", "function": function, **own_extra(extra)}
    return out


def render_message(message: Message, *, native: bool, lossless: bool, report: ConversionReport) -> list[dict[str, Any]]:
    """One canonical message -> chat message(s) (one per tool result)."""
    extra = message.extra if native else {}
    if message.role == "tool":
        results = [p for p in message.parts if isinstance(p, ToolResultPart)]
        out_list: list[dict[str, Any]] = []
        for result in results:
            out: dict[str, Any] = {"role": "tool", "tool_call_id": result.call_id}
            if any(isinstance(p, ImagePart) for p in result.content) and not native:
                report.warn("chat tool messages carry text only: images in a tool result were left out")
            content = [p for p in result.content if native or isinstance(p, TextPart)]
            present, value = _render_content(content, result.content_form, extra, native)
            if present:
                out["content"] = value if value is not None or native else ""
            out.update(own_extra(extra))
            if result.is_error and not native:
                report.warn("chat tool messages have no is_error flag")
            out_list.append(out)
        return out_list
    out = {"role": message.role}
    content_parts = [p for p in message.parts if isinstance(p, TextPart | ImagePart)]
    if message.role == "assistant":
        reasoning = [p for p in message.parts if isinstance(p, ReasoningPart)]
        if reasoning:
            texts = [p.text for p in reasoning if p.text is not None]
            key = extra.get("~reasoning_key", "reasoning_content")
            if texts or (native and extra.get("~reasoning_null")):
                out[key] = "".join(texts) if texts else None
            opaque = [p for p in reasoning if p.signature or p.redacted_data or p.encrypted_content or p.summary]
            if opaque and not lossless:
                report.warn("chat has no slot for reasoning signatures or encrypted reasoning: left out")
        present, value = _render_content(content_parts, message.content_form, extra, native)
        if not native and not content_parts:
            present, value = True, None
        if present:
            out["content"] = value
        calls = message.tool_calls
        if calls:
            out["tool_calls"] = [_render_tool_call(c, native, report) for c in calls]
        elif native and extra.get("~tool_calls_null"):
            out["tool_calls"] = None
    else:
        present, value = _render_content(content_parts, message.content_form, extra, native)
        if present:
            out["content"] = value if value is not None or native else ""
        if any(isinstance(p, ReasoningPart | ToolCallPart | ToolResultPart) for p in message.parts):
            report.warn(f"a {message.role} message held reasoning or tool parts chat cannot place there")
    if message.name is not None:
        out["name"] = message.name
    out.update(own_extra(extra))
    return [out]
