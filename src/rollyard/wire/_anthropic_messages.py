"""Anthropic Messages content <-> canonical messages.

An Anthropic user message holding tool results becomes one canonical ``tool`` message
per result (plus a user message for any other blocks); messages split from one
Anthropic message share a ``~group`` bookkeeping id so a same-dialect render merges
them back in order. Keys starting with ``~`` in ``extra`` are bookkeeping, never
emitted. Tool ids Anthropic would refuse are mapped reversibly (``rlyx_`` + hex)."""

from __future__ import annotations

import json
import re
from typing import Any

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
from ._fields import EXT_KEY, as_list, as_object, ext_of, opt, put_ext, req
from ._serialize import message_from_json, message_to_json

_ID_OK = re.compile(r"^[a-zA-Z0-9_-]+$")
_MAPPED = "rlyx_"
# Documented block types with no canonical slot: kept verbatim for same-dialect renders.
OPAQUE_BLOCKS = frozenset(
    {
        "document",
        "search_result",
        "container_upload",
        "server_tool_use",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "mcp_tool_use",
        "mcp_tool_result",
        "tool_reference",
    }
)


def to_anthropic_id(call_id: str) -> str:
    """An id Anthropic accepts; reversible by ``from_anthropic_id``."""
    if _ID_OK.match(call_id) and not call_id.startswith(_MAPPED):
        return call_id
    return _MAPPED + call_id.encode("utf-8").hex()


def from_anthropic_id(value: str) -> str:
    if value.startswith(_MAPPED):
        try:
            return bytes.fromhex(value[len(_MAPPED) :]).decode("utf-8")
        except ValueError:
            return value
    return value


def own_extra(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if not k.startswith("~")}


# ---- parsing ----


def _parse_image(block: dict[str, Any], path: str, error: type[WireError]) -> ImagePart:
    source = as_object(block.get("source"), f"{path}.source", error)
    kind = req(source, "type", str, f"{path}.source", error)
    extra = {k: v for k, v in block.items() if k not in ("type", "source")}
    inner = {k: v for k, v in source.items() if k not in ("type", "url", "data", "media_type")}
    if inner:
        extra["~source"] = inner
    if kind == "url":
        return ImagePart(url=req(source, "url", str, f"{path}.source", error), extra=extra)
    if kind == "base64":
        return ImagePart(
            data=req(source, "data", str, f"{path}.source", error),
            media_type=opt(source, "media_type", str, f"{path}.source", error),
            extra=extra,
        )
    raise error(f"unknown image source type {kind!r}", field=f"{path}.source.type")


def parse_block(block: Any, path: str, role: str, error: type[WireError]) -> Part | dict[str, Any]:
    """A content block -> a canonical part (or the raw block, for opaque types)."""
    block = as_object(block, path, error)
    kind = req(block, "type", str, path, error)

    def rest(*known: str) -> dict[str, Any]:
        return {k: v for k, v in block.items() if k not in ("type", *known)}

    match kind:
        case "text":
            return TextPart(req(block, "text", str, path, error), extra=rest("text"))
        case "image":
            return _parse_image(block, path, error)
        case "thinking" if role == "assistant":
            extra = rest("thinking", "signature")
            if "signature" not in block:
                extra["~no_signature"] = True
            return ReasoningPart(
                text=req(block, "thinking", str, path, error),
                signature=opt(block, "signature", str, path, error),
                extra=extra,
            )
        case "redacted_thinking" if role == "assistant":
            return ReasoningPart(redacted_data=req(block, "data", str, path, error), extra=rest("data"))
        case "tool_use" if role == "assistant":
            arguments = block.get("input", {})
            if not isinstance(arguments, dict):
                raise error(f"expected object, got {type(arguments).__name__}", field=f"{path}.input")
            return ToolCallPart(
                id=from_anthropic_id(req(block, "id", str, path, error)),
                name=req(block, "name", str, path, error),
                arguments=json.dumps(arguments, ensure_ascii=False),
                extra=rest("id", "name", "input"),
            )
        case "tool_result" if role == "user":
            content = block.get("content")
            parts: list[TextPart | ImagePart] = []
            form = "string"
            if isinstance(content, str):
                parts = [TextPart(content)]
            elif content is not None:
                form = "parts"
                for j, item in enumerate(as_list(content, f"{path}.content", error)):
                    sub = parse_block(item, f"{path}.content[{j}]", "user", error)
                    if not isinstance(sub, TextPart | ImagePart):
                        raise error("tool results hold text and images only", field=f"{path}.content[{j}].type")
                    parts.append(sub)
            extra = rest("tool_use_id", "content", "is_error")
            if content is None:
                extra["~no_content"] = True
            return ToolResultPart(
                call_id=from_anthropic_id(req(block, "tool_use_id", str, path, error)),
                content=parts,
                content_form=form,  # type: ignore[arg-type]
                is_error=opt(block, "is_error", bool, path, error),
                extra=extra,
            )
    if kind in OPAQUE_BLOCKS:
        return dict(block)
    raise error(f"unknown content block type {kind!r} for a {role} message", field=f"{path}.type")


