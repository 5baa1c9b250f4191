"""OpenAI Responses items -> canonical messages and parts (``_responses_render`` is the
inverse). Shared by requests (``input``) and responses (``output``). Consecutive assistant-side
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

from dataclasses import dataclass, field
from typing import Any

from ._canonical import ContentForm, ImagePart, Message, Part, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from ._errors import MalformedRequestError, WireError
from ._fields import EXT_KEY, as_list, as_object, opt, req

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
    ext = ctx.ext(obj, path)
    part.is_error = opt(ext, "is_error", bool, join(path, EXT_KEY), ctx.error)
    if opt(ext, "content_form", str, join(path, EXT_KEY), ctx.error) in ("string", "parts"):
        part.content_form = ext["content_form"]
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
