"""Anthropic Messages (``POST /v1/messages``) codec: requests and errors here; content
in ``_anthropic_messages``, responses and streams in ``_anthropic_response``.

Top-level ``system`` becomes the leading canonical system message; Claude Code's
``role: "system"`` messages mid-conversation stay in place. Bodies rendered for a real
backend (``lossless=False``) are made acceptable to it: orphaned tool_use gets an
error result, orphaned tool_result is dropped, unsigned reasoning is dropped, and a
thinking budget above ``max_tokens`` is clamped, each noted in the report."""

from __future__ import annotations

from typing import Any

from ._anthropic_messages import own_extra, parse_message, render_group
from ._anthropic_response import decode_stream, encode_stream, parse_response, render_response
from ._canonical import (
    ConversionReport,
    Message,
    ReasoningConfig,
    Request,
    TextPart,
    ToolChoice,
    ToolSpec,
)
from ._codec import Codec
from ._errors import MalformedRequestError, WireError
from ._fields import EXT_KEY, as_list, as_object, ext_of, opt, put_ext, req
from ._serialize import (
    carry_request,
    message_from_json,
    message_to_json,
    restore_request,
    same_messages,
)

_TOP_KNOWN = frozenset(
    {
        "model",
        "messages",
        "system",
        "max_tokens",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "stop_sequences",
        "stream",
        "thinking",
    }
)
DEFAULT_MAX_TOKENS = 4096


def _parse_system(value: Any) -> Message | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Message("system", [TextPart(value)], content_form="string", extra={"~anthropic_system": True})
    parts: list[Any] = []
    for i, block in enumerate(as_list(value, "system")):
        block = as_object(block, f"system[{i}]")
        if req(block, "type", str, f"system[{i}]") != "text":
            raise MalformedRequestError("system blocks must be text", field=f"system[{i}].type")
        text = req(block, "text", str, f"system[{i}]")
        parts.append(TextPart(text, extra={k: v for k, v in block.items() if k not in ("type", "text")}))
    return Message("system", parts, content_form="parts", extra={"~anthropic_system": True})


def _parse_tool(obj: Any, path: str) -> ToolSpec:
    obj = as_object(obj, path)
    kind = obj.get("type")
    if kind not in (None, "custom"):
        name = req(obj, "name", str, path)
        return ToolSpec(name=name, kind="builtin", raw=obj)
    name = req(obj, "name", str, path)
    extra = {k: v for k, v in obj.items() if k not in ("name", "description", "input_schema")}
    return ToolSpec(
        name=name,
        description=opt(obj, "description", str, path),
        parameters=opt(obj, "input_schema", dict, path),
        extra=extra,
    )


def _parse_tool_choice(value: Any) -> tuple[ToolChoice | None, bool | None]:
    if value is None:
        return None, None
    obj = as_object(value, "tool_choice")
    kind = req(obj, "type", str, "tool_choice")
    modes = {"auto": "auto", "any": "required", "none": "none", "tool": "tool"}
    if kind not in modes:
        raise MalformedRequestError(f"unknown tool_choice type {kind!r}", field="tool_choice.type")
    name = opt(obj, "name", str, "tool_choice") if kind == "tool" else None
    if kind == "tool" and name is None:
        raise MalformedRequestError("required field is missing", field="tool_choice.name")
    disable = opt(obj, "disable_parallel_tool_use", bool, "tool_choice")
    choice = ToolChoice(modes[kind], name, extra={"~raw": obj})  # type: ignore[arg-type]
    return choice, (None if disable is None else not disable)


def _parse_thinking(value: Any) -> ReasoningConfig | None:
    if value is None:
        return None
    obj = as_object(value, "thinking")
    return ReasoningConfig(
        thinking_type=req(obj, "type", str, "thinking"),
        budget_tokens=opt(obj, "budget_tokens", int, "thinking"),
        extra={"~raw": obj},
    )


