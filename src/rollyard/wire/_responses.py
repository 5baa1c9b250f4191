"""OpenAI Responses (``POST /v1/responses``) codec: requests and errors here; items in
``_responses_items`` (parse) and ``_responses_render``, response bodies in
``_responses_output``, streams in ``_responses_stream``.

A Responses request is ``instructions`` (a leading canonical system message flagged
``extra["instructions"]``) plus ``input`` (a bare string, or items). Codex sends its base
prompt as ``developer`` items, a ``namespace`` tool, ``web_search`` and
``include: ["reasoning.encrypted_content"]``: all of it round-trips exactly.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ._canonical import (
    DIALECTS,
    ConversionReport,
    Message,
    ReasoningConfig,
    Request,
    TextPart,
    ToolChoice,
    ToolSpec,
)
from ._codec import Codec
from ._errors import MalformedRequestError, openai_error
from ._fields import EXT_KEY, as_object, opt, put_ext, req
from ._responses_items import ItemFolder, ParseCtx, join
from ._responses_output import parse_response, render_response
from ._responses_render import RenderCtx, render_messages
from ._responses_stream import decode_stream, encode_stream

_TOP_KNOWN = frozenset(
    {
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_output_tokens",
        "temperature",
        "top_p",
        "stream",
        "reasoning",
        "top_logprobs",
        "user",
    }
)
_FUNCTION_KNOWN = frozenset({"type", "name", "description", "parameters", "strict"})
_BUILTIN_TOOLS = frozenset(
    {
        "file_search",
        "computer",
        "computer_use_preview",
        "web_search",
        "web_search_2025_08_26",
        "web_search_preview",
        "web_search_preview_2025_03_11",
        "mcp",
        "code_interpreter",
        "programmatic_tool_calling",
        "image_generation",
        "local_shell",
        "shell",
        "tool_search",
        "apply_patch",
    }
)
_LOGPROBS_INCLUDE = "message.output_text.logprobs"
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


# ---- parsing ----


def parse_request(body: dict[str, Any]) -> Request:
    """A Responses request body -> canonical ``Request`` (strict: malformed input raises
    ``MalformedRequestError`` naming the field)."""
    body = as_object(body, "body")
    top_ext = ParseCtx().ext(body, "")
    origin = top_ext.get("origin")
    foreign = origin in DIALECTS and origin != "responses"
    ctx = ParseCtx(foreign=foreign)
    request = Request(model=req(body, "model", str, ""), messages=[], origin=origin if foreign else "responses")
    request.extra = ctx.extra(body, _TOP_KNOWN, "")

    instructions = opt(body, "instructions", str, "")
    if instructions is not None:
        flag = {} if foreign else {"instructions": True}
        request.messages.append(Message("system", [TextPart(instructions)], content_form="string", extra=flag))
    raw_input = opt(body, "input", (str, list), "")
    if isinstance(raw_input, str):
        flag = {} if foreign else {"input_string": True}
        request.messages.append(Message("user", [TextPart(raw_input)], content_form="string", extra=flag))
    elif isinstance(raw_input, list):
        folder = ItemFolder(ctx)
        for i, item in enumerate(raw_input):
            folder.feed(item, f"input[{i}]")
        messages = folder.finish()
        if not messages and not foreign:
            request.extra["input"] = raw_input  # only opaque items, or none: keep the list as it was
        request.messages.extend(messages)

    tools = opt(body, "tools", list, "")
    if tools is not None:
        request.tools = [_parse_tool(t, f"tools[{i}]", ctx) for i, t in enumerate(tools)]
        if not tools and not foreign:
            request.extra["tools"] = []
    choice = opt(body, "tool_choice", (str, dict), "")
    if choice is not None:
        request.tool_choice = _parse_tool_choice(choice, ctx)
    request.parallel_tool_calls = opt(body, "parallel_tool_calls", bool, "")
    request.max_tokens = opt(body, "max_output_tokens", int, "")
    request.temperature = opt(body, "temperature", float, "")
    request.top_p = opt(body, "top_p", float, "")
    stream = opt(body, "stream", bool, "")
    request.stream = stream is True
    if stream is False and not foreign:
        request.extra["stream"] = False
    request.top_logprobs = opt(body, "top_logprobs", int, "")
    request.user = opt(body, "user", str, "")
    reasoning = opt(body, "reasoning", dict, "")
    if reasoning is not None:
        request.reasoning = _parse_reasoning(reasoning, ctx)
    if top_ext:
        _read_top_ext(request, top_ext, ctx)
    return request


def _parse_tool(raw: Any, path: str, ctx: ParseCtx) -> ToolSpec:
    obj = as_object(raw, path)
    kind = req(obj, "type", str, path)
    raw_copy = {k: v for k, v in obj.items() if k != EXT_KEY}
    if kind == "function":
        spec = ToolSpec(
            name=req(obj, "name", str, path),
            description=opt(obj, "description", str, path),
            parameters=opt(obj, "parameters", dict, path),
            strict=opt(obj, "strict", bool, path),
            extra=ctx.extra(obj, _FUNCTION_KNOWN, path),
        )
        absent = opt(ctx.ext(obj, path), "absent", list, join(path, EXT_KEY)) or []
        if "strict" in absent:
            spec.strict = None
        if "parameters" in absent:
            spec.parameters = None
        return spec
    if kind in ("custom", "namespace"):
        return ToolSpec(
            name=req(obj, "name", str, path),
            description=opt(obj, "description", str, path),
            kind=kind,  # type: ignore[arg-type]
            raw=raw_copy,
        )
    if kind in _BUILTIN_TOOLS:
        name = obj.get("name") if isinstance(obj.get("name"), str) else obj.get("server_label")
        return ToolSpec(name=name if isinstance(name, str) else kind, kind="builtin", raw=raw_copy)
    raise MalformedRequestError(f"unknown tool type {kind!r}", field=join(path, "type"))


def _parse_tool_choice(choice: str | dict[str, Any], ctx: ParseCtx) -> ToolChoice:
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise MalformedRequestError(f"unknown tool_choice {choice!r}", field="tool_choice")
        return ToolChoice(choice)  # type: ignore[arg-type]
    kind = req(choice, "type", str, "tool_choice")
    if kind == "function":
        return ToolChoice(
            "tool",
            req(choice, "name", str, "tool_choice"),
            ctx.extra(choice, frozenset({"type", "name"}), "tool_choice"),
        )
    # allowed_tools, custom, hosted tools, mcp...: no canonical slot but a mode and a name.
    mode = choice.get("mode") if kind == "allowed_tools" else "tool"
    if mode not in ("auto", "required", "tool"):
        raise MalformedRequestError(f"unknown mode {mode!r}", field="tool_choice.mode")
    name = choice.get("name") if isinstance(choice.get("name"), str) else kind
    return ToolChoice(mode, name if mode == "tool" else None, {} if ctx.foreign else {"raw": choice})  # type: ignore[arg-type]


def _parse_reasoning(obj: dict[str, Any], ctx: ParseCtx) -> ReasoningConfig:
    config = ReasoningConfig(
        effort=opt(obj, "effort", str, "reasoning"),
        summary=opt(obj, "summary", str, "reasoning"),
        extra=ctx.extra(obj, frozenset({"effort", "summary"}), "reasoning"),
    )
    ext = ctx.ext(obj, "reasoning")
    config.thinking_type = opt(ext, "thinking_type", str, "reasoning._rollyard")
    config.budget_tokens = opt(ext, "budget_tokens", int, "reasoning._rollyard")
    return config


def _read_top_ext(request: Request, ext: dict[str, Any], ctx: ParseCtx) -> None:
    path = EXT_KEY
    if ctx.foreign:
        request.logprobs = opt(ext, "logprobs", bool, path)
        if request.tool_choice is not None:
            request.tool_choice.extra = dict(opt(ext, "tool_choice_extra", dict, path) or {})
    stop = opt(ext, "stop", list, path)
    if stop is not None:
        if not all(isinstance(s, str) for s in stop):
            raise MalformedRequestError("stop sequences must be strings", field=f"{path}.stop")
        request.stop = list(stop)
    request.stream_include_usage = opt(ext, "stream_include_usage", bool, path)
    for n, entry in enumerate(opt(ext, "tools", list, path) or []):
        entry_path = f"{path}.tools[{n}]"
        obj = as_object(entry, entry_path)
        spec = as_object(req(obj, "spec", dict, entry_path), f"{entry_path}.spec")
        try:
            tool = ToolSpec(**spec)
        except TypeError:
            raise MalformedRequestError("not a tool definition", field=f"{entry_path}.spec") from None
        request.tools.insert(req(obj, "at", int, entry_path), tool)


# ---- rendering ----


def render_request(
    request: Request, *, lossless: bool = True, report: ConversionReport | None = None
) -> dict[str, Any]:
    """Canonical ``Request`` -> Responses body. Same-dialect renders give the parsed body
    back; foreign fields go to ``_rollyard`` (``lossless``) or are reported and left out."""
    native = request.origin == "responses"
    rctx = RenderCtx(request.origin, lossless, report, marks=request.origin is not None and not native)
    body: dict[str, Any] = {"model": request.model}
    messages = request.messages
    first = messages[0] if messages else None
    if (
        native
        and first is not None
        and first.role == "system"
        and first.extra.get("instructions") is True
        and len(first.parts) == 1
        and isinstance(first.parts[0], TextPart)
    ):
        body["instructions"] = first.parts[0].text
        messages = messages[1:]
    only = messages[0] if len(messages) == 1 else None
    if (
        native
        and only is not None
        and only.role == "user"
        and only.extra.get("input_string") is True
        and len(only.parts) == 1
        and isinstance(only.parts[0], TextPart)
    ):
        body["input"] = only.parts[0].text
    else:
        items = render_messages(messages, rctx, "messages")
        if items or not native:
            body["input"] = items
    if request.tools:
        body["tools"] = _render_tools(request, body, rctx)
    if request.tool_choice is not None:
        body["tool_choice"] = _render_tool_choice(request.tool_choice, body, rctx)
    for key, value in (
        ("parallel_tool_calls", request.parallel_tool_calls),
        ("max_output_tokens", request.max_tokens),
        ("temperature", request.temperature),
        ("top_p", request.top_p),
        ("top_logprobs", request.top_logprobs),
        ("user", request.user),
    ):
        if value is not None:
            body[key] = value
    if request.stream:
        body["stream"] = True
    if request.reasoning is not None:
        reasoning = _render_reasoning(request.reasoning, rctx)
        if reasoning or native:
            body["reasoning"] = reasoning
    if request.stop:
        rctx.carry(body, "stop", "stop sequences", stop=request.stop)
    if request.stream_include_usage is not None and lossless:
        put_ext(body, stream_include_usage=request.stream_include_usage)  # Responses streams always carry usage
    if native:
        rctx.merge(body, request.extra, "")
    else:
        if request.logprobs:
            body["include"] = [_LOGPROBS_INCLUDE]
        if lossless and rctx.marks:
            put_ext(body, origin=request.origin, logprobs=request.logprobs)
        rctx.merge(body, request.extra, "")
    return body


def _render_tools(request: Request, body: dict[str, Any], rctx: RenderCtx) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    carried: list[dict[str, Any]] = []
    for i, spec in enumerate(request.tools):
        path = f"tools[{i}]"
        if spec.kind == "function":
            tool: dict[str, Any] = {"type": "function", "name": spec.name}
            if spec.description is not None:
                tool["description"] = spec.description
            absent = []
            if spec.parameters is not None:
                tool["parameters"] = spec.parameters
            elif not rctx.native:
                tool["parameters"], absent = dict(_EMPTY_SCHEMA), ["parameters"]
            if spec.strict is not None:
                tool["strict"] = spec.strict
            elif not rctx.native:
                tool["strict"] = False  # Responses defaults to strict; the source dialect did not ask for it
                absent.append("strict")
            rctx.absent(tool, *absent)
            rctx.merge(tool, spec.extra, path)
            tools.append(tool)
        elif (rctx.native or request.origin is None) and spec.raw is not None:
            tools.append(dict(spec.raw))
        else:
            what = f"{path}: {request.origin} {spec.kind} tool {spec.name!r} has no Responses equivalent"
            if rctx.lossless:
                carried.append({"at": i, "spec": asdict(spec)})
            rctx.note(f"{what}; carried in {EXT_KEY}" if rctx.lossless else f"{what}; left out")
    if carried:
        put_ext(body, tools=carried)
    return tools


def _render_tool_choice(choice: ToolChoice, body: dict[str, Any], rctx: RenderCtx) -> str | dict[str, Any]:
    raw = choice.extra.get("raw") if rctx.native else None
    if isinstance(raw, dict):
        return raw
    if choice.extra and not rctx.native:
        keys = ", ".join(sorted(choice.extra))
        rctx.carry(body, "tool_choice", f"{rctx.origin} tool_choice field(s) {keys}", tool_choice_extra=choice.extra)
    if choice.mode == "tool":
        out: dict[str, Any] = {"type": "function", "name": choice.name or ""}
        if rctx.native:
            rctx.merge(out, choice.extra, "tool_choice")
        return out
    return choice.mode


def _render_reasoning(config: ReasoningConfig, rctx: RenderCtx) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if config.effort is not None:
        out["effort"] = config.effort
    if config.summary is not None:
        out["summary"] = config.summary
    if config.thinking_type is not None or config.budget_tokens is not None:
        what = f"thinking {config.thinking_type or ''} budget {config.budget_tokens}".replace("  ", " ")
        rctx.carry(out, "reasoning", what, thinking_type=config.thinking_type, budget_tokens=config.budget_tokens)
    rctx.merge(out, config.extra, "reasoning")
    return out


# Errors use the OpenAI shape shared with Chat Completions.
RESPONSES = Codec(
    dialect="responses",
    parse_request=parse_request,
    render_request=render_request,
    parse_response=parse_response,
    render_response=render_response,
    encode_stream=encode_stream,
    decode_stream=decode_stream,
    render_error=openai_error,
)

__all__ = ["RESPONSES", "parse_request", "render_request"]
