"""The Anthropic Messages codec: fidelity, harness quirks, upstream fixes, malformed
input, and streams read by the official anthropic SDK."""

from __future__ import annotations

import dataclasses
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
    RESPONSES,
    ConversionReport,
    MalformedRequestError,
    MalformedResponseError,
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


# ---- hand-written bodies: every request feature re-renders exactly ----

PNG = "iVBORw0KGgo="
FEATURES: list[dict[str, Any]] = [
    {"model": "m", "max_tokens": 10, "system": "be brief", "messages": [{"role": "user", "content": "hi"}]},
    {
        "model": "m", "max_tokens": 10,
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "look", "citations": [{"type": "char_location", "cited_text": "x"}]},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}, "title": "t"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}, "cache_control": {"type": "ephemeral"}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        ]}],
        "top_k": 5, "output_config": {"effort": "low"}, "context_management": {"edits": []}, "service_tier": "auto",
    },
    {
        "model": "m", "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_a", "name": "shot", "input": {"q": "ünï", "n": [1, {"x": None}]}}]},
            {"role": "user", "content": [
                {"type": "text", "text": "before"},
                {"type": "tool_result", "tool_use_id": "toolu_a", "is_error": True, "content": [
                    {"type": "text", "text": "failed"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": PNG}},
                ]},
                {"type": "text", "text": "after"},
            ]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_b", "name": "shot", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_b"}]},
        ],
        "tools": [
            {"type": "custom", "name": "shot", "description": "d", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
            {"type": "bash_20250124", "name": "bash"},
            {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool", "max_characters": 1000},
            {"type": "computer_20250124", "name": "computer", "display_width_px": 1024, "display_height_px": 768},
        ],
        "tool_choice": {"type": "tool", "name": "shot"},
        "thinking": {"type": "disabled"},
        "top_p": 0.5,
    },
    {"model": "m", "max_tokens": 10, "messages": [], "tools": [], "tool_choice": {"type": "auto"}, "thinking": {"type": "adaptive"}, "stream": False},
    {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": []}], "tool_choice": {"type": "none", "disable_parallel_tool_use": False}},
]  # fmt: skip


@pytest.mark.parametrize("body", FEATURES)
def test_feature_bodies_rerender_exactly(body: dict[str, Any]) -> None:
    assert ANTHROPIC.render_request(ANTHROPIC.parse_request(body)) == body


def test_feature_bodies_parse_to_the_expected_canonical_values() -> None:
    plain = ANTHROPIC.parse_request(FEATURES[0])
    assert [(m.role, m.content_form, m.text) for m in plain.messages] == [
        ("system", "string", "be brief"),
        ("user", "string", "hi"),
    ]
    media = ANTHROPIC.parse_request(FEATURES[1])
    parts = media.messages[0].parts
    assert [type(p).__name__ for p in parts] == ["TextPart", "ImagePart", "ImagePart"]  # document kept aside
    assert parts[0].extra["citations"][0]["cited_text"] == "x"
    assert (parts[1].data, parts[1].media_type, parts[2].url) == (PNG, "image/png", "https://example.com/a.png")  # type: ignore[union-attr]
    assert media.extra["top_k"] == 5 and media.extra["output_config"] == {"effort": "low"}
    tools = ANTHROPIC.parse_request(FEATURES[2])
    assert [m.role for m in tools.messages] == ["user", "assistant", "user", "tool", "user", "assistant", "tool"]
    call = tools.messages[1].tool_calls[0]
    assert (call.id, call.name, json.loads(call.arguments)) == ("toolu_a", "shot", {"q": "ünï", "n": [1, {"x": None}]})
    result = tools.messages[3].parts[0]
    assert isinstance(result, ToolResultPart) and (result.call_id, result.is_error, result.text) == (
        "toolu_a",
        True,
        "failed",
    )
    assert [m.text for m in tools.messages[2:5]] == ["before", "", "after"]
    assert [(t.kind, t.parameters) for t in tools.tools][:2] == [("function", {"type": "object"}), ("builtin", None)]
    assert tools.tools[3].raw is not None and tools.tools[3].raw["display_width_px"] == 1024
    assert tools.tool_choice is not None and (tools.tool_choice.mode, tools.tool_choice.name) == ("tool", "shot")
    assert (
        tools.parallel_tool_calls is None
        and tools.reasoning is not None
        and tools.reasoning.thinking_type == "disabled"
    )
    choice = ANTHROPIC.parse_request(FEATURES[4])
    assert choice.parallel_tool_calls is True and choice.tool_choice is not None and choice.tool_choice.mode == "none"


def test_claude_code_mid_conversation_system_stays_in_place_across_dialects() -> None:
    chat = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "base"},
            {"role": "user", "content": "q"},
            {"role": "system", "content": "agent types: ..."},
            {"role": "assistant", "content": "a"},
        ],
    }
    body = ANTHROPIC.render_request(CHAT.parse_request(chat), lossless=False)
    assert body["system"] == "base"
    assert body["messages"] == [
        {"role": "user", "content": "q"},
        {"role": "system", "content": "agent types: ..."},
        {"role": "assistant", "content": "a"},
    ]
    request = ANTHROPIC.parse_request(body)
    assert [m.role for m in request.messages] == ["system", "user", "system", "assistant"]


