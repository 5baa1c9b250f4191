"""Chat completion response bodies <-> canonical ``Response``, token ids and logprobs
included (vLLM ``return_token_ids`` style: top-level ``prompt_token_ids``, per-choice
``token_ids``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ._canonical import (
    ConversionReport,
    FinishReason,
    Response,
    TextPart,
    TokenLogprob,
    Usage,
)
from ._chat_messages import own_extra, parse_message, render_message
from ._errors import MalformedResponseError
from ._fields import EXT_KEY, as_list, as_object, ext_of, opt, put_ext, req
from ._serialize import message_to_json

_ERR = MalformedResponseError
FINISH_FROM_CHAT: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
FINISH_TO_CHAT: dict[FinishReason, str] = {
    "stop": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "pause_turn": "stop",
    "error": "stop",
}
_TOP_KNOWN = frozenset({"id", "object", "created", "model", "choices", "usage", "prompt_token_ids"})
_CHOICE_KNOWN = frozenset({"index", "message", "finish_reason", "logprobs", "token_ids"})


def parse_usage(obj: Any, path: str = "usage") -> Usage | None:
    if obj is None:
        return None
    obj = as_object(obj, path, _ERR)
    prompt_details = obj.get("prompt_tokens_details") or {}
    completion_details = obj.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(opt(obj, "prompt_tokens", int, path, _ERR) or 0),
        output_tokens=int(opt(obj, "completion_tokens", int, path, _ERR) or 0),
        cache_read_tokens=prompt_details.get("cached_tokens") if isinstance(prompt_details, dict) else None,
        reasoning_tokens=completion_details.get("reasoning_tokens") if isinstance(completion_details, dict) else None,
        extra={"~raw": obj},
    )


def render_usage(usage: Usage, native: bool) -> dict[str, Any]:
    raw = usage.extra.get("~raw") if native else None
    if (
        isinstance(raw, dict)
        and raw.get("prompt_tokens") == usage.input_tokens
        and raw.get("completion_tokens") == usage.output_tokens
    ):
        return raw
    out: dict[str, Any] = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cache_read_tokens is not None:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    if usage.reasoning_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return out


def _parse_logprobs(obj: Any, path: str) -> list[TokenLogprob] | None:
    if obj is None:
        return None
    obj = as_object(obj, path, _ERR)
    content = obj.get("content")
    if content is None:
        return None
    out: list[TokenLogprob] = []
    for i, entry in enumerate(as_list(content, f"{path}.content", _ERR)):
        e_path = f"{path}.content[{i}]"
        entry = as_object(entry, e_path, _ERR)
        top = tuple(
            (str(t.get("token", "")), float(t.get("logprob", 0.0)))
            for t in (entry.get("top_logprobs") or [])
            if isinstance(t, dict)
        )
        out.append(
            TokenLogprob(
                token=req(entry, "token", str, e_path, _ERR),
                logprob=float(req(entry, "logprob", (int, float), e_path, _ERR)),
                token_id=opt(entry, "token_id", int, e_path, _ERR),
                bytes=entry.get("bytes"),
                top=top,
            )
        )
    return out


def render_logprobs(logprobs: list[TokenLogprob]) -> dict[str, Any]:
    content = []
    for lp in logprobs:
        entry: dict[str, Any] = {"token": lp.token, "logprob": lp.logprob, "bytes": lp.bytes}
        if lp.token_id is not None:
            entry["token_id"] = lp.token_id
        entry["top_logprobs"] = [{"token": t, "logprob": p, "bytes": list(t.encode("utf-8"))} for t, p in lp.top]
        content.append(entry)
    return {"content": content, "refusal": None}


def _ids(value: Any, path: str) -> list[int] | None:
    if value is None:
        return None
    items = as_list(value, path, _ERR)
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in items):
        raise _ERR("expected a list of token ids", field=path)
    return list(items)


def parse_response(body: dict[str, Any]) -> Response:
    """A chat completion body -> canonical ``Response`` (choice 0)."""
    body = as_object(body, "body", _ERR)
    choices = as_list(req(body, "choices", list, "", _ERR), "choices", _ERR)
    if not choices:
        raise _ERR("a completion needs at least one choice", field="choices")
    choice = as_object(choices[0], "choices[0]", _ERR)
    message = parse_message(
        dict(req(choice, "message", dict, "choices[0]", _ERR)), 0, error=_ERR, path="choices[0].message"
    )
    finish_raw = opt(choice, "finish_reason", str, "choices[0]", _ERR) or "stop"
    ext = ext_of(choice)
    finish = ext.get("finish_reason") or FINISH_FROM_CHAT.get(finish_raw, "stop")
    extra = {k: v for k, v in body.items() if k not in _TOP_KNOWN and k != EXT_KEY}
    extra["~choice"] = {k: v for k, v in choice.items() if k not in _CHOICE_KNOWN and k != EXT_KEY}
    extra["~order"] = [k for k in body if k != EXT_KEY]
    if finish_raw not in FINISH_FROM_CHAT:
        extra["~finish_raw"] = finish_raw
    if len(choices) > 1:
        extra["~more_choices"] = choices[1:]
    if "logprobs" in choice:
        extra["~logprobs_raw"] = choice["logprobs"]
    top_ext = ext_of(body)
    origin: Any = "chat"
    if top_ext.get("origin") in ("responses", "anthropic"):
        origin, extra = top_ext["origin"], dict(top_ext.get("extra") or {})
    return Response(
        id=opt(body, "id", str, "", _ERR) or "",
        model=opt(body, "model", str, "", _ERR) or "",
        message=message,
        finish_reason=finish,
        stop_sequence=ext.get("stop_sequence"),
        usage=parse_usage(body.get("usage")),
        created=opt(body, "created", int, "", _ERR),
        prompt_token_ids=_ids(body.get("prompt_token_ids"), "prompt_token_ids"),
        completion_token_ids=_ids(choice.get("token_ids"), "choices[0].token_ids"),
        logprobs=_parse_logprobs(choice.get("logprobs"), "choices[0].logprobs"),
        origin=origin,
        extra=extra,
    )


def render_response(
    response: Response, *, lossless: bool = True, report: ConversionReport | None = None
) -> dict[str, Any]:
    """Canonical ``Response`` -> chat completion body."""
    report = report if report is not None else ConversionReport()
    own = response.origin == "chat"
    message = response.message
    if not own:
        # A code-built or foreign response: an empty text part before tool calls is noise.
        parts = [p for p in message.parts if not (isinstance(p, TextPart) and not p.text and message.tool_calls)]
        message = dataclasses.replace(message, parts=parts, content_form="string")
    (rendered,) = render_message(message, native=own, lossless=lossless, report=report)[:1]
    rendered.pop("name", None)
    if lossless and response.origin not in ("chat", None):
        put_ext(rendered, message=message_to_json(response.message))
    choice: dict[str, Any] = {"index": 0, "message": rendered}
    if (
        own
        and "~logprobs_raw" in response.extra
        and response.logprobs == _parse_logprobs(response.extra["~logprobs_raw"], "logprobs")
    ):
        choice["logprobs"] = response.extra["~logprobs_raw"]
    elif response.logprobs is not None:
        choice["logprobs"] = render_logprobs(response.logprobs)
    elif not own:
        choice["logprobs"] = None
    choice["finish_reason"] = (
        response.extra.get("~finish_raw")
        if own and "~finish_raw" in response.extra
        else (FINISH_TO_CHAT[response.finish_reason])
    )
    if response.completion_token_ids is not None:
        choice["token_ids"] = response.completion_token_ids
    if own:
        choice.update(response.extra.get("~choice", {}))
    if FINISH_TO_CHAT[response.finish_reason] != response.finish_reason and response.finish_reason != "stop":
        if lossless:
            put_ext(choice, finish_reason=response.finish_reason, stop_sequence=response.stop_sequence)
    body: dict[str, Any] = {
        "id": response.id,
        "object": "chat.completion",
        "created": response.created if response.created is not None else 0,
        "model": response.model,
        "choices": [choice, *(response.extra.get("~more_choices", []) if own else [])],
    }
    if response.usage is not None:
        body["usage"] = render_usage(response.usage, own)
    if response.prompt_token_ids is not None:
        body["prompt_token_ids"] = response.prompt_token_ids
    if own:
        body.update(own_extra(response.extra))
        order = response.extra.get("~order")
        if order:
            body = {k: body[k] for k in order if k in body} | {k: v for k, v in body.items() if k not in order}
            if "created" not in order and response.created is None:
                body.pop("created", None)
            if "object" not in order:
                body.pop("object", None)
    elif response.origin is not None and lossless:
        put_ext(body, origin=response.origin, extra=response.extra)
    return body
