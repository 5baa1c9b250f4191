"""The Anthropic Messages codec: fidelity, harness quirks, upstream fixes, malformed
input, and streams read by the official anthropic SDK."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollyard.wire import (
    ANTHROPIC,
    CHAT,
    ConversionReport,
    MalformedRequestError,
    Message,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
    WireError,
    response_to_events,
)
from tests.wire.sdk_doubles import rich_response, transport

FULL = {
    "model": "claude",
    "max_tokens": 8000,
    "system": [{"type": "text", "text": "billing line"}, {"type": "text", "text": "base", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "plan", "signature": "sig=="},
            {"type": "redacted_thinking", "data": "opaque=="},
            {"type": "text", "text": "calling"},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
            {"type": "tool_use", "id": "toolu_2", "name": "f", "input": {}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "r1"}], "is_error": False},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "r2", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "and then?"},
        ]},
        {"role": "system", "content": "mid-conversation note"},
        {"role": "assistant", "content": [{"type": "text", "text": "done"}]},
    ],
    "tools": [
        {"name": "f", "description": "d", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
    ],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    "thinking": {"type": "enabled", "budget_tokens": 32000},
    "temperature": 1,
    "stop_sequences": ["END"],
    "stream": True,
    "metadata": {"user_id": "u"},
}  # fmt: skip


def test_full_request_rerenders_exactly_with_canonical_values() -> None:
    request = ANTHROPIC.parse_request(FULL)
    assert ANTHROPIC.render_request(request) == FULL
    roles = [m.role for m in request.messages]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user", "system", "assistant"]
    thinking, redacted = request.messages[2].parts[:2]
    assert isinstance(thinking, ReasoningPart) and (thinking.text, thinking.signature) == ("plan", "sig==")
    assert isinstance(redacted, ReasoningPart) and redacted.redacted_data == "opaque=="
    assert [json.loads(c.arguments) for c in request.messages[2].tool_calls] == [{"a": 1}, {}]
    assert request.parallel_tool_calls is False and request.tool_choice is not None
    assert request.tool_choice.mode == "required"
    assert [t.kind for t in request.tools] == ["function", "builtin"]
    assert request.reasoning is not None and request.reasoning.budget_tokens == 32000


def test_parallel_results_from_chat_merge_into_one_user_message() -> None:
    chat = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "s1"},
            {"role": "developer", "content": "s2"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call.1/x", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}},
                {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": ""}},
            ]},
            {"role": "tool", "tool_call_id": "call.1/x", "content": "one"},
            {"role": "tool", "tool_call_id": "call_2", "content": "two"},
            {"role": "user", "content": "more"},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "parallel_tool_calls": False,
    }  # fmt: skip
    report = ConversionReport()
    body = ANTHROPIC.render_request(CHAT.parse_request(chat), lossless=False, report=report)
    assert body["system"] == [{"type": "text", "text": "s1"}, {"type": "text", "text": "s2"}]
    assistant, results = body["messages"][1], body["messages"][2]
    assert [b["type"] for b in assistant["content"]] == ["tool_use", "tool_use"]  # no empty text block
    ids = [b["id"] for b in assistant["content"]]
    assert all(i.replace("_", "").replace("-", "").isalnum() for i in ids)  # Anthropic's id pattern
    assert assistant["content"][1]["input"] == {}  # "" arguments became {}
    assert [b["type"] for b in results["content"]] == ["tool_result", "tool_result", "text"]
    assert [b["tool_use_id"] for b in results["content"][:2]] == ids
    assert len(body["messages"]) == 3 and body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    # ...and the mapped ids come back as the originals.
    back = ANTHROPIC.parse_request(body)
    assert [c.id for c in back.messages[2].tool_calls] == ["call.1/x", "call_2"]


def test_upstream_render_fixes_what_anthropic_would_refuse() -> None:
    request = Request(
        model="m",
        max_tokens=8000,
        messages=[
            Message("user", [TextPart("q")]),
            Message("assistant", [ReasoningPart(text="unsigned"), ToolCallPart("c1", "f", "{}")]),
            Message("user", [TextPart("trimmed history: the result is gone")]),
            Message("tool", [ToolResultPart("ghost", [TextPart("orphan")])]),
        ],
    )
    request.reasoning = ANTHROPIC.parse_request({**FULL, "stream": False}).reasoning  # budget 32000 > max_tokens
    report = ConversionReport()
    body = ANTHROPIC.render_request(request, lossless=False, report=report)
    assert body["thinking"]["budget_tokens"] == 7999
    assert body["messages"][1]["content"] == [{"type": "tool_use", "id": "c1", "name": "f", "input": {}}]
    follow = body["messages"][2]["content"]
    assert follow[0] == {"type": "tool_result", "tool_use_id": "c1", "is_error": True, "content": "tool result missing"}
    assert all(b.get("tool_use_id") != "ghost" for m in body["messages"] for b in m["content"] if isinstance(b, dict))
    text = " ".join(report.warnings)
    assert "clamped" in text and "orphaned" in text and "no result" in text and "signature" in text


def test_usage_semantics_cache_reads_are_inside_openai_input_tokens() -> None:
    body = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "c",
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 7},
    }  # fmt: skip
    response = ANTHROPIC.parse_response(body)
    assert response.usage == Usage(117, 5, 100, 7, extra=response.usage.extra)  # type: ignore[union-attr]
    assert ANTHROPIC.render_response(response) == body
    chat = CHAT.render_response(response, lossless=False)
    assert chat["usage"]["prompt_tokens"] == 117 and chat["usage"]["prompt_tokens_details"]["cached_tokens"] == 100


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "m", "messages": []}, "max_tokens"),
        ({"max_tokens": 1, "messages": []}, "model"),
        ({"model": "m", "max_tokens": 1, "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "hologram"}]}]}, "messages[0].content[0].type"),
        ({"model": "m", "max_tokens": 1, "messages": [{"role": "user"}]}, "messages[0].content"),
        ({"model": "m", "max_tokens": 1, "messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": []}]}]}, "messages[0].content[0].input"),
        ({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "tool_result"}]}]}, "messages[0].content[0].tool_use_id"),
        ({"model": "m", "max_tokens": 1, "messages": [], "tool_choice": {"type": "maybe"}}, "tool_choice.type"),
        ({"model": "m", "max_tokens": 1, "messages": [], "system": [{"type": "image"}]}, "system[0].type"),
        ({"model": "m", "max_tokens": "lots", "messages": []}, "max_tokens"),
    ],
)  # fmt: skip
def test_malformed_requests_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedRequestError) as info:
        ANTHROPIC.parse_request(body)
    assert info.value.field == field
    status, error = ANTHROPIC.render_error(info.value)
    assert status == 400 and error["type"] == "error" and field in error["error"]["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["model", "system", "messages", "tools", "tool_choice", "thinking", "max_tokens"]), json_values)
def test_fuzz_only_wire_errors_escape(key: str, value: Any) -> None:
    body = json.loads(json.dumps(FULL))
    body[key] = value
    try:
        ANTHROPIC.render_request(ANTHROPIC.parse_request(body), lossless=False)
    except WireError:
        pass


def _client(body: Any, *, stream: bool) -> anthropic.Anthropic:
    http_client = httpx2.Client(transport=transport(body, stream=stream, http=httpx2))
    return anthropic.Anthropic(base_url="http://test", api_key="x", http_client=http_client)


def test_stream_and_json_give_the_same_message_through_the_sdk() -> None:
    response = rich_response(reasoning=ReasoningPart(text="Let me think.", signature="EqQBCkYIBRgCKkA=="))
    sse = "".join(ANTHROPIC.encode_stream(response_to_events(response, chunk_chars=3)))
    assert sse.count("input_json_delta") > 6
    kwargs: Any = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "weather?"}]}
    with _client(sse, stream=True).messages.stream(**kwargs) as stream:
        streamed = stream.get_final_message()
    plain = _client(ANTHROPIC.render_response(response, lossless=False), stream=False).messages.create(**kwargs)
    for message in (streamed, plain):
        assert message.stop_reason == "tool_use"
        kinds = [b.type for b in message.content]
        assert kinds == ["thinking", "text", "tool_use", "tool_use"]
        thinking = message.content[0]
        assert thinking.thinking == "Let me think." and thinking.signature == "EqQBCkYIBRgCKkA=="  # type: ignore[union-attr]
        assert message.content[1].text == "Checking both cities."  # type: ignore[union-attr]
        uses = message.content[2:]
        assert [(u.id, u.name) for u in uses] == [("call_paris01", "get_weather"), ("call_tokyo02", "get_weather")]  # type: ignore[union-attr]
        assert [u.input for u in uses] == [  # type: ignore[union-attr]
            {"city": "Paris", "units": "metric", "days": 3},
            {"city": "Tokyo", "note": "ünïcode ✓"},
        ]
    assert streamed.usage.output_tokens == plain.usage.output_tokens == 45
    assert plain.usage.input_tokens == 100 and plain.usage.cache_read_input_tokens == 20


def test_redacted_thinking_streams_whole_and_decodes_back() -> None:
    response = rich_response(reasoning=ReasoningPart(redacted_data="c2VjcmV0"))
    sse = "".join(ANTHROPIC.encode_stream(response_to_events(response, chunk_chars=5)))
    kwargs: Any = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "x"}]}
    with _client(sse, stream=True).messages.stream(**kwargs) as stream:
        message = stream.get_final_message()
    assert message.content[0].type == "redacted_thinking" and message.content[0].data == "c2VjcmV0"  # type: ignore[union-attr]
    decoded = ANTHROPIC.parse_stream(sse)
    assert decoded.message.parts == response.message.parts and decoded.finish_reason == "tool_calls"