def test_thinking_budget_kept_exact_for_the_same_dialect_and_dropped_when_no_room() -> None:
    qwen = {**FULL, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 32000}}
    assert ANTHROPIC.render_request(ANTHROPIC.parse_request(qwen))["thinking"]["budget_tokens"] == 32000
    report = ConversionReport()
    small = ANTHROPIC.render_request(
        ANTHROPIC.parse_request({**qwen, "max_tokens": 1000}), lossless=False, report=report
    )
    assert "thinking" not in small and any("thinking dropped" in w for w in report.warnings)


def test_invalid_tool_arguments_carried_losslessly_and_reported_upstream() -> None:
    chat = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{bad"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "r"},
        ],
    }  # fmt: skip
    report = ConversionReport()
    body = ANTHROPIC.render_request(CHAT.parse_request(chat), report=report)
    assert body["messages"][1]["content"][0]["input"] == {} and "_rollyard" in body["messages"][1]
    assert CHAT.render_request(ANTHROPIC.parse_request(body)) == chat
    report = ConversionReport()
    upstream = ANTHROPIC.render_request(CHAT.parse_request(chat), lossless=False, report=report)
    assert "_rollyard" not in json.dumps(upstream) and any("not a JSON object" in w for w in report.warnings)


def test_responses_reasoning_round_trips_losslessly_and_is_dropped_upstream() -> None:
    body = {
        "model": "m",
        "input": [
            {"type": "message", "role": "user", "content": "q"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "sum"}], "encrypted_content": "gAAAenc"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "ok"},
        ],
    }  # fmt: skip
    report = ConversionReport()
    lossless = ANTHROPIC.render_request(RESPONSES.parse_request(body), report=report)
    assert lossless["messages"][1]["content"][0] == {"type": "thinking", "thinking": "sum", "signature": ""}
    assert RESPONSES.render_request(ANTHROPIC.parse_request(lossless)) == body
    assert any("carried" in w for w in report.warnings)
    report = ConversionReport()
    upstream = ANTHROPIC.render_request(RESPONSES.parse_request(body), lossless=False, report=report)
    assert [b["type"] for b in upstream["messages"][1]["content"]] == ["tool_use"]
    assert any("signature" in w for w in report.warnings)


def test_developer_prompt_becomes_system_and_is_reported() -> None:
    chat = {"model": "m", "messages": [{"role": "developer", "content": "rules"}, {"role": "user", "content": "q"}]}
    report = ConversionReport()
    body = ANTHROPIC.render_request(CHAT.parse_request(chat), report=report)
    assert body["system"] == "rules" and any("developer" in w for w in report.warnings)
    assert CHAT.render_request(ANTHROPIC.parse_request(body)) == chat


