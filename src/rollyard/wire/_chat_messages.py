"""Chat Completions messages <-> canonical messages.

Bookkeeping for an exact same-dialect re-render lives in ``extra`` under keys that
start with ``~`` (never emitted as keys). A message rendered from another dialect in
lossless mode carries the whole canonical message in its ``_rollyard`` extension, and
parsing restores it when the native fields still say the same thing."""

from __future__ import annotations

import dataclasses
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
from ._serialize import message_from_json, same_messages

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
        try:
            restored: Message | None = message_from_json(carried, f"{path}.{EXT_KEY}.message")
        except (TypeError, ValueError, AttributeError):
            restored = None
        if restored is None or not _well_typed(restored):
            raise error("not a carried canonical message", field=f"{path}.{EXT_KEY}.message")
        if _same_view(restored, native):
            return restored, True
    return native, False


def _opt_str(*values: Any) -> bool:
    return all(v is None or isinstance(v, str) for v in values)


def _well_typed_part(part: Any, allowed: tuple[type, ...]) -> bool:
    """A carried part holds the types its dataclass promises (the carry is untrusted JSON)."""
    if not isinstance(part, allowed) or not isinstance(getattr(part, "extra", None), dict):
        return False
    match part:
        case TextPart():
            return isinstance(part.text, str)
        case ImagePart():
            return _opt_str(part.url, part.data, part.media_type, part.detail)
        case ReasoningPart():
            summary_ok = part.summary is None or all(isinstance(s, str) for s in part.summary)
            return summary_ok and _opt_str(
                part.text, part.signature, part.redacted_data, part.encrypted_content, part.id
            )
        case ToolCallPart():
            names_ok = all(isinstance(v, str) for v in (part.id, part.name, part.arguments))
            return names_ok and part.kind in ("function", "custom") and _opt_str(part.item_id, part.namespace)
        case ToolResultPart():
            return (
                isinstance(part.call_id, str)
                and isinstance(part.content, list)
                and all(_well_typed_part(p, (TextPart, ImagePart)) for p in part.content)
                and part.content_form in ("string", "parts")
                and (part.is_error is None or isinstance(part.is_error, bool))
                and part.kind in ("function", "custom")
                and _opt_str(part.item_id)
            )
    return False


def _well_typed(message: Message) -> bool:
    return (
        message.role in ROLES
        and message.content_form in ("string", "parts")
        and _opt_str(message.name, message.id)
        and isinstance(message.extra, dict)
        and all(
            _well_typed_part(p, (TextPart, ImagePart, ReasoningPart, ToolCallPart, ToolResultPart))
            for p in message.parts
        )
    )


# The key order the renderer writes; a message sent in another order remembers its own.
_NATURAL = ("role", "tool_call_id", "reasoning_content", "reasoning", "content", "tool_calls", "name")


def _key_order(obj: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in obj if k != EXT_KEY]
    natural = [k for k in _NATURAL if k in obj] + [k for k in keys if k not in _NATURAL]
    return {} if keys == natural else {"~order": keys}


def _ordered(out: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    order = extra.get("~order")
    if not isinstance(order, list):
        return out
    return {k: out[k] for k in order if k in out} | {k: v for k, v in out.items() if k not in order}


def _parse_native(obj: dict[str, Any], role: str, path: str, error: type[WireError]) -> Message:
    extra = {k: v for k, v in obj.items() if k not in _KNOWN[role] and k != EXT_KEY} | _key_order(obj)
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
                elif "reasoning" in obj:  # vLLM sends both names: the second is kept as sent
                    extra["reasoning"] = obj["reasoning"]
                break
    content, form, book = _parse_content(obj, path, error)
    parts_.extend(content)
    if role == "assistant" and obj.get("tool_calls") is not None:
        calls = as_list(obj["tool_calls"], f"{path}.tool_calls", error)
        parts_.extend(_parse_tool_call(c, f"{path}.tool_calls[{j}]", error) for j, c in enumerate(calls))
    elif role == "assistant" and "tool_calls" in obj:
        extra["~tool_calls_null"] = True
    if "name" in obj and name is None:
        extra["~name_null"] = True
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


def native_is_exact(message: Message, rendered: list[dict[str, Any]]) -> bool:
    """Whether parsing the chat form of ``message`` gives it back (bookkeeping aside):
    only when it does not is the whole message carried in a lossless render."""
    try:
        back = [parse_message(r, 0) for r in rendered]
    except WireError:
        return False
    if message.role == "tool" and len(back) > 1:
        back = [dataclasses.replace(back[0], parts=[p for m in back for p in m.parts])]
    return same_messages([message], back)


def not_native(message: Message) -> list[str]:
    """What a chat message has no slot for, for the conversion report of a foreign message."""
    found: set[str] = set(own_extra(message.extra))
    if message.id:
        found.add("message id")
    for part in message.parts:
        found.update(own_extra(part.extra))
        match part:
            case ReasoningPart():
                keys = ("signature", "redacted_data", "encrypted_content", "summary", "id")
                found.update(f"reasoning {k}" for k in keys if getattr(part, k))
            case ToolCallPart():
                found.update(f"tool call {k}" for k in ("item_id", "namespace") if getattr(part, k))
            case ToolResultPart():
                for item in part.content:
                    found.update(own_extra(item.extra))
                if part.is_error is not None:
                    found.add("tool result is_error")
                if part.item_id:
                    found.add("tool result item_id")
                if any(isinstance(p, ImagePart) for p in part.content):
                    found.add("images in a tool result")
            case TextPart() | ImagePart():
                pass
            case _:
                assert_never(part)
    return sorted(found)


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
            content = [p for p in result.content if native or isinstance(p, TextPart)]
            present, value = _render_content(content, result.content_form, extra, native)
            if present:
                out["content"] = value if value is not None or native else ""
            out.update(own_extra(extra))
            out_list.append(_ordered(out, extra))
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
    if message.name is not None or extra.get("~name_null"):
        out["name"] = message.name
    out.update(own_extra(extra))
    return [_ordered(out, extra)]
