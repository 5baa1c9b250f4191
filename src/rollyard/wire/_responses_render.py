"""Canonical messages -> OpenAI Responses items (the inverse of ``_responses_items``).

A canonical assistant message becomes its separate items again, in order; what the
Responses wire has no slot for is carried under ``_rollyard`` (lossless renders) or
left out, and noted in the ``ConversionReport`` either way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._canonical import (
    ContentForm,
    ConversionReport,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from ._errors import UnsupportedFeatureError
from ._fields import EXT_KEY, put_ext
from ._responses_items import (
    ASSISTANT_OPAQUE,
    ITEM,
    ITEM_STRING,
    MESSAGE_RESERVED,
    OPAQUE,
    OPAQUE_PARTS,
    PART_RESERVED,
    PART_TYPE,
)


@dataclass
class RenderCtx:
    """How to render. Extras are Responses fields only when ``origin == "responses"``
    (``native``); otherwise the renderer adds the wire defaults a fresh body needs, and
    ``marks`` says whether to record which of them the canonical object did not have
    (for a foreign origin, whose parse-back must restore it exactly)."""

    origin: str | None
    lossless: bool
    report: ConversionReport | None
    marks: bool = False

    @property
    def native(self) -> bool:
        return self.origin == "responses"

    def absent(self, out: dict[str, Any], *names: str) -> None:
        if self.marks and self.lossless and names:
            put_ext(out, absent=list(names))

    def note(self, message: str) -> None:
        if self.report is not None:
            self.report.warn(message if not message.startswith(": ") else "body" + message)

    def carry(self, out: dict[str, Any], path: str, what: str, **fields: Any) -> None:
        """Something with no Responses slot: into ``_rollyard`` (lossless) or left out;
        noted either way."""
        if self.lossless:
            put_ext(out, **fields)
            self.note(f"{path}: {what} has no Responses equivalent; carried in {EXT_KEY}")
        else:
            self.note(f"{path}: {what} has no Responses equivalent; left out")

    def merge(
        self, out: dict[str, Any], extra: dict[str, Any], path: str, reserved: frozenset[str] = frozenset()
    ) -> None:
        """Own extras back in place (canonical values win), or a foreign dialect's carried."""
        own = {k: v for k, v in extra.items() if k not in reserved}
        if not own:
            return
        if self.native:
            for key, value in own.items():
                out.setdefault(key, value)
        else:
            # Keys starting with "~" are another codec's shape bookkeeping, not fields.
            named = sorted(k for k in own if not k.startswith("~"))
            if named:
                self.carry(out, path, f"{self.origin} field(s) {', '.join(named)}", extra=own)
            elif self.lossless:
                put_ext(out, extra=own)


def opaque_entries(extra: dict[str, Any], key: str, native: bool) -> list[tuple[int, dict[str, Any]]]:
    """``(at, raw)`` pairs of a Responses-origin ``opaque_items`` / ``opaque_parts`` list."""
    if not native or not isinstance(extra.get(key), list):
        return []
    inner = "item" if key == OPAQUE else "part"
    return [
        (e["at"], e[inner])
        for e in extra[key]
        if isinstance(e, dict) and isinstance(e.get("at"), int) and isinstance(e.get(inner), dict)
    ]


def render_text(part: TextPart, role: str, rctx: RenderCtx, path: str, *, output: bool = False) -> dict[str, Any]:
    default = "output_text" if role == "assistant" else "input_text"
    kind = part.extra.get(PART_TYPE, default) if rctx.native else default
    out: dict[str, Any] = {"type": kind, ("refusal" if kind == "refusal" else "text"): part.text}
    if kind == "output_text" and output and not rctx.native:
        out["annotations"], out["logprobs"] = [], []
    rctx.merge(out, part.extra, path, PART_RESERVED)
    return out


def render_image(part: ImagePart, rctx: RenderCtx, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "input_image"}
    if part.url is not None:
        out["image_url"] = part.url
    elif part.data is not None:
        out["image_url"] = f"data:{part.media_type or 'application/octet-stream'};base64,{part.data}"
        if rctx.lossless:
            put_ext(out, inline=True)
    if part.detail is not None:
        out["detail"] = part.detail
    rctx.merge(out, part.extra, path)
    return out


def render_content(
    parts: list[Part], form: ContentForm, role: str, rctx: RenderCtx, path: str, opaque_parts: dict[str, Any]
) -> str | list[dict[str, Any]]:
    """Message or tool-output content: a bare string when the form says so and it fits."""
    opaque = opaque_entries(opaque_parts, OPAQUE_PARTS, rctx.native)
    if form == "string" and not opaque:
        if not parts:
            return ""
        only = parts[0]
        if len(parts) == 1 and isinstance(only, TextPart) and not only.extra:
            return only.text
    out: list[dict[str, Any]] = []
    for j, part in enumerate(parts):
        out.extend(raw for at, raw in opaque if at == j)
        p = f"{path}[{j}]"
        if isinstance(part, TextPart):
            out.append(render_text(part, role, rctx, p))
        elif isinstance(part, ImagePart):
            out.append(render_image(part, rctx, p))
        else:
            raise UnsupportedFeatureError(f"a {role} message cannot hold a {type(part).__name__}", field=p)
    out.extend(raw for at, raw in opaque if at >= len(parts) or at < 0)
    return out