@pytest.mark.parametrize(
    ("call_id", "mapped"),
    [
        ("toolu_01A-b", "toolu_01A-b"),
        ("call.1/x", "rlyx_" + b"call.1/x".hex()),
        ("rlyx_abc", "rlyx_" + b"rlyx_abc".hex()),
    ],
)
def test_tool_ids_are_mapped_reversibly(call_id: str, mapped: str) -> None:
    request = Request(
        model="m",
        max_tokens=5,
        messages=[
            Message("assistant", [ToolCallPart(call_id, "f", "{}")]),
            Message("tool", [ToolResultPart(call_id, [TextPart("r")])]),
        ],
    )
    body = ANTHROPIC.render_request(request, lossless=False)
    assert body["messages"][0]["content"][0]["id"] == body["messages"][1]["content"][0]["tool_use_id"] == mapped
    back = ANTHROPIC.parse_request(body)
    assert back.messages[0].tool_calls[0].id == call_id
    assert isinstance(back.messages[1].parts[0], ToolResultPart) and back.messages[1].parts[0].call_id == call_id


# ---- responses ----


@pytest.mark.parametrize(
    ("stop_reason", "finish", "sequence"),
    [
        ("end_turn", "stop", None),
        ("max_tokens", "length", None),
        ("tool_use", "tool_calls", None),
        ("stop_sequence", "stop_sequence", "END"),
        ("refusal", "content_filter", None),
        ("pause_turn", "pause_turn", None),
    ],
)
def test_stop_reasons_map_both_ways(stop_reason: str, finish: str, sequence: str | None) -> None:
    body = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "c",
        "content": [
            {"type": "thinking", "thinking": "t", "signature": "s"},
            {"type": "redacted_thinking", "data": "r"},
            {"type": "text", "text": "x", "citations": None},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
        ],
        "stop_reason": stop_reason, "stop_sequence": sequence,
        "usage": {"input_tokens": 3, "output_tokens": 4, "service_tier": "standard"},
        "container": None,
    }  # fmt: skip
    response = ANTHROPIC.parse_response(body)
    assert (response.finish_reason, response.stop_sequence) == (finish, sequence)
    assert ANTHROPIC.render_response(response) == body
    foreign = dataclasses.replace(response, origin="chat", extra={})  # as if another dialect produced it
    assert ANTHROPIC.render_response(foreign, lossless=False)["stop_reason"] == stop_reason


def test_cross_dialect_response_usage_subtracts_cache_and_skips_empty_text() -> None:
    response = rich_response()
    response.message.parts.insert(0, TextPart(""))
    response.usage = Usage(input_tokens=130, output_tokens=5, cache_read_tokens=20, cache_creation_tokens=10)
    body = ANTHROPIC.render_response(response, lossless=False)
    assert body["usage"] == {
        "input_tokens": 100,
        "output_tokens": 5,
        "cache_read_input_tokens": 20,
        "cache_creation_input_tokens": 10,
    }
    assert [b["type"] for b in body["content"]] == ["text", "tool_use", "tool_use"]
    assert body["stop_reason"] == "tool_use" and body["content"][1]["input"] == {
        "city": "Paris",
        "units": "metric",
        "days": 3,
    }


# ---- streams ----


def test_own_stream_decodes_back_to_the_canonical_response() -> None:
    response = rich_response(reasoning=ReasoningPart(text="Let me think.", signature="EqQBCkYIBRgCKkA=="))
    response.message.parts.insert(1, TextPart(""))  # an empty text part: no block is sent for it
    sse = "".join(ANTHROPIC.encode_stream(response_to_events(response, chunk_chars=3)))
    assert sse.startswith("event: message_start\n") and "event: ping\n" in sse.split("content_block_start")[0]
    assert sse.count("event: content_block_start") == 4
    decoded = ANTHROPIC.parse_stream(sse)
    expected = [p for p in response.message.parts if not (isinstance(p, TextPart) and not p.text)]
    assert decoded.message.parts == expected
    assert (decoded.id, decoded.model, decoded.finish_reason) == ("resp_1", "m", "tool_calls")
    assert decoded.usage is not None and response.usage is not None
    assert (decoded.usage.input_tokens, decoded.usage.output_tokens, decoded.usage.cache_read_tokens) == (120, 45, 20)


