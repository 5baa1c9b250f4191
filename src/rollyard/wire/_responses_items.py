"""OpenAI Responses items <-> canonical messages and parts.

Shared by requests (``input``) and responses (``output``). Consecutive assistant-side
items (reasoning, assistant message, function / custom calls) fold into ONE canonical
assistant message, in order, and render back as the same separate items.

Responses-origin bookkeeping kept in canonical ``extra`` dicts (only read back when the
request's origin is ``responses``):

- message ``opaque_items``: ``[{"at": i, "item": raw}]``, documented items with no
  canonical slot (``web_search_call``, ``item_reference``, ``compaction``...), rendered
  verbatim before part ``i`` of the message; ``at = -1`` means after the whole message.
- message / tool result ``opaque_parts``: ``[{"at": i, "part": raw}]``, the same for
  content parts such as ``input_file``.
- text part ``item`` (+ ``item_string``): the part opens a further assistant message
  item of the group, with those item fields (the group's first message item lives on the
  ``Message`` itself: ``id``, ``content_form``, ``extra``).
- text part ``type``: the wire part type when not the role's default (``refusal``...).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
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
from ._errors import MalformedRequestError, UnsupportedFeatureError, WireError
from ._fields import EXT_KEY, as_list, as_object, opt, put_ext, req

ASSISTANT_OPAQUE = frozenset(
    {
        "file_search_call",
        "computer_call",
        "web_search_call",
        "image_generation_call",
        "code_interpreter_call",
        "local_shell_call",
        "shell_call",
        "apply_patch_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "mcp_call",
        "tool_search_call",
        "compaction",
        "program",
    }
)
"""Documented model-generated item types with no canonical slot: kept verbatim in the
assistant message they sit in."""

CLIENT_OPAQUE = frozenset(
    {
        "computer_call_output",
        "local_shell_call_output",
        "shell_call_output",
        "apply_patch_call_output",
        "mcp_approval_response",
        "item_reference",
        "compaction_trigger",
        "program_output",
        "additional_tools",
        "configuration_update",
        "tool_search_output",
    }
)
"""Documented client-side item types with no canonical slot: kept verbatim after the
message before them (before the first message when nothing precedes them)."""

OPAQUE = "opaque_items"
OPAQUE_PARTS = "opaque_parts"
ITEM = "item"
ITEM_STRING = "item_string"
PART_TYPE = "type"
MESSAGE_RESERVED = frozenset({OPAQUE, OPAQUE_PARTS, "instructions", "input_string"})
PART_RESERVED = frozenset({ITEM, ITEM_STRING, PART_TYPE, OPAQUE_PARTS})

_MESSAGE_KNOWN = frozenset({"role", "content", "id"})
_TEXT_KNOWN = frozenset({"type", "text"})
_REFUSAL_KNOWN = frozenset({"type", "refusal"})
_IMAGE_KNOWN = frozenset({"type", "image_url", "detail"})
_CALL_KNOWN = frozenset({"type", "id", "call_id", "name", "arguments", "input", "namespace"})
_RESULT_KNOWN = frozenset({"type", "id", "call_id", "output"})
_REASONING_KNOWN = frozenset({"type", "id", "summary", "content", "encrypted_content"})
_OPAQUE_PART_TYPES = frozenset({"input_file", "input_audio"})


# ---- parsing ----


def join(path: str, *keys: str) -> str:
    """A dotted field path (the top-level object has the empty path)."""
    return ".".join(k for k in (path, *keys) if k)


@dataclass
class ParseCtx:
    """How to read one body: ``foreign`` when it carries another dialect's request
    (restored from ``_rollyard``), whose extras then come from each object's extension."""

    foreign: bool = False
    error: type[WireError] = MalformedRequestError

    def extra(self, obj: dict[str, Any], known: frozenset[str], path: str) -> dict[str, Any]:
        if self.foreign:
            value = self.ext(obj, path).get("extra")
            return {} if value is None else dict(as_object(value, join(path, EXT_KEY, "extra"), self.error))
        # Explicit nulls of known fields are kept too, so a re-render gives them back.
        return {k: v for k, v in obj.items() if k != EXT_KEY and (k not in known or v is None)}

    def ext(self, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """The object's ``_rollyard`` extension, checked to be an object."""
        value = obj.get(EXT_KEY)
        return {} if value is None else as_object(value, join(path, EXT_KEY), self.error)

    def fail(self, message: str, path: str) -> WireError:
        return self.error(message, field=path)


def _type_of(obj: dict[str, Any], path: str, ctx: ParseCtx) -> str:
    return req(obj, "type", str, path, ctx.error)


def parse_content(
    content: Any, path: str, ctx: ParseCtx, role: str
) -> tuple[list[TextPart | ImagePart], ContentForm, list[dict[str, Any]]]:
    """A message's (or tool output's) content: parts, form, opaque parts."""
    if isinstance(content, str):
        return [TextPart(content)], "string", []
    parts: list[TextPart | ImagePart] = []
    opaque: list[dict[str, Any]] = []
    default_text = "output_text" if role == "assistant" else "input_text"
    for j, raw in enumerate(as_list(content, path, ctx.error)):
        p = f"{path}[{j}]"
        obj = as_object(raw, p, ctx.error)
        kind = _type_of(obj, p, ctx)
        allowed_text = {"input_text", "output_text", "refusal"} if role == "assistant" else {"input_text"}
        if kind in allowed_text:
            text_key = "refusal" if kind == "refusal" else "text"
            part = TextPart(req(obj, text_key, str, p, ctx.error))
            part.extra = ctx.extra(obj, _REFUSAL_KNOWN if kind == "refusal" else _TEXT_KNOWN, p)
            if kind != default_text and not ctx.foreign:
                part.extra[PART_TYPE] = kind
            parts.append(part)
        elif kind == "input_image":
            parts.append(_parse_image(obj, p, ctx))
        elif kind in _OPAQUE_PART_TYPES:
            opaque.append({"at": len(parts), "part": obj})
        else:
            raise ctx.fail(f"unknown content part type {kind!r} for role {role!r}", f"{p}.type")
    return parts, "parts", opaque


def _parse_image(obj: dict[str, Any], path: str, ctx: ParseCtx) -> ImagePart:
    url = opt(obj, "image_url", str, path, ctx.error)
    part = ImagePart(url=url, detail=opt(obj, "detail", str, path, ctx.error))
    part.extra = ctx.extra(obj, _IMAGE_KNOWN, path)
    if ctx.ext(obj, path).get("inline") and url and url.startswith("data:") and ";base64," in url:
        head, _, data = url.partition(";base64,")
        part.url, part.data, part.media_type = None, data, head[5:]
    return part


def parse_call(obj: dict[str, Any], path: str, ctx: ParseCtx, custom: bool) -> ToolCallPart:
    """A ``function_call`` or ``custom_tool_call`` item."""
    part = ToolCallPart(
        id=req(obj, "call_id", str, path, ctx.error),
        name=req(obj, "name", str, path, ctx.error),
        arguments=req(obj, "input" if custom else "arguments", str, path, ctx.error),
        kind="custom" if custom else "function",
        item_id=opt(obj, "id", str, path, ctx.error),
        namespace=opt(obj, "namespace", str, path, ctx.error),
    )
    part.extra = ctx.extra(obj, _CALL_KNOWN, path)
    return part


def parse_result(obj: dict[str, Any], path: str, ctx: ParseCtx, custom: bool) -> ToolResultPart:
    """A ``function_call_output`` or ``custom_tool_call_output`` item."""
    output = req(obj, "output", (str, list), path, ctx.error)
    content, form, opaque = parse_content(output, f"{path}.output", ctx, "tool")
    part = ToolResultPart(
        call_id=req(obj, "call_id", str, path, ctx.error),
        content=content,
        content_form=form,
        kind="custom" if custom else "function",
        item_id=opt(obj, "id", str, path, ctx.error),
    )
    part.extra = ctx.extra(obj, _RESULT_KNOWN, path)
    if opaque and not ctx.foreign:
        part.extra[OPAQUE_PARTS] = opaque
    part.is_error = opt(ctx.ext(obj, path), "is_error", bool, join(path, EXT_KEY), ctx.error)
    return part


def _texts(raw: Any, kind: str, path: str, ctx: ParseCtx) -> tuple[list[str], bool]:
    """Texts of a reasoning ``summary`` / ``content`` list, and whether the entries carry
    more than ``type`` + ``text`` (then the list is kept verbatim)."""
    texts: list[str] = []
    plain = True
    for k, entry in enumerate(as_list(raw, path, ctx.error)):
        obj = as_object(entry, f"{path}[{k}]", ctx.error)
        if _type_of(obj, f"{path}[{k}]", ctx) != kind:
            raise ctx.fail(f"expected type {kind!r}", f"{path}[{k}].type")
        texts.append(req(obj, "text", str, f"{path}[{k}]", ctx.error))
        plain = plain and set(obj) == {"type", "text"}
    return texts, plain


def parse_reasoning(obj: dict[str, Any], path: str, ctx: ParseCtx) -> ReasoningPart:
    """A ``reasoning`` item."""
    part = ReasoningPart(
        id=opt(obj, "id", str, path, ctx.error),
        encrypted_content=opt(obj, "encrypted_content", str, path, ctx.error),
    )
    part.extra = ctx.extra(obj, _REASONING_KNOWN, path)
    if obj.get("summary") is not None:
        part.summary, plain = _texts(obj["summary"], "summary_text", f"{path}.summary", ctx)
        if not plain and not ctx.foreign:
            part.extra["summary"] = obj["summary"]
    if obj.get("content") is not None:
        texts, plain = _texts(obj["content"], "reasoning_text", f"{path}.content", ctx)
        part.text = "".join(texts)
        if (not plain or len(texts) != 1) and not ctx.foreign:
            part.extra["content"] = obj["content"]
    ext = ctx.ext(obj, path)
    e_path = join(path, EXT_KEY)
    part.signature = opt(ext, "signature", str, e_path, ctx.error)
    part.redacted_data = opt(ext, "redacted_data", str, e_path, ctx.error)
    if "summary" in (opt(ext, "absent", list, e_path, ctx.error) or []):
        part.summary = None
    return part


@dataclass
class ItemFolder:
    """Folds items into canonical messages (assistant-side items grouped into one)."""

    ctx: ParseCtx
    messages: list[Message] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    """Client-side opaque items seen before any message."""
    _group: Message | None = None
    _group_has_message: bool = False
    _overrides: list[tuple[Message, dict[str, Any], str]] = field(default_factory=list)

    def feed(self, raw: Any, path: str, *, output: bool = False) -> None:
        """One item. In a response ``output`` every item belongs to the one assistant
        message, so call outputs there are kept verbatim like other opaque items."""
        ctx = self.ctx
        obj = as_object(raw, path, ctx.error)
        kind = obj.get("type")
        if kind is None:
            if "role" in obj:
                kind = "message"
            elif "id" in obj:
                kind = "item_reference"  # its ``type`` is optional
            else:
                raise ctx.fail("required field is missing", join(path, "type"))
        if not isinstance(kind, str):
            raise ctx.fail(f"expected str, got {type(kind).__name__}", join(path, "type"))
        mext_raw = ctx.ext(obj, path).get("message")
        mext = None if mext_raw is None else as_object(mext_raw, join(path, EXT_KEY, "message"), ctx.error)
        results = ("function_call_output", "custom_tool_call_output")
        if kind == "message":
            self._message(obj, path, mext, output)
        elif kind in ("function_call", "custom_tool_call"):
            self._assistant(mext, path).parts.append(parse_call(obj, path, ctx, kind == "custom_tool_call"))
        elif kind == "reasoning":
            self._assistant(mext, path).parts.append(parse_reasoning(obj, path, ctx))
        elif kind in results and not output:
            result = parse_result(obj, path, ctx, kind == "custom_tool_call_output")
            self._add(Message("tool", [result]), mext, path)
        elif kind in ASSISTANT_OPAQUE or (output and (kind in CLIENT_OPAQUE or kind in results)):
            group = self._assistant(mext, path)
            group.extra.setdefault(OPAQUE, []).append({"at": len(group.parts), "item": obj})
        elif kind in CLIENT_OPAQUE:
            if self.messages:
                self.messages[-1].extra.setdefault(OPAQUE, []).append({"at": -1, "item": obj})
                self._group = None
            else:
                self.pending.append(obj)
        else:
            raise ctx.fail(f"unknown item type {kind!r}", join(path, "type"))

    def _message(self, obj: dict[str, Any], path: str, mext: dict[str, Any] | None, output: bool) -> None:
        ctx = self.ctx
        role = req(obj, "role", str, path, ctx.error)
        allowed = ("assistant",) if output else ("user", "assistant", "system", "developer")
        if role not in allowed:
            raise ctx.fail(f"unknown role {role!r}", join(path, "role"))
        content = req(obj, "content", (str, list), path, ctx.error)
        parts, form, opaque = parse_content(content, join(path, "content"), ctx, role)
        item_id = opt(obj, "id", str, path, ctx.error)
        extra = ctx.extra(obj, _MESSAGE_KNOWN, path)
        if role != "assistant":
            message = Message(role, list[Part](parts), content_form=form, id=item_id, extra=extra)  # type: ignore[arg-type]
            if opaque and not ctx.foreign:
                message.extra[OPAQUE_PARTS] = opaque
            self._add(message, mext, path)
            return
        if not ctx.foreign and (opaque or not parts):
            # No canonical shape holds an empty or file-carrying assistant message item.
            group = self._assistant(mext, path)
            group.extra.setdefault(OPAQUE, []).append({"at": len(group.parts), "item": obj})
            return
        group = self._assistant(mext, path)
        if not self._group_has_message:
            self._group_has_message = True
            group.id, group.content_form = item_id, form
            if not ctx.foreign:
                group.extra.update(extra)
        elif parts and not ctx.foreign:
            parts[0].extra[ITEM] = {k: v for k, v in obj.items() if k not in ("content", "role", EXT_KEY)}
            if form == "string":
                parts[0].extra[ITEM_STRING] = True
        group.parts.extend(parts)

    def _assistant(self, mext: dict[str, Any] | None, path: str) -> Message:
        if self._group is None or mext is not None:
            group = Message("assistant", [])
            self._add(group, mext, path)
            self._group, self._group_has_message = group, False
        return self._group

    def _add(self, message: Message, mext: dict[str, Any] | None, path: str) -> None:
        self._group = None
        if self.pending:
            message.extra.setdefault(OPAQUE, [])[:0] = [{"at": 0, "item": it} for it in self.pending]
            self.pending = []
        if mext is not None:
            self._overrides.append((message, mext, join(path, EXT_KEY, "message")))
        self.messages.append(message)

    def finish(self) -> list[Message]:
        """The messages, with message-level extension fields applied last (they win over
        what the items implied, e.g. ``content_form``)."""
        for message, mext, path in self._overrides:
            message.name = opt(mext, "name", str, path, self.ctx.error)
            if self.ctx.foreign:
                message.extra = dict(opt(mext, "extra", dict, path, self.ctx.error) or {})
            form = opt(mext, "content_form", str, path, self.ctx.error)
            if form is not None:
                if form not in ("string", "parts"):
                    raise self.ctx.fail(f"unknown content form {form!r}", f"{path}.content_form")
                message.content_form = form  # type: ignore[assignment]
            message_id = opt(mext, "id", str, path, self.ctx.error)
            if message_id is not None:
                message.id = message_id
        return self.messages


# ---- rendering ----


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
            self.report.warn(message)

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
            self.carry(out, path, f"{self.origin} field(s) {', '.join(sorted(own))}", extra=own)


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
        if len(parts) == 1 and isinstance(only, TextPart) and not (set(only.extra) - {PART_TYPE}):
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
        list[Part](part.content), part.content_form, "tool", rctx, f"{path}.output", part.extra
    )
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
    rctx.merge(out, part.extra, path)
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
    if message.name is not None:
        rctx.note(f"{path}: message name has no Responses equivalent" + ("" if rctx.lossless else "; left out"))
        mext["name"] = message.name
    if message.extra and not rctx.native:
        keys = ", ".join(sorted(message.extra))
        rctx.note(f"{path}: {rctx.origin} message field(s) {keys} have no Responses equivalent")
        mext["extra"] = message.extra
    if message.id is not None and not id_placed:
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
    """One canonical assistant message -> its items, in order. ``new`` marks it as a
    separate turn from an assistant message just before it."""
    items: list[dict[str, Any]] = []
    message_items: list[dict[str, Any]] = []
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
                current["_string"] = string
                items.append(current)
                message_items.append(current)
            if isinstance(part, TextPart):
                current["content"].append(render_text(part, "assistant", rctx, p, output=output))
            else:
                current["content"].append(render_image(part, rctx, p))
        elif isinstance(part, ReasoningPart):
            current = None
            items.append(render_reasoning(part, rctx, p))
        elif isinstance(part, ToolCallPart):
            current = None
            items.append(render_call(part, rctx, p))
        else:
            raise UnsupportedFeatureError(f"an assistant message cannot hold a {type(part).__name__}", field=p)
    items.extend(dict(raw) for at, raw in opaque if at >= len(message.parts) or at < 0)
    for item in message_items:
        if item.pop("_string") and _stringable(item["content"]):
            item["content"] = item["content"][0]["text"]
    form: ContentForm = "string" if message_items and isinstance(message_items[0]["content"], str) else "parts"
    if not items and not output:
        # An empty assistant turn still needs an item to stay a turn.
        items.append(
            {"type": "message", "role": "assistant", "content": "" if message.content_form == "string" else []}
        )
        form = message.content_form
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
    previous: str | None = None
    for mi, message in enumerate(messages):
        p = f"{path}[{mi}]"
        if message.role == "assistant":
            out.extend(render_assistant(message, rctx, p, new=previous == "assistant"))
        else:
            opaque = opaque_entries(message.extra, OPAQUE, rctx.native)
            out.extend(dict(raw) for at, raw in opaque if at == 0)
            out.extend(_render_other(message, rctx, p))
            out.extend(dict(raw) for at, raw in opaque if at != 0)
        previous = message.role
    return out


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
    item["content"] = render_content(message.parts, message.content_form, message.role, rctx, path, message.extra)
    if rctx.native:
        rctx.merge(item, message.extra, path, MESSAGE_RESERVED)
    form: ContentForm = "string" if isinstance(item["content"], str) else "parts"
    _apply_message_ext(message, item, rctx, path, form=form, new=False, id_placed=True)
    return [item]


def iter_parts(messages: list[Message]) -> Iterator[Part]:
    for message in messages:
        yield from message.parts