def render_call(part: ToolCallPart, rctx: RenderCtx, path: str) -> dict[str, Any]:
    custom = part.kind == "custom"
    out: dict[str, Any] = {"type": "custom_tool_call" if custom else "function_call"}
    if part.item_id is not None:
        out["id"] = part.item_id
    out["call_id"] = part.id
    out["name"] = part.name
    out["input" if custom else "arguments"] = part.arguments
    if part.namespace is not None:
        out["namespace"] = part.namespace
    rctx.merge(out, part.extra, path)
    return out


def render_result(part: ToolResultPart, rctx: RenderCtx, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "custom_tool_call_output" if part.kind == "custom" else "function_call_output"}
    if part.item_id is not None:
        out["id"] = part.item_id
    out["call_id"] = part.call_id
    out["output"] = render_content(
        list[Part](part.content), part.content_form, "tool", rctx, f"{path}.content", part.extra
    )
    if part.content_form != ("string" if isinstance(out["output"], str) else "parts") and rctx.lossless:
        put_ext(out, content_form=part.content_form)  # shape bookkeeping, no information
    if part.is_error is not None:
        rctx.carry(out, path, "tool result is_error", is_error=part.is_error)
    rctx.merge(out, part.extra, path, PART_RESERVED)
    return out


def render_reasoning(part: ReasoningPart, rctx: RenderCtx, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "reasoning"}
    if part.id is not None:
        out["id"] = part.id
    if part.summary is not None:
        verbatim = part.extra.get("summary") if rctx.native else None
        if isinstance(verbatim, list) and [e.get("text") for e in verbatim if isinstance(e, dict)] == part.summary:
            out["summary"] = verbatim
        else:
            out["summary"] = [{"type": "summary_text", "text": s} for s in part.summary]
    elif not rctx.native:
        out["summary"] = []  # required on the wire
        rctx.absent(out, "summary")
    if part.text is not None:
        verbatim = part.extra.get("content") if rctx.native else None
        joined = (
            "".join(str(e.get("text")) for e in verbatim if isinstance(e, dict)) if isinstance(verbatim, list) else None
        )
        if joined == part.text:
            out["content"] = verbatim
        else:
            out["content"] = [{"type": "reasoning_text", "text": part.text}]
    if part.encrypted_content is not None:
        out["encrypted_content"] = part.encrypted_content
    if part.signature is not None:
        rctx.carry(out, path, "reasoning signature", signature=part.signature)
    if part.redacted_data is not None:
        rctx.carry(out, path, "redacted reasoning data", redacted_data=part.redacted_data)
    # Verbatim summary / content lists were used above only if they still match.
    verbatim_keys = frozenset(k for k in ("summary", "content") if isinstance(part.extra.get(k), list))
    rctx.merge(out, part.extra, path, verbatim_keys if rctx.native else frozenset())
    return out


def _apply_message_ext(
    message: Message,
    first: dict[str, Any] | None,
    rctx: RenderCtx,
    path: str,
    *,
    form: ContentForm,
    new: bool,
    id_placed: bool,
) -> None:
    """Message-level things the items cannot say, on the message's first item."""
    mext: dict[str, Any] = {}
    outcome = f"carried in {EXT_KEY}" if rctx.lossless and first is not None else "left out"
    if message.name is not None:
        rctx.note(f"{path}: message name has no Responses equivalent; {outcome}")
        mext["name"] = message.name
    if message.extra and not rctx.native:
        keys = ", ".join(sorted(k for k in message.extra if not k.startswith("~")))
        if keys:
            rctx.note(f"{path}: {rctx.origin} message field(s) {keys} have no Responses equivalent; {outcome}")
        mext["extra"] = message.extra
    if message.id is not None and not id_placed:
        rctx.note(f"{path}: message id has no Responses item to sit on; {outcome}")
        mext["id"] = message.id
    # Shape bookkeeping only (no information is lost without it).
    if message.content_form != form:
        mext["content_form"] = message.content_form
    if new:
        mext["new"] = True
    if mext and rctx.lossless and first is not None:
        put_ext(first, message=mext)


