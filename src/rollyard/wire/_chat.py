"""OpenAI Chat Completions (``POST /v1/chat/completions``) codec: requests and errors
here; messages in ``_chat_messages``, responses in ``_chat_response``, streams in
``_chat_stream``.

A chat request parsed and rendered again is the same body. A request from another
dialect renders natively where chat can say it; in lossless mode whatever it cannot
(reasoning signatures, Responses item ids, namespace and built-in tools, the other
dialect's own fields) rides in ``_rollyard`` and comes back on the way home."""

from __future__ import annotations

from typing import Any

from ._canonical import ConversionReport, Message, ReasoningConfig, Request, ToolChoice, ToolSpec
from ._chat_messages import native_is_exact, not_native, own_extra, parse_message_ex, render_message
from ._chat_response import parse_response, render_response
from ._chat_stream import decode_stream, encode_stream
from ._codec import Codec
from ._errors import MalformedRequestError, openai_error
from ._fields import EXT_KEY, as_object, ext_of, opt, put_ext, req
from ._serialize import (
    carry_request,
    message_to_json,
    restore_request,
    without_bookkeeping,
)

_TOP_KNOWN = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stop",
        "stream",
        "stream_options",
        "logprobs",
        "top_logprobs",
        "reasoning_effort",
        "user",
    }
)


def _parse_tool(obj: Any, path: str) -> ToolSpec:
    obj = as_object(obj, path)
    kind = req(obj, "type", str, path)
    if kind == "function":
        function = as_object(obj.get("function"), f"{path}.function")
        name = req(function, "name", str, f"{path}.function")
        extra = {k: v for k, v in obj.items() if k not in ("type", "function")}
        inner = {k: v for k, v in function.items() if k not in ("name", "description", "parameters", "strict")}
        if inner:
            extra["~function"] = inner
        return ToolSpec(
            name=name,
            description=opt(function, "description", str, f"{path}.function"),
            parameters=opt(function, "parameters", dict, f"{path}.function"),
            strict=opt(function, "strict", bool, f"{path}.function"),
            extra=extra,
        )
    if kind == "custom":
        custom = as_object(obj.get("custom"), f"{path}.custom")
        name = req(custom, "name", str, f"{path}.custom")
        return ToolSpec(
            name=name, description=opt(custom, "description", str, f"{path}.custom"), kind="custom", raw=obj
        )
    raise MalformedRequestError(f"unknown tool type {kind!r} (expected function or custom)", field=f"{path}.type")


def _parse_tool_choice(value: Any) -> ToolChoice | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in ("auto", "none", "required"):
            raise MalformedRequestError(f"unknown tool_choice {value!r}", field="tool_choice")
        return ToolChoice(value)  # type: ignore[arg-type]
    obj = as_object(value, "tool_choice")
    if obj.get("type") == "function":
        function = as_object(obj.get("function"), "tool_choice.function")
        return ToolChoice("tool", req(function, "name", str, "tool_choice.function"), extra={"~raw": obj})
    if obj.get("type") == "custom":
        custom = as_object(obj.get("custom"), "tool_choice.custom")
        return ToolChoice("tool", req(custom, "name", str, "tool_choice.custom"), extra={"~raw": obj})
    # allowed_tools and future forms: kept whole, treated as auto.
    return ToolChoice("auto", extra={"~raw": obj})


def _restore(request: Request, ext: dict[str, Any]) -> Request:
    """The foreign request a lossless render carried, if any. The carry is untrusted JSON:
    its shape is checked so that only ``WireError`` can come out of a bad one."""
    for key, kind in (("extra", dict), ("tools", list), ("settings", dict), ("tool_choice", dict), ("reasoning", dict)):
        opt(ext, key, kind, EXT_KEY)
    try:
        result = restore_request(request, ext, "chat")
    except (TypeError, ValueError, AttributeError) as exc:
        raise MalformedRequestError(f"malformed extension ({exc})", field=EXT_KEY) from None
    for i, spec in enumerate(result.tools if result is not request else []):
        if not isinstance(spec.name, str) or spec.kind not in ("function", "custom", "namespace", "builtin"):
            raise MalformedRequestError("not a carried tool", field=f"{EXT_KEY}.tools[{i}]")
    return result


