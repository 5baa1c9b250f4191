"""Serve fixed bodies to the official SDKs through httpx's MockTransport (the SDKs'
own transport seam): their parsers, not ours, read what the codecs render."""

from __future__ import annotations

import json
from typing import Any

import httpx

from rollyard.wire import Message, ReasoningPart, Response, TextPart, ToolCallPart, Usage


def transport(body: Any, *, stream: bool, http: Any = httpx) -> Any:
    """A MockTransport of ``http`` (``httpx``, or ``httpx2`` which the anthropic SDK uses)."""

    def handler(request: Any) -> Any:
        if stream:
            return http.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})
        return http.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})

    return http.MockTransport(handler)


def rich_response(*, reasoning: ReasoningPart | None = None) -> Response:
    """Reasoning, text, and two parallel tool calls whose arguments will be fragmented."""
    parts: list[Any] = []
    if reasoning is not None:
        parts.append(reasoning)
    parts += [
        TextPart("Checking both cities."),
        ToolCallPart("call_paris01", "get_weather", json.dumps({"city": "Paris", "units": "metric", "days": 3})),
        ToolCallPart("call_tokyo02", "get_weather", json.dumps({"city": "Tokyo", "note": "ünïcode ✓"})),
    ]
    return Response(
        id="resp_1",
        model="m",
        created=1700000000,
        message=Message("assistant", parts),
        finish_reason="tool_calls",
        usage=Usage(input_tokens=120, output_tokens=45, cache_read_tokens=20),
    )