def render_assistant(
    message: Message, rctx: RenderCtx, path: str, *, output: bool = False, new: bool = False
) -> list[dict[str, Any]]:
    """One canonical assistant message -> its items, in order: a message item per run of
    text (or image) parts, one item per reasoning part and per call. ``new`` marks it
    as a separate turn from an assistant message just before it."""
    items: list[dict[str, Any]] = []
    message_items: list[tuple[dict[str, Any], bool]] = []  # (item, content wanted as a bare string)
    opaque = opaque_entries(message.extra, OPAQUE, rctx.native)
    current: dict[str, Any] | None = None
    first_used = False

    for i, part in enumerate(message.parts):
        for at, raw in opaque:
            if at == i:
                items.append(dict(raw))
                current = None
        p = f"{path}.parts[{i}]"
        if isinstance(part, (TextPart, ImagePart)):
            marker = part.extra.get(ITEM) if rctx.native else None
            if current is None or isinstance(marker, dict):
                current = {} if rctx.native else {"type": "message"}
                string = False
                if isinstance(marker, dict):
                    current.update(marker)
                    string = part.extra.get(ITEM_STRING) is True
                elif not first_used:
                    first_used = True
                    if message.id is not None:
                        current["id"] = message.id
                    string = message.content_form == "string"
                    if rctx.native:
                        current.update({k: v for k, v in message.extra.items() if k not in MESSAGE_RESERVED})
                current.update(role="assistant", content=[])
                if output and not rctx.native:
                    current["status"] = "completed"
                items.append(current)
                message_items.append((current, string))
            if isinstance(part, TextPart):
                current["content"].append(render_text(part, "assistant", rctx, p, output=output))
            else:
                current["content"].append(render_image(part, rctx, p))
        elif isinstance(part, ReasoningPart):
            current = None
            if not rctx.lossless and part.text is None and not part.summary and part.encrypted_content is None:
                what = "redacted reasoning data" if part.redacted_data is not None else "empty reasoning"
                rctx.note(f"{p}: {what} has no Responses equivalent; left out")
                continue
            items.append(render_reasoning(part, rctx, p))
        elif isinstance(part, ToolCallPart):
            current = None
            items.append(render_call(part, rctx, p))
        else:
            raise UnsupportedFeatureError(f"an assistant message cannot hold a {type(part).__name__}", field=p)
    items.extend(dict(raw) for at, raw in opaque if at >= len(message.parts) or at < 0)
    for item, string in message_items:
        # Output message items always carry a list of parts.
        if string and not output and _stringable(item["content"]):
            item["content"] = item["content"][0]["text"]
    form: ContentForm = "string" if message_items and isinstance(message_items[0][0]["content"], str) else "parts"
    if not items and not output:
        # An empty assistant turn still needs an item to stay a turn.
        items.append({"type": "message", "role": "assistant", "content": []})
    first = items[0] if items else None
    _apply_message_ext(message, first, rctx, path, form=form, new=new, id_placed=first_used)
    return items


def _stringable(content: list[dict[str, Any]]) -> bool:
    if len(content) != 1:
        return False
    only = content[0]
    return (
        only.get("type") == "output_text"
        and set(only) <= {"type", "text", "annotations", "logprobs"}
        and not only.get("annotations")
        and not only.get("logprobs")
    )


def render_messages(messages: list[Message], rctx: RenderCtx, path: str) -> list[dict[str, Any]]:
    """Canonical messages -> Responses input items."""
    out: list[dict[str, Any]] = []
    for mi, message in enumerate(messages):
        p = f"{path}[{mi}]"
        if message.role == "assistant":
            # Only needed when nothing between the two turns would end the first one.
            out.extend(render_assistant(message, rctx, p, new=bool(out) and _assistant_side(out[-1])))
        else:
            opaque = opaque_entries(message.extra, OPAQUE, rctx.native)
            out.extend(dict(raw) for at, raw in opaque if at == 0)
            out.extend(_render_other(message, rctx, p))
            out.extend(dict(raw) for at, raw in opaque if at != 0)
    return out


def _assistant_side(item: dict[str, Any]) -> bool:
    kind = item.get("type", "message" if "role" in item else "item_reference")
    if kind == "message":
        return item.get("role") == "assistant"
    return kind in ("reasoning", "function_call", "custom_tool_call") or kind in ASSISTANT_OPAQUE


def _render_other(message: Message, rctx: RenderCtx, path: str) -> list[dict[str, Any]]:
    if message.role == "tool":
        items = []
        for j, part in enumerate(message.parts):
            if not isinstance(part, ToolResultPart):
                raise UnsupportedFeatureError(
                    f"a tool message can only hold tool results, not a {type(part).__name__}",
                    field=f"{path}.parts[{j}]",
                )
            items.append(render_result(part, rctx, f"{path}.parts[{j}]"))
        first = items[0] if items else None
        if first is None:
            rctx.note(f"{path}: an empty tool message has no Responses item; left out")
        _apply_message_ext(message, first, rctx, path, form="parts", new=False, id_placed=False)
        return items
    for j, part in enumerate(message.parts):
        if not isinstance(part, (TextPart, ImagePart)):
            raise UnsupportedFeatureError(
                f"a {message.role} message cannot hold a {type(part).__name__}", field=f"{path}.parts[{j}]"
            )
    item: dict[str, Any] = {} if rctx.native else {"type": "message"}
    if message.id is not None:
        item["id"] = message.id
    item["role"] = message.role
    item["content"] = render_content(
        message.parts, message.content_form, message.role, rctx, f"{path}.parts", message.extra
    )
    if rctx.native:
        rctx.merge(item, message.extra, path, MESSAGE_RESERVED)
    form: ContentForm = "string" if isinstance(item["content"], str) else "parts"
    _apply_message_ext(message, item, rctx, path, form=form, new=False, id_placed=True)
    return [item]