def parse_request(body: dict[str, Any]) -> Request:
    """An Anthropic Messages body -> canonical ``Request`` (strict: malformed input
    raises ``MalformedRequestError`` naming the field)."""
    body = as_object(body, "body")
    model = req(body, "model", str, "")
    max_tokens = req(body, "max_tokens", int, "")
    messages: list[Message] = []
    ext = ext_of(body)
    carried_system = ext.get("system_messages")
    system = _parse_system(body.get("system"))
    if isinstance(carried_system, list) and system is not None:
        restored = [message_from_json(m, f"{EXT_KEY}.system_messages[{i}]") for i, m in enumerate(carried_system)]
        if "".join(m.text for m in restored) == system.text:
            messages.extend(restored)
        else:
            messages.append(system)
    elif system is not None:
        messages.append(system)
    for index, raw in enumerate(req(body, "messages", list, "")):
        messages.extend(parse_message(raw, index))
    tools = [_parse_tool(t, f"tools[{i}]") for i, t in enumerate(as_list(body.get("tools") or [], "tools"))]
    choice, parallel = _parse_tool_choice(body.get("tool_choice"))
    stop = opt(body, "stop_sequences", list, "")
    if stop is not None and not all(isinstance(s, str) for s in stop):
        raise MalformedRequestError("expected a list of strings", field="stop_sequences")
    extra = {k: v for k, v in body.items() if k not in _TOP_KNOWN and k != EXT_KEY}
    extra["~order"] = [k for k in body if k != EXT_KEY]
    request = Request(
        model=model,
        messages=messages,
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=parallel,
        max_tokens=max_tokens,
        temperature=opt(body, "temperature", float, ""),
        top_p=opt(body, "top_p", float, ""),
        stop=stop,
        stream=bool(opt(body, "stream", bool, "")),
        reasoning=_parse_thinking(body.get("thinking")),
        origin="anthropic",
        extra=extra,
    )
    request = restore_request(request, ext, "anthropic")
    for message in request.messages:
        carried = message.extra.pop("~carried", False)
        if request.origin != "anthropic" and not carried:
            # Anthropic bookkeeping means nothing to the request's own dialect.
            message.extra = {k: v for k, v in message.extra.items() if not k.startswith("~")}
            for part in message.parts:
                part.extra = {k: v for k, v in part.extra.items() if not k.startswith("~")}
    return request


# ---- rendering ----


def _native_is_exact(group: list[Message], rendered: dict[str, Any]) -> bool:
    try:
        back = parse_message(rendered, 0)
    except WireError:
        return False
    return same_messages(group, back)


def _groups(messages: list[Message], own: bool) -> list[list[Message]]:
    groups: list[list[Message]] = []
    for message in messages:
        previous = groups[-1] if groups else None
        gid = message.extra.get("~group") if own else None
        gid_previous = previous[0].extra.get("~group") if own and previous is not None else None
        if gid is not None and gid_previous is not None:
            # Split from one Anthropic message: merged back by their shared id.
            if gid == gid_previous:
                previous.append(message)  # type: ignore[union-attr]
                continue
        elif previous is not None and previous[-1].role == "tool" and message.role in ("tool", "user"):
            if not (message.role == "user" and any(m.role == "user" for m in previous)):
                previous.append(message)
                continue
        groups.append([message])
    return groups


def _system_blocks(messages: list[Message]) -> Any:
    if len(messages) == 1 and messages[0].content_form == "string" and len(messages[0].parts) == 1:
        return messages[0].text
    return [{"type": "text", "text": p.text} for m in messages for p in m.parts if isinstance(p, TextPart)]


