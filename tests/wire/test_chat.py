"""The Chat Completions codec: fidelity, malformed input, and streams read by the official openai SDK."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollyard.wire import (
    CHAT,
    MalformedRequestError,
    ReasoningPart,
    TokenLogprob,
    WireError,
    response_to_events,
)
from tests.wire.sdk_doubles import rich_response, transport

FULL = {
    "model": "qwen",
    "messages": [
        {"role": "system", "content": "one"},
        {"role": "developer", "content": [{"type": "text", "text": "two", "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}]},
        {"role": "assistant", "content": None, "reasoning_content": "hmm", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}},
            {"id": "c2", "type": "function", "function": {"name": "f", "arguments": ""}},
        ]},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "r1"}]},
        {"role": "tool", "tool_call_id": "c2", "content": "r2"},
        {"role": "system", "content": "mid-conversation"},
        {"role": "assistant", "content": "", "name": "bot"},
    ],
    "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": True}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "parallel_tool_calls": False,
    "max_completion_tokens": 50,
    "temperature": 0.5,
    "stop": "END",
    "stream": True,
    "stream_options": {"include_usage": True},
    "logprobs": True,
    "top_logprobs": 2,
    "reasoning_effort": "low",
    "seed": 7,
    "return_token_ids": True,
}  # fmt: skip


def test_full_request_rerenders_exactly_with_canonical_values() -> None:
    request = CHAT.parse_request(FULL)
    assert CHAT.render_request(request) == FULL
    assert [m.role for m in request.messages] == [
        "system", "developer", "user", "assistant", "tool", "tool", "system", "assistant",
    ]  # fmt: skip
    assistant = request.messages[3]
    assert isinstance(assistant.parts[0], ReasoningPart) and assistant.parts[0].text == "hmm"
    assert [(c.id, c.arguments) for c in assistant.tool_calls] == [("c1", '{"a":1}'), ("c2", "")]
    assert request.tool_choice is not None and (request.tool_choice.mode, request.tool_choice.name) == ("tool", "f")
    assert request.max_tokens == 50 and request.stop == ["END"] and request.stream_include_usage is True
    assert request.reasoning is not None and request.reasoning.effort == "low"
    assert request.extra["seed"] == 7 and request.extra["return_token_ids"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": []}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": "hi"}, "messages"),
        ({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "video"}]}]}, "messages[0].content[0].type"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]}, "messages[0].content[0].text"),
        ({"model": "m", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {}}]}]}, "messages[0].tool_calls[0].function.name"),
        ({"model": "m", "messages": [], "tools": [{"type": "rocket"}]}, "tools[0].type"),
        ({"model": "m", "messages": [], "temperature": "hot"}, "temperature"),
        ({"model": "m", "messages": [], "stream": 1}, "stream"),
        ({"model": "m", "messages": [], "tool_choice": "sometimes"}, "tool_choice"),
        ({"model": 5, "messages": []}, "model"),
    ],
)  # fmt: skip
def test_malformed_requests_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedRequestError) as info:
        CHAT.parse_request(body)
    assert info.value.field == field
    status, error = CHAT.render_error(info.value)
    assert status == 400 and error["error"]["param"] == field and error["error"]["type"] == "invalid_request_error"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["model", "messages", "tools", "tool_choice", "stop", "stream_options", "logprobs"]), json_values
)
def test_fuzz_only_wire_errors_escape(key: str, value: Any) -> None:
    body = json.loads(json.dumps(FULL))
    body[key] = value
    try:
        CHAT.render_request(CHAT.parse_request(body))
    except WireError:
        pass


def _client(body: Any, *, stream: bool) -> openai.OpenAI:
    return openai.OpenAI(
        base_url="http://test/v1", api_key="x", http_client=httpx.Client(transport=transport(body, stream=stream))
    )


def test_stream_and_json_give_the_same_message_through_the_sdk() -> None:
    response = rich_response(reasoning=ReasoningPart(text="Let me think."))
    sse = "".join(CHAT.encode_stream(response_to_events(response, chunk_chars=3)))
    assert sse.count('"arguments"') > 6  # the arguments really are fragmented
    kwargs: Any = {"model": "m", "messages": [{"role": "user", "content": "weather?"}]}
    with _client(sse, stream=True).chat.completions.stream(**kwargs) as stream:
        streamed = stream.get_final_completion()
    plain = _client(CHAT.render_response(response, lossless=False), stream=False).chat.completions.create(**kwargs)
    for completion in (streamed, plain):
        choice = completion.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.content == "Checking both cities."
        calls = choice.message.tool_calls or []
        assert [(c.id, c.function.name) for c in calls] == [
            ("call_paris01", "get_weather"),
            ("call_tokyo02", "get_weather"),
        ]  # type: ignore[union-attr]
        assert [json.loads(c.function.arguments) for c in calls] == [  # type: ignore[union-attr]
            {"city": "Paris", "units": "metric", "days": 3},
            {"city": "Tokyo", "note": "ünïcode ✓"},
        ]
        assert getattr(choice.message, "reasoning_content", None) == "Let me think."
    assert streamed.usage is not None and plain.usage is not None
    assert (streamed.usage.prompt_tokens, streamed.usage.completion_tokens) == (120, 45)
    assert plain.usage.prompt_tokens == 120


def test_our_decoder_restores_the_response_with_opaque_reasoning() -> None:
    reasoning = ReasoningPart(text="think", signature="sig==", summary=["short"])
    response = rich_response(reasoning=reasoning)
    decoded = CHAT.parse_stream("".join(CHAT.encode_stream(response_to_events(response, chunk_chars=4))))
    assert decoded.message.parts == response.message.parts
    assert decoded.finish_reason == "tool_calls" and decoded.usage is not None
    assert decoded.usage.input_tokens == 120 and decoded.usage.cache_read_tokens == 20


def test_token_ids_and_logprobs_render_vllm_style_and_parse_back() -> None:
    response = rich_response()
    response.prompt_token_ids = [1, 2, 3]
    response.completion_token_ids = [7, 8]
    response.logprobs = [TokenLogprob("a", -0.5, token_id=7, bytes=[97]), TokenLogprob("b", -1.0, token_id=8)]
    body = CHAT.render_response(response, lossless=False)
    assert body["prompt_token_ids"] == [1, 2, 3] and body["choices"][0]["token_ids"] == [7, 8]
    assert [e["logprob"] for e in body["choices"][0]["logprobs"]["content"]] == [-0.5, -1.0]
    again = CHAT.parse_response(body)
    assert again.prompt_token_ids == [1, 2, 3] and again.completion_token_ids == [7, 8]
    assert again.logprobs is not None and [lp.token_id for lp in again.logprobs] == [7, 8]
    assert CHAT.render_response(again) == body  # same-dialect fidelity of responses too