def parse_request(body: dict[str, Any]) -> Request:
    """A chat request body -> canonical ``Request``. Malformed input raises
    ``MalformedRequestError`` naming the field."""
    body = as_object(body, "body")
    model = req(body, "model", str, "")
    raw_messages = req(body, "messages", list, "")
    messages: list[Message] = []
    natively_parsed: list[bool] = []
    carried_previous = False
    for index, raw in enumerate(raw_messages):
        ext = ext_of(raw) if isinstance(raw, dict) else {}
        if ext.get("continuation") and carried_previous:
            continue  # a further result of a carried tool message, already restored
        message, restored = parse_message_ex(raw, index)
        carried_previous = "message" in ext
        messages.append(message)
        natively_parsed.append(not restored)
    tools = [_parse_tool(t, f"tools[{i}]") for i, t in enumerate(opt(body, "tools", list, "") or [])]
    stop = body.get("stop")
    if stop is not None and not isinstance(stop, str | list):
        raise MalformedRequestError(f"expected str or list, got {type(stop).__name__}", field="stop")
    if isinstance(stop, list) and not all(isinstance(s, str) for s in stop):
        raise MalformedRequestError("expected a list of strings", field="stop")
    stream_options = opt(body, "stream_options", dict, "")
    max_key = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    effort = opt(body, "reasoning_effort", str, "")
    extra = {k: v for k, v in body.items() if k not in _TOP_KNOWN and k != EXT_KEY}
    extra["~order"] = [k for k in body if k != EXT_KEY]
    other_max = "max_tokens" if max_key == "max_completion_tokens" else "max_completion_tokens"
    if body.get(other_max) is not None:
        # Both limits given: the canonical slot takes one, the other is kept as sent.
        extra[other_max] = opt(body, other_max, int, "")
    nulls = [k for k in _TOP_KNOWN if k in body and body[k] is None]
    if nulls:
        extra["~null"] = nulls
    if stream_options is not None:
        extra["~stream_options"] = stream_options
    if isinstance(stop, str):
        extra["~stop_string"] = True
    request = Request(
        model=model,
        messages=messages,
        tools=tools,
        tool_choice=_parse_tool_choice(body.get("tool_choice")),
        parallel_tool_calls=opt(body, "parallel_tool_calls", bool, ""),
        max_tokens=opt(body, max_key, int, ""),
        # (int, float) keeps an integral value an int, so it re-renders as sent.
        temperature=opt(body, "temperature", (int, float), ""),
        top_p=opt(body, "top_p", (int, float), ""),
        stop=[stop] if isinstance(stop, str) else stop,
        stream=bool(opt(body, "stream", bool, "")),
        stream_include_usage=opt(stream_options or {}, "include_usage", bool, "stream_options"),
        reasoning=ReasoningConfig(effort=effort) if effort is not None else None,
        logprobs=opt(body, "logprobs", bool, ""),
        top_logprobs=opt(body, "top_logprobs", int, ""),
        user=opt(body, "user", str, ""),
        origin="chat",
        extra=extra,
    )
    result = _restore(request, ext_of(body))
    if result.origin != "chat":
        # Chat bookkeeping means nothing to the request's own dialect.
        result.messages = [
            without_bookkeeping(m) if native else m for m, native in zip(messages, natively_parsed, strict=True)
        ]
    return result


def _render_tool(spec: ToolSpec, native: bool, lossless: bool, report: ConversionReport) -> dict[str, Any] | None:
    if spec.kind == "function":
        function: dict[str, Any] = {"name": spec.name}
        if spec.description is not None:
            function["description"] = spec.description
        if spec.parameters is not None:
            function["parameters"] = spec.parameters
        if spec.strict is not None:
            function["strict"] = spec.strict
        if native:
            function.update(spec.extra.get("~function", {}))
        return {"type": "function", "function": function, **(own_extra(spec.extra) if native else {})}
    if native and spec.raw is not None:
        return spec.raw
    report.warn(
        f"{spec.kind} tool {spec.name!r} has no Chat Completions form: "
        + ("carried in _rollyard" if lossless else "left out")
    )
    return None