def test_streamed_usage_matches_the_json_usage_through_the_sdk() -> None:
    response = rich_response()
    kwargs: Any = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "x"}]}
    sse = "".join(ANTHROPIC.encode_stream(response_to_events(response, chunk_chars=4)))
    with _client(sse, stream=True).messages.stream(**kwargs) as stream:
        streamed = stream.get_final_message()
    plain = _client(ANTHROPIC.render_response(response, lossless=False), stream=False).messages.create(**kwargs)
    assert streamed.usage.input_tokens == plain.usage.input_tokens == 100
    assert streamed.usage.cache_read_input_tokens == plain.usage.cache_read_input_tokens == 20
    assert streamed.model_dump()["content"] == plain.model_dump()["content"]


START = {"type": "message_start", "message": {"id": "a", "model": "m", "usage": {"input_tokens": 1}}}
TEXT0 = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
END = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([START, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}], "stream[1]"),
        ([START, {"type": "content_block_delta", "index": 4, "delta": {"type": "text_delta", "text": "x"}}, END], "stream[1].index"),
        ([START, TEXT0, {"type": "content_block_delta", "index": 0, "delta": "x"}, END], "stream[2].delta"),
        ([START, TEXT0, {"type": "content_block_delta", "index": 0, "delta": {"type": "magic_delta"}}, END], "stream[2].delta.type"),
        ([START, {"type": "content_block_start", "index": 0, "content_block": {"type": "hologram"}}], "stream[1].content_block.type"),
        ([START, {"type": "content_block_stop", "index": "0"}], "stream[1].index"),
        ([{"type": "content_block_stop", "index": 0}], "stream[0].type"),
        ([START, TEXT0], "stream"),
    ],
)  # fmt: skip
def test_malformed_streams_raise_malformed_response_errors(events: list[Any], field: str) -> None:
    sse = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    with pytest.raises(MalformedResponseError) as info:
        ANTHROPIC.parse_stream(sse)
    assert info.value.field == field


stream_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1, 3) | st.sampled_from(["", "x", "text", "text_delta", "tool_use", "{"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "index", "delta", "content_block", "usage", "text", "id", "name"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=8,
)
event_types = st.sampled_from(
    ["content_block_start", "content_block_delta", "content_block_stop", "message_delta", "ping", "error"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(event_types, stream_values), max_size=5))
def test_fuzz_streams_only_raise_wire_errors(events: list[tuple[str, Any]]) -> None:
    bodies = [START] + [{**v, "type": t} if isinstance(v, dict) else v for t, v in events]
    sse = "".join(f"data: {json.dumps(b)}\n\n" for b in bodies)
    try:
        ANTHROPIC.parse_stream(sse)
    except WireError:
        pass


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (MalformedRequestError("bad", field="messages[0].role"), 400, "invalid_request_error"),
        (WireError("no such model", kind="not_found"), 404, "not_found_error"),
        (WireError("too big", kind="too_large"), 413, "request_too_large"),
        (WireError("paused", kind="overloaded"), 503, "overloaded_error"),
        (MalformedResponseError("backend said nonsense", field="content"), 502, "api_error"),
    ],
)
def test_render_error_uses_the_anthropic_error_shape(error: WireError, status: int, kind: str) -> None:
    got_status, body = ANTHROPIC.render_error(error)
    assert got_status == status and body == {"type": "error", "error": {"type": kind, "message": str(error)}}
    if error.field:
        assert error.field in body["error"]["message"]