def _fix_orphans(rendered: list[dict[str, Any]], report: ConversionReport) -> list[dict[str, Any]]:
    """Make tool_use / tool_result pairs what Anthropic requires (upstream bodies)."""
    out: list[dict[str, Any]] = []
    pending: list[str] = []
    for message in rendered:
        blocks = message["content"] if isinstance(message["content"], list) else None
        if message["role"] == "user" and blocks is not None:
            kept = []
            for block in blocks:
                if block.get("type") == "tool_result" and block.get("tool_use_id") not in pending:
                    report.warn(f"dropped an orphaned tool_result for {block.get('tool_use_id')!r}")
                    continue
                kept.append(block)
            answered = {b.get("tool_use_id") for b in kept if b.get("type") == "tool_result"}
            missing = [i for i in pending if i not in answered]
            message = {**message, "content": _missing_results(missing, report) + kept}
            pending = []
        elif pending:
            out.append({"role": "user", "content": _missing_results(pending, report)})
            pending = []
        if message["role"] == "assistant" and isinstance(message["content"], list):
            pending = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
        out.append(message)
    if pending:
        out.append({"role": "user", "content": _missing_results(pending, report)})
    return out


def _missing_results(ids: list[str], report: ConversionReport) -> list[dict[str, Any]]:
    for call_id in ids:
        report.warn(f"tool_use {call_id!r} had no result; sent an error result")
    return [{"type": "tool_result", "tool_use_id": i, "is_error": True, "content": "tool result missing"} for i in ids]


def _render_tool(spec: ToolSpec, own: bool, lossless: bool, report: ConversionReport) -> dict[str, Any] | None:
    if spec.kind == "function":
        out: dict[str, Any] = {"name": spec.name}
        if spec.description is not None:
            out["description"] = spec.description
        out["input_schema"] = spec.parameters if spec.parameters is not None else {"type": "object", "properties": {}}
        return {**out, **(own_extra(spec.extra) if own else {})}
    if own and spec.raw is not None:
        return spec.raw
    report.warn(f"{spec.kind} tool {spec.name!r} has no Anthropic form: " + ("carried" if lossless else "left out"))
    return None


def _render_tool_choice(choice: ToolChoice | None, parallel: bool | None, own: bool) -> dict[str, Any] | None:
    if own and choice is not None and "~raw" in choice.extra:
        return dict(choice.extra["~raw"])
    if choice is None and parallel is not False:
        return None
    mode = choice.mode if choice is not None else "auto"
    out: dict[str, Any] = {"type": {"auto": "auto", "required": "any", "none": "none", "tool": "tool"}[mode]}
    if mode == "tool" and choice is not None:
        out["name"] = choice.name
    if parallel is False and mode != "none":
        out["disable_parallel_tool_use"] = True
    return out


def _render_thinking(
    config: ReasoningConfig, own: bool, max_tokens: int, lossless: bool, report: ConversionReport
) -> Any:
    raw = config.extra.get("~raw") if own else None
    thinking: dict[str, Any] | None = dict(raw) if isinstance(raw, dict) else None
    if thinking is None:
        if config.thinking_type is None and config.budget_tokens is None:
            return None
        thinking = {"type": config.thinking_type or "enabled"}
        if config.budget_tokens is not None:
            thinking["budget_tokens"] = config.budget_tokens
    budget = thinking.get("budget_tokens")
    if not lossless and isinstance(budget, int) and budget >= max_tokens:
        if max_tokens <= 1024:
            report.warn(f"thinking dropped: max_tokens {max_tokens} leaves no room for a 1024-token budget")
            return None
        thinking["budget_tokens"] = max(1024, max_tokens - 1)
        report.warn(f"thinking budget {budget} clamped to {thinking['budget_tokens']} (below max_tokens {max_tokens})")
    return thinking