def _render_tool_choice(choice: ToolChoice, tools: list[ToolSpec], native: bool) -> Any:
    if native and "~raw" in choice.extra:
        return choice.extra["~raw"]
    match choice.mode:
        case "auto" | "none" | "required":
            return choice.mode
        case "tool":
            if any(t.kind == "custom" and t.name == choice.name for t in tools):
                return {"type": "custom", "custom": {"name": choice.name}}
            return {"type": "function", "function": {"name": choice.name}}


def render_request(
    request: Request, *, lossless: bool = True, report: ConversionReport | None = None
) -> dict[str, Any]:
    """Canonical ``Request`` -> chat body."""
    report = report if report is not None else ConversionReport()
    own = request.origin == "chat"
    body: dict[str, Any] = {"model": request.model}
    messages: list[dict[str, Any]] = []
    for index, message in enumerate(request.messages):
        rendered = render_message(message, native=own, lossless=lossless, report=report)
        if lossless and rendered and not native_is_exact(message, rendered):
            put_ext(rendered[0], message=message_to_json(message))
            for more in rendered[1:]:
                put_ext(more, continuation=True)
        lost = not_native(message) if not own else []
        if lost:
            done = f"carried in {EXT_KEY}" if lossless else "left out"
            report.warn(f"messages[{index}]: {', '.join(lost)} have no chat form: {done}")
        messages.extend(rendered)
    body["messages"] = messages
    tools = [t for t in (_render_tool(s, own, lossless, report) for s in request.tools) if t is not None]
    if tools or (own and "tools" in request.extra.get("~order", [])):
        body["tools"] = tools
    if request.tool_choice is not None:
        body["tool_choice"] = _render_tool_choice(request.tool_choice, request.tools, own)
    if request.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.max_tokens is not None:
        order = request.extra.get("~order", []) if own else []
        body["max_completion_tokens" if "max_completion_tokens" in order else "max_tokens"] = request.max_tokens
    for key in ("temperature", "top_p"):
        value = getattr(request, key)
        if value is not None:
            body[key] = value
    if request.stop is not None:
        body["stop"] = (
            request.stop[0] if own and request.extra.get("~stop_string") and len(request.stop) == 1 else request.stop
        )
    if request.stream or (own and "stream" in request.extra.get("~order", [])):
        body["stream"] = request.stream
    stream_options = dict(request.extra.get("~stream_options", {})) if own else {}
    if request.stream_include_usage is not None:
        stream_options["include_usage"] = request.stream_include_usage
    if stream_options and (request.stream or own):
        body["stream_options"] = stream_options
    if request.logprobs is not None:
        body["logprobs"] = request.logprobs
    if request.top_logprobs is not None:
        body["top_logprobs"] = request.top_logprobs
    if request.reasoning is not None and request.reasoning.effort is not None:
        body["reasoning_effort"] = request.reasoning.effort
    if request.user is not None:
        body["user"] = request.user
    if own:
        body.update(own_extra(request.extra))
        for key in request.extra.get("~null", []):
            if body.get(key) in (None, [], {}) or body[key] is False:
                body[key] = None
        order = request.extra.get("~order")
        if order:
            body = {k: body[k] for k in order if k in body} | {k: v for k, v in body.items() if k not in order}
    elif request.origin is not None:
        if request.extra:
            report.warn(f"{request.origin} fields {sorted(own_extra(request.extra))} have no chat form")
        if lossless:
            carry_request(body, request)
        if request.reasoning is not None and (request.reasoning.thinking_type or request.reasoning.budget_tokens):
            report.warn("chat has no thinking budget: the reasoning settings were reduced to reasoning_effort")
    return body


CHAT = Codec(
    dialect="chat",
    parse_request=parse_request,
    render_request=render_request,
    parse_response=parse_response,
    render_response=render_response,
    encode_stream=encode_stream,
    decode_stream=decode_stream,
    render_error=openai_error,
)