def parse_message(obj: Any, index: int, *, error: type[WireError] = MalformedRequestError) -> list[Message]:
    """``messages[index]`` -> one or more canonical messages (tool results split out)."""
    path = f"messages[{index}]"
    obj = as_object(obj, path, error)
    role = req(obj, "role", str, path, error)
    if role not in ("user", "assistant", "system"):
        raise error(f"unknown role {role!r} (expected user, assistant or system)", field=f"{path}.role")
    carried = ext_of(obj).get("messages")
    native = _parse_native(obj, role, path, index, error)
    if isinstance(carried, list):
        restored = [message_from_json(m, f"{path}.{EXT_KEY}.messages[{i}]") for i, m in enumerate(carried)]
        if "".join(m.text for m in restored) == "".join(m.text for m in native):
            for m in restored:
                m.extra["~carried"] = True
            return restored
    return native


def _parse_native(obj: dict[str, Any], role: str, path: str, index: int, error: type[WireError]) -> list[Message]:
    extra = {k: v for k, v in obj.items() if k not in ("role", "content") and k != EXT_KEY}
    content = obj.get("content")
    if content is None:
        raise error("required field is missing", field=f"{path}.content")
    if isinstance(content, str):
        return [Message(role, [TextPart(content)], content_form="string", extra=extra)]  # type: ignore[arg-type]
    blocks = as_list(content, f"{path}.content", error)
    group = f"m{index}"
    out: list[Message] = []
    current: list[Part] = []
    opaque: list[tuple[int, dict[str, Any]]] = []
    for j, raw in enumerate(blocks):
        part = parse_block(raw, f"{path}.content[{j}]", role, error)
        if isinstance(part, dict):
            opaque.append((j, part))
        elif isinstance(part, ToolResultPart):
            if current:
                out.append(Message(role, current, extra={"~group": group}))  # type: ignore[arg-type]
                current = []
            out.append(Message("tool", [part], extra={"~group": group}))
        else:
            current.append(part)
    if current or not out:
        out.append(Message(role, current, extra={"~group": group}))  # type: ignore[arg-type]
    out[0].extra.update(extra)
    if opaque:
        out[0].extra["~opaque"] = opaque
    return out


# ---- rendering ----


def _render_text_like(part: TextPart | ImagePart, native: bool) -> dict[str, Any]:
    extra = own_extra(part.extra) if native else {}
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text, **extra}
    source: dict[str, Any]
    if part.data is not None:
        source = {"type": "base64", "media_type": part.media_type or "image/png", "data": part.data}
    elif part.url and part.url.startswith("data:") and ";base64," in part.url:
        head, data = part.url[5:].split(";base64,", 1)
        source = {"type": "base64", "media_type": head or "image/png", "data": data}
    else:
        source = {"type": "url", "url": part.url or ""}
    if native:
        source.update(part.extra.get("~source", {}))
    return {"type": "image", "source": source, **extra}


def _render_part(part: Part, native: bool, lossless: bool, report: ConversionReport) -> dict[str, Any] | None:
    extra = own_extra(part.extra) if native else {}
    match part:
        case TextPart() | ImagePart():
            return _render_text_like(part, native)
        case ReasoningPart():
            if part.redacted_data is not None:
                return {"type": "redacted_thinking", "data": part.redacted_data, **extra}
            if part.signature is None and not native and not lossless:
                report.warn("reasoning without an Anthropic signature was left out (Anthropic rejects it)")
                return None
            # A Responses reasoning item shows its summaries as the thinking text.
            text = part.text if part.text is not None else "\n\n".join(part.summary or [])
            block: dict[str, Any] = {"type": "thinking", "thinking": text, "signature": part.signature or ""}
            if native and part.extra.get("~no_signature"):
                block.pop("signature")
            return {**block, **extra}
        case ToolCallPart():
            try:
                value = json.loads(part.arguments) if part.arguments.strip() else {}
            except ValueError:
                value = None
            if not isinstance(value, dict):
                report.warn(f"tool call {part.id!r} had arguments that are not a JSON object; sent as {{}}")
                value = {}
            return {"type": "tool_use", "id": to_anthropic_id(part.id), "name": part.name, "input": value, **extra}
        case ToolResultPart():
            out: dict[str, Any] = {"type": "tool_result", "tool_use_id": to_anthropic_id(part.call_id)}
            if not (native and part.extra.get("~no_content")):
                if part.content_form == "string" and all(isinstance(p, TextPart) for p in part.content):
                    out["content"] = part.text
                else:
                    out["content"] = [_render_text_like(p, native) for p in part.content]
            if part.is_error is not None:
                out["is_error"] = part.is_error
            return {**out, **extra}
    raise AssertionError(f"unknown part {part!r}")


def render_group(
    messages: list[Message], *, native: bool, lossless: bool, carry: bool, report: ConversionReport
) -> dict[str, Any]:
    """Canonical messages that make one Anthropic message -> that message."""
    first = messages[0]
    role = "user" if first.role in ("user", "tool") else first.role
    if role == "developer":
        role = "system"
    blocks: list[dict[str, Any]] = []
    for message in messages:
        for part in message.parts:
            if not native and isinstance(part, TextPart) and not part.text and message.role == "assistant":
                continue  # no empty text block before tool_use
            block = _render_part(part, native, lossless, report)
            if block is not None:
                blocks.append(block)
    if native:
        for at, raw in first.extra.get("~opaque", []):
            blocks.insert(at, raw)
    out: dict[str, Any] = {"role": role}
    single = len(messages) == 1 and first.content_form == "string"
    only = first.parts[0] if len(first.parts) == 1 else None
    if single and isinstance(only, TextPart):
        out["content"] = only.text
    else:
        out["content"] = blocks
    if native:
        out.update(own_extra(first.extra))
    elif carry:
        put_ext(out, messages=[message_to_json(m) for m in messages])
    return out