def render_request(
    request: Request, *, lossless: bool = True, report: ConversionReport | None = None
) -> dict[str, Any]:
    """Canonical ``Request`` -> Anthropic Messages body."""
    report = report if report is not None else ConversionReport()
    own = request.origin == "anthropic"
    carry = lossless and request.origin not in ("anthropic", None)
    messages = list(request.messages)
    lead: list[Message] = []
    if own:
        # The top-level system (a system message in ``messages`` carries a ~group).
        first = messages[0] if messages else None
        if first is not None and first.role in ("system", "developer") and "~group" not in first.extra:
            lead = [messages.pop(0)]
    else:
        while messages and messages[0].role in ("system", "developer"):
            lead.append(messages.pop(0))
    body: dict[str, Any] = {"model": request.model}
    max_tokens = request.max_tokens if request.max_tokens is not None else DEFAULT_MAX_TOKENS
    body["max_tokens"] = max_tokens
    if lead:
        if own:
            system = lead[0]
            if system.content_form == "string":
                body["system"] = system.text
            else:
                texts = [p for p in system.parts if isinstance(p, TextPart)]
                body["system"] = [{"type": "text", "text": p.text, **own_extra(p.extra)} for p in texts]
        else:
            body["system"] = _system_blocks(lead)
            system_back = _parse_system(body["system"])
            if lossless and not (system_back is not None and same_messages(lead, [system_back])):
                put_ext(body, system_messages=[message_to_json(m) for m in lead])
            if any(m.role == "developer" for m in lead):
                how = "their role is carried in _rollyard" if lossless else "their role is lost"
                report.warn(f"developer messages became the Anthropic system prompt ({how})")
    rendered: list[dict[str, Any]] = []
    for group in _groups(messages, own):
        out = render_group(group, native=own, lossless=lossless, carry=False, report=report)
        if lossless and not _native_is_exact(group, out):
            put_ext(out, messages=[message_to_json(m) for m in group])
            if not own:
                report.warn(
                    f"messages[{len(rendered)}] has no exact Anthropic form (ids, reasoning payloads, "
                    "roles or fields of another dialect): carried in _rollyard"
                )
        rendered.append(out)
    if not lossless:
        rendered = _fix_orphans(rendered, report)
    body["messages"] = rendered
    tools = [t for t in (_render_tool(s, own, lossless, report) for s in request.tools) if t is not None]
    if tools or (own and "tools" in request.extra.get("~order", [])):
        body["tools"] = tools
    choice = _render_tool_choice(request.tool_choice, request.parallel_tool_calls, own)
    if choice is not None and (tools or own):
        body["tool_choice"] = choice
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop is not None:
        body["stop_sequences"] = request.stop
    if request.stream or (own and "stream" in request.extra.get("~order", [])):
        body["stream"] = request.stream
    if request.reasoning is not None:
        thinking = _render_thinking(request.reasoning, own, max_tokens, lossless, report)
        if thinking is not None:
            body["thinking"] = thinking
        elif request.reasoning.effort is not None and not own:
            report.warn(f"reasoning effort {request.reasoning.effort!r} has no Anthropic form")
    if own:
        body.update(own_extra(request.extra))
        order = request.extra.get("~order")
        if order:
            body = {k: body[k] for k in order if k in body} | {k: v for k, v in body.items() if k not in order}
    elif request.origin is not None:
        named = sorted(own_extra(request.extra))
        if named:
            report.warn(f"{request.origin} fields {named} have no Anthropic form")
        if carry:
            carry_request(body, request)
    return body


_ERROR_TYPES = {
    "invalid_request": "invalid_request_error",
    "unsupported": "invalid_request_error",
    "not_found": "not_found_error",
    "too_large": "request_too_large",
    "upstream": "api_error",
    "timeout": "timeout_error",
    "overloaded": "overloaded_error",
    "internal": "api_error",
}


def render_error(error: WireError) -> tuple[int, dict[str, Any]]:
    """The Anthropic error shape: ``{"type": "error", "error": {"type", "message"}}``."""
    return error.status, {"type": "error", "error": {"type": _ERROR_TYPES[error.kind], "message": str(error)}}


ANTHROPIC = Codec(
    dialect="anthropic",
    parse_request=parse_request,
    render_request=render_request,
    parse_response=parse_response,
    render_response=render_response,
    encode_stream=encode_stream,
    decode_stream=decode_stream,
    render_error=render_error,
)
