"""Fuzzing every endpoint with malformed bodies and headers: never a 500, always an
answer in the endpoint's own error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import ServedApp

VALID: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {
        "model": "m",
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "r"},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "stream": False,
    },
    "/v1/responses": {
        "model": "m",
        "instructions": "i",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "r"},
        ],
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
    },
    "/v1/messages": {
        "model": "m",
        "max_tokens": 10,
        "system": [{"type": "text", "text": "s"}],
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "r"}]},
        ],
        "tools": [{"name": "f", "input_schema": {"type": "object"}}],
    },
    "/v1/messages/count_tokens": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
}  # fmt: skip

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _set(copy[path[0]], path[1:], new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, endpoint: str) -> bytes:
    body: Any = json.loads(json.dumps(VALID[endpoint]))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(body))
        path = draw(st.sampled_from(paths))
        body = _set(body, path, draw(json_value))
    raw = json.dumps(body).encode()
    if draw(st.integers(0, 9)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]  # truncated JSON
    return raw


headers = st.dictionaries(
    st.sampled_from(["authorization", "x-api-key", "session-id", "x-claude-code-session-id", "anthropic-beta",
                     "user-agent", "x-parent-session-id", "content-type", "x-codex-turn-metadata"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    max_size=4,
)  # fmt: skip


@pytest.mark.parametrize("endpoint", list(VALID))
def test_no_500_from_malformed_bodies_and_headers(gateway: ServedApp, endpoint: str) -> None:
    client = httpx.Client(timeout=10)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=mutated(endpoint), extra=headers, session_path=st.booleans())
    def check(body: bytes, extra: dict[str, str], session_path: bool) -> None:
        prefix = "/s/fuzz" if session_path else ""
        try:
            response = client.post(
                f"{gateway.url}{prefix}{endpoint}", content=body, headers={"content-type": "application/json", **extra}
            )
        except httpx.LocalProtocolError:
            return  # httpx refused to send the header: nothing reached the gateway
        assert response.status_code < 500 or response.status_code in (502, 504), response.text
        payload = response.json()
        if response.status_code >= 400:
            if endpoint.startswith("/v1/messages"):
                assert payload["type"] == "error" and payload["error"]["message"]
            else:
                assert payload["error"]["message"]

    try:
        check()
    finally:
        client.close()
