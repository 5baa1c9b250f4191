"""Chat completion response bodies <-> canonical ``Response``, token ids and logprobs
included (vLLM ``return_token_ids`` style: top-level ``prompt_token_ids``, per-choice
``token_ids``)."""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

from ._canonical import (
    ConversionReport,
    FinishReason,
    Response,
    TextPart,
    TokenLogprob,
    Usage,
)
from ._chat_messages import native_is_exact, not_native, own_extra, parse_message, render_message
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
    """A chat ``usage`` object -> ``Usage``; its ``_rollyard`` restores what chat has no slot for."""
    if obj is None:
        return None
    obj = as_object(obj, path, _ERR)
    ext = ext_of(obj)
    prompt_details = opt(obj, "prompt_tokens_details", dict, path, _ERR) or {}
    completion_details = opt(obj, "completion_tokens_details", dict, path, _ERR) or {}
    usage = Usage(
        input_tokens=opt(obj, "prompt_tokens", int, path, _ERR) or 0,
        output_tokens=opt(obj, "completion_tokens", int, path, _ERR) or 0,
        cache_read_tokens=opt(prompt_details, "cached_tokens", int, f"{path}.prompt_tokens_details", _ERR),
        cache_creation_tokens=opt(ext, "cache_creation_tokens", int, f"{path}.{EXT_KEY}", _ERR),
        reasoning_tokens=opt(completion_details, "reasoning_tokens", int, f"{path}.completion_tokens_details", _ERR),
        extra=dict(opt(ext, "extra", dict, f"{path}.{EXT_KEY}", _ERR) or {}),
    )
    if render_usage(usage, native=False) != obj:
        usage.extra["~raw"] = obj  # fields or forms the canonical usage does not say: re-rendered as sent
    return usage


def is_chat_usage(usage: Usage) -> bool:
    """Whether ``usage`` holds a chat usage object as sent that still says the same counts."""
    raw = usage.extra.get("~raw")
    return (
        isinstance(raw, dict)
        and raw.get("prompt_tokens") == usage.input_tokens
        and raw.get("completion_tokens") == usage.output_tokens
    )


def render_usage(usage: Usage, native: bool, lossless: bool = True) -> dict[str, Any]:
    """``Usage`` -> a chat ``usage`` object. Lossless renders of a foreign usage carry its
    cache writes and own fields in ``_rollyard``."""
    raw = usage.extra.get("~raw")
    if native and is_chat_usage(usage) and isinstance(raw, dict):
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
    if lossless and not native:
        put_ext(out, cache_creation_tokens=usage.cache_creation_tokens, extra=usage.extra)
    return out


def _number(obj: dict[str, Any], key: str, path: str) -> float:
    value = req(obj, key, (int, float), path, _ERR)
    try:
        return float(value)
    except OverflowError:
        raise _ERR("number out of range", field=f"{path}.{key}") from None


def _bytes(obj: dict[str, Any], path: str) -> list[int] | None:
    value = obj.get("bytes")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(b, int) and not isinstance(b, bool) for b in value):
        raise _ERR("expected a list of byte values", field=f"{path}.bytes")
    return list(value)


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
        alternatives = as_list(entry.get("top_logprobs") or [], f"{e_path}.top_logprobs", _ERR)
        top = []
        for j, alt in enumerate(alternatives):
            a_path = f"{e_path}.top_logprobs[{j}]"
            alt = as_object(alt, a_path, _ERR)
            top.append((req(alt, "token", str, a_path, _ERR), _number(alt, "logprob", a_path)))
        out.append(
            TokenLogprob(
                token=req(entry, "token", str, e_path, _ERR),
                logprob=_number(entry, "logprob", e_path),
                token_id=opt(entry, "token_id", int, e_path, _ERR),
                bytes=_bytes(entry, e_path),
                top=tuple(top),
            )
        )
    return out


def render_logprobs(logprobs: list[TokenLogprob]) -> dict[str, Any]:
    """Canonical logprobs -> chat ``choices[i].logprobs`` (``token_id`` only when known)."""
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


def finish_from_ext(ext: dict[str, Any], path: str) -> FinishReason | None:
    """The exact canonical finish reason a lossless render carried, if any."""
    value = ext.get("finish_reason")
    if value is None:
        return None
    if value not in get_args(FinishReason):
        raise _ERR(f"unknown finish reason {value!r}", field=f"{path}.finish_reason")
    return value  # type: ignore[no-any-return]


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
    finish = finish_from_ext(ext, f"choices[0].{EXT_KEY}") or FINISH_FROM_CHAT.get(finish_raw, "stop")
    extra = {k: v for k, v in body.items() if k not in _TOP_KNOWN and k != EXT_KEY}
    extra["~choice"] = {k: v for k, v in choice.items() if k not in _CHOICE_KNOWN and k != EXT_KEY}
    extra["~order"] = [k for k in body if k != EXT_KEY]
    extra["~choice_order"] = [k for k in choice if k != EXT_KEY]
    if finish_raw not in FINISH_FROM_CHAT:
        extra["~finish_raw"] = finish_raw
    if len(choices) > 1:
        extra["~more_choices"] = choices[1:]
    if "logprobs" in choice:
        extra["~logprobs_raw"] = choice["logprobs"]
    top_ext = ext_of(body)
    origin: Any = "chat"
    if top_ext.get("origin") in ("responses", "anthropic"):
        origin, extra = top_ext["origin"], dict(opt(top_ext, "extra", dict, EXT_KEY, _ERR) or {})
    return Response(
        id=opt(body, "id", str, "", _ERR) or "",
        model=opt(body, "model", str, "", _ERR) or "",
        message=message,
        finish_reason=finish,
        stop_sequence=opt(ext, "stop_sequence", str, f"choices[0].{EXT_KEY}", _ERR),
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
    if not own and (lost := not_native(response.message)):
        report.warn(f"message: {', '.join(lost)} have no chat form: " + ("carried" if lossless else "left out"))
    (rendered,) = render_message(message, native=own, lossless=lossless, report=report)[:1]
    rendered.pop("name", None)
    if lossless and not own and not native_is_exact(response.message, [rendered]):
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
        order = response.extra.get("~choice_order", [])
        choice = {k: choice[k] for k in order if k in choice} | {k: v for k, v in choice.items() if k not in order}
    if FINISH_TO_CHAT[response.finish_reason] != response.finish_reason and response.finish_reason != "stop":
        if lossless:
            put_ext(choice, finish_reason=response.finish_reason, stop_sequence=response.stop_sequence)
        elif response.finish_reason in ("pause_turn", "error"):
            report.warn(f"chat has no finish reason {response.finish_reason!r}: sent as 'stop'")
    body: dict[str, Any] = {
        "id": response.id,
        "object": "chat.completion",
        "created": response.created if response.created is not None else 0,
        "model": response.model,
        "choices": [choice, *(response.extra.get("~more_choices", []) if own else [])],
    }
    if response.usage is not None:
        body["usage"] = render_usage(response.usage, own, lossless)
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
