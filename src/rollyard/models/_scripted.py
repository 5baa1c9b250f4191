"""``ScriptedModel``: the test double behind the same ``Model`` interface.

It answers from a list of scripted replies, in order, or from a function of the
request. It stands in for a model backend in tests only, never for a feature."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ..wire import FinishReason, Message, Request, Response, TextPart, TokenLogprob, ToolCallPart, Usage
from ._base import Model, TokenSource


@dataclass(frozen=True)
class ScriptedCall:
    """A tool call to script: ``arguments`` may be a dict (JSON-encoded) or raw text."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


Reply: TypeAlias = str | ScriptedCall | list[ScriptedCall] | Response
"""A text answer, one or several (parallel) tool calls, or a complete response."""

ReplyFunction: TypeAlias = Callable[[Request], Reply | Awaitable[Reply]]


class ScriptExhaustedError(RuntimeError):
    """The scripted model was asked more often than it has replies."""


class ScriptedModel(Model):
    """A model backend double: replies come from a script, not from a model.

    >>> model = ScriptedModel([ScriptedCall("add", {"a": 1}), "The answer is 2."])
    """

    token_source: TokenSource = "none"

    def __init__(
        self,
        script: Sequence[Reply] | ReplyFunction,
        *,
        name: str = "scripted",
        token_ids: bool = False,
        latency_s: float = 0.0,
    ) -> None:
        """``token_ids``: answer with ids, as an engine would: the UTF-8 bytes of the
        ChatML-rendered prompt and completion (so later prompts extend earlier prompt +
        completion byte for byte, and trajectories can be built from a double's calls).
        ``latency_s``: wait this long per call, like a model decoding."""
        self.name = name
        self.token_ids = token_ids
        self.latency_s = latency_s
        if token_ids:
            self.token_source = "engine"
        self._script: list[Reply] | None = None if callable(script) else list(script)
        self._function: ReplyFunction | None = script if callable(script) else None
        self._position = 0
        self._ids = itertools.count(1)
        self.requests: list[Request] = []
        """Every request received, in order (tests inspect them)."""

    async def request(self, request: Request) -> Response:
        self.requests.append(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        reply = await self._next_reply(request)
        response = self.to_response(reply, model=request.model or self.name)
        if self.token_ids and response.prompt_token_ids is None:
            response = _with_byte_ids(request, response)
        return response

    async def _next_reply(self, request: Request) -> Reply:
        if self._function is not None:
            result = self._function(request)
            return await result if inspect.isawaitable(result) else result
        assert self._script is not None
        if self._position >= len(self._script):
            raise ScriptExhaustedError(f"scripted model has {len(self._script)} replies; call {self._position + 1}")
        reply = self._script[self._position]
        self._position += 1
        return reply

    def to_response(self, reply: Reply, *, model: str) -> Response:
        """Turn a scripted reply into a complete ``Response``."""
        if isinstance(reply, Response):
            return reply
        n = next(self._ids)
        calls = [reply] if isinstance(reply, ScriptedCall) else reply if isinstance(reply, list) else []
        finish: FinishReason = "tool_calls" if calls else "stop"
        if isinstance(reply, str):
            parts: list[Any] = [TextPart(reply)]
            output_chars = len(reply)
        else:
            parts = [
                ToolCallPart(
                    id=call.id or f"call_scripted_{n}_{i}",
                    name=call.name,
                    arguments=call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments),
                )
                for i, call in enumerate(calls)
            ]
            output_chars = sum(len(p.arguments) for p in parts)
        return Response(
            id=f"scripted-{n}",
            model=model,
            created=int(time.time()),
            message=Message("assistant", parts),
            finish_reason=finish,
            # A rough count: the double has no tokenizer, and says so via token_source.
            usage=Usage(input_tokens=0, output_tokens=max(1, output_chars // 4)),
        )


def _with_byte_ids(request: Request, response: Response) -> Response:
    from ._chatml import assistant_text, render_segments

    prompt = "".join(segment.text for segment in render_segments(request, offer_tools=True))
    completion = assistant_text(response.message).encode()
    ids = list(completion)
    return dataclasses.replace(
        response,
        prompt_token_ids=list(prompt.encode()),
        completion_token_ids=ids,
        logprobs=[TokenLogprob(token=chr(i) if i < 128 else "", logprob=0.0, token_id=i) for i in ids],
        usage=Usage(input_tokens=len(prompt.encode()), output_tokens=len(ids)),
    )
