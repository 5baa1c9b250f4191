"""The OpenAI Responses codec: requests (same-dialect fidelity, canonical values, strict
validation, fuzzing, foreign round trips), response bodies, streams through the official
SDK, and errors."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollyard.wire import (
    RESPONSES,
    ConversionReport,
    ImagePart,
    MalformedRequestError,
    MalformedResponseError,
    Message,
    Part,
    ReasoningConfig,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    TokenLogprob,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    UnsupportedFeatureError,
    Usage,
    WireError,
    parse_sse,
    response_to_events,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "harness-captures"


def _codex_captures() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(FIXTURES.glob("*/*/*.json")):
        capture = json.loads(path.read_text())
        if capture["method"] == "POST" and capture["path"].split("?")[0] == "/v1/responses":
            found.append((str(path.relative_to(FIXTURES)), capture["body"]))
    return found


CAPTURES = _codex_captures()


def roundtrip(body: dict[str, Any]) -> Request:
    """Parse, assert the re-render is the same body, and return the canonical request."""
    request = RESPONSES.parse_request(copy.deepcopy(body))
    assert request.origin == "responses"
    assert RESPONSES.render_request(request) == body
    return request


# ---- 1. real harness captures ----


def test_codex_captures_are_present() -> None:
    assert len(CAPTURES) >= 3


@pytest.mark.parametrize(("name", "body"), CAPTURES, ids=[c[0] for c in CAPTURES])
def test_codex_capture_rerenders_to_the_same_body(name: str, body: dict[str, Any]) -> None:
    roundtrip(body)


def test_codex_tool_turn_canonical_values() -> None:
    body = next(b for n, b in CAPTURES if n == "codex/tool/002_POST_v1_responses.json")
    request = roundtrip(body)
    # The base prompt arrives as developer items, not instructions.
    assert [m.role for m in request.messages] == ["developer", "developer", "user", "user", "assistant", "tool"]
    assert request.messages[0].text.startswith("You are a coding agent running in the Codex CLI")
    assert request.messages[0].id == "msg_a4c71207-182d-5dee-a1f6-4b4c1372a00e"
    (call,) = request.messages[4].parts
    assert call == ToolCallPart(
        id="call_a616358e0bed46f4",
        name="exec_command",
        arguments='{"cmd": "ls"}',
        item_id="fc_d053c79d9a1441f7",
        extra={"status": "completed"},
    )
    (result,) = request.messages[5].parts
    assert isinstance(result, ToolResultPart)
    assert result.call_id == "call_a616358e0bed46f4"
    assert result.item_id == "fco_01a21103-cb6d-7651-a0a2-033010e9db08"
    assert result.content_form == "string" and result.text.endswith("hello.txt\n")
    kinds = {t.name: t.kind for t in request.tools}
    assert kinds["exec_command"] == "function" and kinds["multi_agent_v1"] == "namespace"
    assert kinds["web_search"] == "builtin"
    namespace = next(t for t in request.tools if t.kind == "namespace")
    assert namespace.raw is not None and namespace.raw["tools"][0]["name"] == "close_agent"
    assert request.reasoning == ReasoningConfig(summary="auto")
    assert request.tool_choice == ToolChoice("auto")
    assert request.parallel_tool_calls is True and request.stream is True
    assert request.extra["include"] == ["reasoning.encrypted_content"]
    assert request.extra["store"] is False and "prompt_cache_key" in request.extra
    assert "client_metadata" in request.extra


# ---- 2. hand-written requests: every feature ----

IMAGE = {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "high"}
FILE_IMAGE = {"type": "input_image", "file_id": "file-123", "detail": "auto"}
REASONING_ITEM = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [{"type": "summary_text", "text": "Plan."}, {"type": "summary_text", "text": "Act."}],
    "content": [{"type": "reasoning_text", "text": "Think it through."}],
    "encrypted_content": "gAAAAenc",
    "status": "completed",
}
OUTPUT_TEXT = {
    "type": "output_text",
    "text": "Checking.",
    "annotations": [{"type": "url_citation", "start_index": 0, "end_index": 3, "title": "t", "url": "https://x"}],
    "logprobs": [{"token": "Check", "logprob": -0.1, "bytes": [67], "top_logprobs": []}],
}

FEATURES: dict[str, dict[str, Any]] = {
    "instructions and string input": {"model": "gpt-5", "instructions": "Be brief.", "input": "Hello"},
    "easy messages without type, every role": {
        "model": "gpt-5",
        "input": [
            {"role": "system", "content": "sys"},
            {"role": "developer", "content": "dev"},
            {"role": "user", "content": [{"type": "input_text", "text": "look"}, IMAGE, FILE_IMAGE]},
            {"role": "assistant", "content": "plain answer"},
            {"role": "user", "content": "thanks"},
        ],
    },
    "assistant group: reasoning, message, parallel calls": {
        "model": "gpt-5",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"}], "id": "msg_u"},
            REASONING_ITEM,
            {
                "type": "message",
                "id": "msg_a",
                "role": "assistant",
                "status": "completed",
                "phase": "commentary",
                "content": [OUTPUT_TEXT, {"type": "refusal", "refusal": "not that"}],
            },
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "weather",
                "arguments": '{"city":"Paris"}',
                "status": "completed",
            },
            {
                "type": "function_call",
                "id": "fc_2",
                "call_id": "call_2",
                "name": "lookup",
                "namespace": "tools_ns",
                "arguments": "",
            },
            {
                "type": "function_call_output",
                "id": "fco_1",
                "call_id": "call_1",
                "output": "sunny",
                "status": "completed",
            },
            {
                "type": "function_call_output",
                "call_id": "call_2",
                "output": [
                    {"type": "input_text", "text": "a picture:"},
                    IMAGE,
                    {"type": "input_file", "file_id": "file-9"},
                ],
            },
        ],
    },
    "custom tool call and output": {
        "model": "gpt-5",
        "input": [
            {"role": "user", "content": "patch it"},
            {
                "type": "custom_tool_call",
                "id": "ctc_1",
                "call_id": "call_c",
                "name": "apply_patch",
                "input": "*** Begin",
            },
            {"type": "custom_tool_call_output", "call_id": "call_c", "output": "done"},
        ],
        "tools": [{"type": "custom", "name": "apply_patch", "description": "Patch.", "format": {"type": "text"}}],
        "tool_choice": {"type": "custom", "name": "apply_patch"},
    },
    "two assistant messages in a row and reasoning variants": {
        "model": "gpt-5",
        "input": [
            {"role": "user", "content": "go"},
            {"type": "reasoning", "summary": [], "encrypted_content": "opaque"},
            {"role": "assistant", "content": "first"},
            {
                "type": "message",
                "id": "msg_2",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "second"}],
            },
            {
                "type": "reasoning",
                "id": "rs_2",
                "summary": [{"type": "summary_text", "text": "s", "extra_key": 1}],
                "content": [{"type": "reasoning_text", "text": "a"}, {"type": "reasoning_text", "text": "b"}],
            },
            {"type": "reasoning", "id": "rs_3", "summary": [], "content": None, "encrypted_content": None},
        ],
    },
    "documented items with no canonical slot": {
        "model": "gpt-5",
        "input": [
            {"id": "msg_prev"},
            {"type": "item_reference", "id": "rs_prev"},
            {"role": "user", "content": "search"},
            {"type": "reasoning", "id": "rs_w", "summary": []},
            {
                "type": "web_search_call",
                "id": "ws_1",
                "status": "completed",
                "action": {"type": "search", "query": "q"},
            },
            {"type": "message", "id": "msg_w", "role": "assistant", "content": []},
            {
                "type": "local_shell_call",
                "id": "lsh_1",
                "call_id": "c_sh",
                "status": "completed",
                "action": {"type": "exec", "command": ["ls"], "env": {}},
            },
            {"type": "local_shell_call_output", "id": "lsho_1", "output": "a.txt"},
            {"type": "compaction", "id": "cmp_1", "encrypted_content": "zzz"},
            {
                "role": "user",
                "content": [{"type": "input_file", "file_id": "file-1"}, {"type": "input_text", "text": "x"}],
            },
        ],
    },
    "tools, tool choice and sampling fields": {
        "model": "gpt-5",
        "input": "hi",
        "tools": [
            {
                "type": "function",
                "name": "f",
                "description": "F.",
                "parameters": {"type": "object", "properties": {}},
                "strict": True,
                "defer_loading": True,
            },
            {"type": "function", "name": "g", "parameters": None, "strict": None},
            {"type": "web_search_preview", "search_context_size": "low"},
            {"type": "file_search", "vector_store_ids": ["vs_1"]},
            {"type": "computer_use_preview", "display_width": 1024, "display_height": 768, "environment": "linux"},
            {"type": "code_interpreter", "container": {"type": "auto"}},
            {"type": "image_generation"},
            {"type": "local_shell"},
            {"type": "mcp", "server_label": "deepwiki", "server_url": "https://mcp.deepwiki.com/mcp"},
        ],
        "tool_choice": {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "f"}]},
        "parallel_tool_calls": False,
        "max_output_tokens": 128,
        "temperature": 0.2,
        "top_p": 1,
        "top_logprobs": 3,
        "stream": False,
        "reasoning": {"effort": "high", "summary": "detailed"},
        "include": ["reasoning.encrypted_content", "message.output_text.logprobs"],
        "store": False,
        "prompt_cache_key": "k",
        "client_metadata": {"a": "b"},
        "metadata": {"run": "1"},
        "previous_response_id": "resp_prev",
        "text": {"format": {"type": "text"}, "verbosity": "low"},
        "truncation": "auto",
        "user": "u-1",
        "service_tier": "auto",
        "instructions": None,
    },
    "named function choice and empty tools": {
        "model": "gpt-5",
        "input": [],
        "tools": [],
        "tool_choice": {"type": "function", "name": "f"},
    },
    "string tool choices": {"model": "gpt-5", "input": "x", "tool_choice": "required"},
    "only opaque input": {"model": "gpt-5", "input": [{"type": "item_reference", "id": "msg_1"}]},
    "no input": {"model": "gpt-5", "previous_response_id": "resp_1", "instructions": "again"},
}


@pytest.mark.parametrize("name", list(FEATURES))
def test_feature_rerenders_to_the_same_body(name: str) -> None:
    roundtrip(FEATURES[name])


def test_instructions_and_string_input() -> None:
    request = roundtrip(FEATURES["instructions and string input"])
    system, user = request.messages
    assert system.role == "system" and system.text == "Be brief." and system.extra == {"instructions": True}
    assert user.role == "user" and user.text == "Hello" and user.content_form == "string"


def test_easy_messages_and_images() -> None:
    request = roundtrip(FEATURES["easy messages without type, every role"])
    assert [m.role for m in request.messages] == ["system", "developer", "user", "assistant", "user"]
    user = request.messages[2]
    assert user.parts[1] == ImagePart(url="https://example.com/cat.png", detail="high")
    assert user.parts[2] == ImagePart(detail="auto", extra={"file_id": "file-123"})
    assert request.messages[3].content_form == "string" and request.messages[3].text == "plain answer"


def test_assistant_items_group_into_one_message_in_order() -> None:
    request = roundtrip(FEATURES["assistant group: reasoning, message, parallel calls"])
    assert [m.role for m in request.messages] == ["user", "assistant", "tool", "tool"]
    assistant = request.messages[1]
    assert [type(p).__name__ for p in assistant.parts] == [
        "ReasoningPart",
        "TextPart",
        "TextPart",
        "ToolCallPart",
        "ToolCallPart",
    ]
    reasoning = assistant.parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.id == "rs_1" and reasoning.summary == ["Plan.", "Act."]
    assert reasoning.text == "Think it through." and reasoning.encrypted_content == "gAAAAenc"
    assert assistant.id == "msg_a" and assistant.extra["phase"] == "commentary"
    assert assistant.parts[1].extra["logprobs"] == OUTPUT_TEXT["logprobs"]  # type: ignore[union-attr]
    assert assistant.parts[2] == TextPart("not that", extra={"type": "refusal"})
    first, second = assistant.tool_calls
    assert (first.id, first.item_id, first.name, first.arguments) == ("call_1", "fc_1", "weather", '{"city":"Paris"}')
    assert (second.id, second.namespace, second.arguments) == ("call_2", "tools_ns", "")
    result = request.messages[3].parts[0]
    assert isinstance(result, ToolResultPart) and result.content_form == "parts"
    assert result.text == "a picture:" and isinstance(result.content[1], ImagePart)


def test_custom_tools() -> None:
    request = roundtrip(FEATURES["custom tool call and output"])
    (call,) = request.messages[1].parts
    assert call == ToolCallPart(id="call_c", name="apply_patch", arguments="*** Begin", kind="custom", item_id="ctc_1")
    result = request.messages[2].parts[0]
    assert isinstance(result, ToolResultPart) and result.kind == "custom" and result.text == "done"
    assert (
        request.tools[0].kind == "custom"
        and request.tools[0].raw == FEATURES["custom tool call and output"]["tools"][0]
    )
    assert request.tool_choice is not None and (request.tool_choice.mode, request.tool_choice.name) == (
        "tool",
        "apply_patch",
    )


def test_consecutive_assistant_items_stay_one_turn() -> None:
    request = roundtrip(FEATURES["two assistant messages in a row and reasoning variants"])
    assert [m.role for m in request.messages] == ["user", "assistant"]
    parts = request.messages[1].parts
    assert [p.text for p in parts if isinstance(p, TextPart)] == ["first", "second"]
    assert isinstance(parts[3], ReasoningPart) and parts[3].text == "ab" and parts[3].summary == ["s"]


def test_opaque_items_are_kept_in_place() -> None:
    request = roundtrip(FEATURES["documented items with no canonical slot"])
    # The call output ends the first turn; the compaction item opens the next one.
    assert [m.role for m in request.messages] == ["user", "assistant", "assistant", "user"]
    assert [p.id for p in request.messages[1].parts if isinstance(p, ReasoningPart)] == ["rs_w"]
    assert [o["item"]["type"] for o in request.messages[1].extra["opaque_items"]] == [
        "web_search_call",
        "message",
        "local_shell_call",
        "local_shell_call_output",
    ]
    assert request.messages[0].extra["opaque_items"][0]["at"] == 0  # before the first message
    only = roundtrip(FEATURES["only opaque input"])
    assert only.messages == [] and only.extra["input"] == [{"type": "item_reference", "id": "msg_1"}]


def test_tools_and_sampling_fields() -> None:
    request = roundtrip(FEATURES["tools, tool choice and sampling fields"])
    f, g, *builtins = request.tools
    assert (f.name, f.description, f.strict, f.extra) == ("f", "F.", True, {"defer_loading": True})
    assert (g.parameters, g.strict) == (None, None)
    assert {t.kind for t in builtins} == {"builtin"} and builtins[-1].name == "deepwiki"
    assert request.tool_choice is not None and request.tool_choice.mode == "required"
    assert (request.max_tokens, request.temperature, request.top_p, request.top_logprobs) == (128, 0.2, 1.0, 3)
    assert request.parallel_tool_calls is False and request.stream is False and request.user == "u-1"
    assert request.reasoning == ReasoningConfig(effort="high", summary="detailed")
    assert request.messages[0].content_form == "string"
    named = roundtrip(FEATURES["named function choice and empty tools"])
    assert named.tool_choice == ToolChoice("tool", "f") and named.tools == []


# ---- 3. malformed requests ----

MALFORMED: list[tuple[Any, str]] = [
    ([], "body"),
    ({"input": "x"}, "model"),
    ({"model": 3, "input": "x"}, "model"),
    ({"model": "m", "input": 3}, "input"),
    ({"model": "m", "instructions": ["x"]}, "instructions"),
    ({"model": "m", "input": ["x"]}, "input[0]"),
    ({"model": "m", "input": [{"content": "x"}]}, "input[0].type"),
    ({"model": "m", "input": [{"type": "bogus"}]}, "input[0].type"),
    ({"model": "m", "input": [{"type": 7}]}, "input[0].type"),
    ({"model": "m", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
    ({"model": "m", "input": [{"role": "user"}]}, "input[0].content"),
    (
        {"model": "m", "input": [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}]},
        "input[0].content[0].type",
    ),
    ({"model": "m", "input": [{"role": "user", "content": [{"type": "input_text"}]}]}, "input[0].content[0].text"),
    (
        {"model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "image_url": 5}]}]},
        "input[0].content[0].image_url",
    ),
    ({"model": "m", "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]}, "input[0].call_id"),
    (
        {"model": "m", "input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}]},
        "input[0].arguments",
    ),
    ({"model": "m", "input": [{"type": "function_call_output", "call_id": "c", "output": 1}]}, "input[0].output"),
    (
        {"model": "m", "input": [{"type": "function_call_output", "call_id": "c", "output": [{"type": "x"}]}]},
        "input[0].output[0].type",
    ),
    ({"model": "m", "input": [{"type": "custom_tool_call", "call_id": "c", "name": "f"}]}, "input[0].input"),
    (
        {"model": "m", "input": [{"type": "reasoning", "summary": [{"type": "reasoning_text", "text": "x"}]}]},
        "input[0].summary[0].type",
    ),
    ({"model": "m", "input": [{"type": "reasoning", "summary": "x"}]}, "input[0].summary"),
    (
        {"model": "m", "input": [{"type": "reasoning", "content": [{"type": "reasoning_text"}]}]},
        "input[0].content[0].text",
    ),
    ({"model": "m", "input": [{"type": "reasoning", "summary": [], "_rollyard": "x"}]}, "input[0]._rollyard"),
    ({"model": "m", "input": "x", "tools": {}}, "tools"),
    ({"model": "m", "input": "x", "tools": [{"type": "function"}]}, "tools[0].name"),
    ({"model": "m", "input": "x", "tools": [{"type": "teleport"}]}, "tools[0].type"),
    ({"model": "m", "input": "x", "tools": [{"name": "f"}]}, "tools[0].type"),
    ({"model": "m", "input": "x", "tool_choice": "sometimes"}, "tool_choice"),
    ({"model": "m", "input": "x", "tool_choice": {"type": "function"}}, "tool_choice.name"),
    ({"model": "m", "input": "x", "tool_choice": {"type": "allowed_tools", "mode": "x"}}, "tool_choice.mode"),
    ({"model": "m", "input": "x", "max_output_tokens": "5"}, "max_output_tokens"),
    ({"model": "m", "input": "x", "max_output_tokens": True}, "max_output_tokens"),
    ({"model": "m", "input": "x", "temperature": "hot"}, "temperature"),
    ({"model": "m", "input": "x", "stream": "yes"}, "stream"),
    ({"model": "m", "input": "x", "reasoning": {"effort": 1}}, "reasoning.effort"),
    ({"model": "m", "input": "x", "parallel_tool_calls": 1}, "parallel_tool_calls"),
]


@pytest.mark.parametrize(("body", "field"), MALFORMED, ids=[f for _, f in MALFORMED])
def test_malformed_request_names_the_field(body: Any, field: str) -> None:
    with pytest.raises(MalformedRequestError) as caught:
        RESPONSES.parse_request(body)
    assert caught.value.field == field


# ---- 4. fuzz: random JSON inside a plausible body ----

_names = st.sampled_from(
    ["type", "role", "content", "text", "id", "call_id", "name", "arguments", "output", "summary", "status", "x"]
)
_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, width=32)
    | st.sampled_from(
        [
            "",
            "message",
            "user",
            "assistant",
            "function_call",
            "reasoning",
            "input_text",
            "output_text",
            "summary_text",
            "input_image",
            "function",
            "custom",
            "auto",
        ]
    )
)
_json = st.recursive(
    _leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=4), max_leaves=8
)
_TEMPLATE = FEATURES["assistant group: reasoning, message, parallel calls"] | {
    "instructions": "sys",
    "tools": FEATURES["tools, tool choice and sampling fields"]["tools"][:3],
    "tool_choice": {"type": "function", "name": "f"},
    "reasoning": {"effort": "low"},
}


@st.composite
def _mutated(draw: st.DrawFn, value: Any = _TEMPLATE, depth: int = 0) -> Any:
    if depth and draw(st.integers(0, 25)) == 0:
        return draw(_json)
    if isinstance(value, dict):
        out = {k: draw(_mutated(v, depth + 1)) for k, v in value.items() if draw(st.integers(0, 25))}
        if draw(st.integers(0, 20)) == 0:
            out[draw(_names)] = draw(_json)
        return out
    if isinstance(value, list):
        items = [draw(_mutated(v, depth + 1)) for v in value if draw(st.integers(0, 25))]
        if draw(st.integers(0, 20)) == 0:
            items.insert(draw(st.integers(0, len(items))), draw(_json))
        return items
    return value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fuzzed_bodies_raise_only_wire_errors_and_rerender_exactly(body: Any) -> None:
    try:
        request = RESPONSES.parse_request(body)
    except WireError:
        return
    assert RESPONSES.render_request(request) == body


# ---- 5. other dialects through Responses and back ----


def _foreign_request(origin: str) -> Request:
    return Request(
        model="claude-x",
        origin=origin,  # type: ignore[arg-type]
        messages=[
            Message("system", [TextPart("You are terse.", extra={"cache_control": {"type": "ephemeral"}})]),
            Message("developer", [TextPart("dev note")], content_form="string"),
            Message("user", [TextPart("hi"), ImagePart(data="iVBOR", media_type="image/png")], name="ann"),
            Message(
                "assistant",
                [
                    ReasoningPart(text="let me think", signature="sig=="),
                    ReasoningPart(redacted_data="REDACTED"),
                    TextPart("Calling."),
                    ToolCallPart(id="toolu_1", name="weather", arguments='{"city": "Paris"}', extra={"caller": "x"}),
                    ToolCallPart(id="toolu_2", name="time", arguments=""),
                ],
                content_form="string",
            ),
            Message("tool", [ToolResultPart("toolu_1", [TextPart("sunny")], is_error=True)]),
            Message("tool", [ToolResultPart("toolu_2", [TextPart("noon")], content_form="parts")], extra={"k": 1}),
            Message("assistant", [TextPart("done")], id="msg_keep"),
            Message("assistant", [], content_form="string"),
            Message("user", [TextPart("more")]),
        ],
        tools=[
            ToolSpec("weather", "Weather.", {"type": "object"}, extra={"cache_control": {"type": "ephemeral"}}),
            ToolSpec("time"),
            ToolSpec("web_search", kind="builtin", raw={"type": "web_search_20250305", "name": "web_search"}),
        ],
        tool_choice=ToolChoice("tool", "weather", extra={"disable_parallel_tool_use": True}),
        max_tokens=1024,
        temperature=0.5,
        stop=["\n\nHuman:"],
        stream=True,
        stream_include_usage=True,
        reasoning=ReasoningConfig(thinking_type="enabled", budget_tokens=2048, extra={"display": "x"}),
        logprobs=True,
        top_logprobs=2,
        extra={"metadata": {"user_id": "u"}, "top_k": 5},
    )


@pytest.mark.parametrize("origin", ["anthropic", "chat"])
def test_foreign_request_round_trips_through_responses(origin: str) -> None:
    request = _foreign_request(origin)
    report = ConversionReport()
    body = RESPONSES.render_request(request, report=report)
    json.dumps(body)
    assert RESPONSES.parse_request(json.loads(json.dumps(body))) == request
    assert any("signature" in w for w in report.warnings)
    # Native shapes: system stays system, developer stays developer, thinking is a reasoning item.
    items = body["input"]
    assert [i.get("role") for i in items[:3]] == ["system", "developer", "user"]
    thinking = items[3]
    assert thinking["type"] == "reasoning" and thinking["content"] == [
        {"type": "reasoning_text", "text": "let me think"}
    ]
    assert thinking["_rollyard"]["signature"] == "sig=="
    calls = [i for i in items if i.get("type") == "function_call"]
    assert [(c["call_id"], "id" in c) for c in calls] == [("toolu_1", False), ("toolu_2", False)]
    results = [i for i in items if i.get("type") == "function_call_output"]
    assert results[0]["_rollyard"]["is_error"] is True
    assert body["tools"][0]["strict"] is False and body["include"] == ["message.output_text.logprobs"]


def test_upstream_render_drops_with_warnings_and_no_extension() -> None:
    report = ConversionReport()
    body = RESPONSES.render_request(_foreign_request("anthropic"), lossless=False, report=report)
    assert "_rollyard" not in json.dumps(body)
    text = "\n".join(report.warnings)
    for what in ("signature", "redacted", "is_error", "stop", "builtin tool", "name", "thinking"):
        assert what in text, what
    assert [t["name"] for t in body["tools"]] == ["weather", "time"]
    # The redacted block has nothing a Responses backend could take: no empty item.
    assert [i["type"] for i in body["input"] if i.get("type") == "reasoning"] == ["reasoning"]


def test_cross_dialect_rendering_refuses_impossible_parts() -> None:
    bad = Request("m", [Message("user", [ToolCallPart("c", "f", "{}")])], origin="chat")
    with pytest.raises(UnsupportedFeatureError) as caught:
        RESPONSES.render_request(bad)
    assert caught.value.field == "messages[0].parts[0]"


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_extra = st.dictionaries(st.sampled_from(["cache_control", "k", "citations"]), st.integers() | _text, max_size=2)


@st.composite
def _foreign_messages(draw: st.DrawFn) -> list[Message]:
    messages: list[Message] = []
    for _ in range(draw(st.integers(1, 5))):
        role = draw(st.sampled_from(["system", "developer", "user", "assistant", "tool"]))
        parts: list[Part]
        if role == "tool":
            content: list[TextPart | ImagePart] = [
                TextPart(draw(_text), draw(_extra)) for _ in range(draw(st.integers(1, 2)))
            ]
            parts = [
                ToolResultPart(
                    draw(_text),
                    content,
                    content_form=draw(st.sampled_from(["string", "parts"])),
                    is_error=draw(st.sampled_from([None, True, False])),
                    kind=draw(st.sampled_from(["function", "custom"])),
                    extra=draw(_extra),
                )
            ]
        elif role == "assistant":
            parts = draw(
                st.lists(
                    st.one_of(
                        st.builds(TextPart, _text, _extra),
                        st.builds(
                            ReasoningPart,
                            text=st.none() | _text,
                            signature=st.none() | _text,
                            redacted_data=st.none() | _text,
                            encrypted_content=st.none() | _text,
                            summary=st.none() | st.lists(_text, max_size=2),
                            id=st.none() | _text,
                            extra=_extra,
                        ),
                        st.builds(
                            ToolCallPart,
                            _text,
                            _text,
                            _text,
                            kind=st.sampled_from(["function", "custom"]),
                            item_id=st.none() | _text,
                            namespace=st.none() | _text,
                            extra=_extra,
                        ),
                    ),
                    max_size=4,
                )
            )
        else:
            parts = draw(
                st.lists(st.builds(TextPart, _text, _extra) | st.builds(ImagePart, url=_text), min_size=1, max_size=3)
            )
        messages.append(
            Message(
                role,  # type: ignore[arg-type]
                parts,
                content_form=draw(st.sampled_from(["string", "parts"])),
                name=draw(st.none() | _text),
                id=draw(st.none() | _text),
                extra=draw(_extra),
            )
        )
    return messages


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_foreign_messages(), st.sampled_from(["chat", "anthropic"]))
def test_any_foreign_conversation_round_trips_exactly(messages: list[Message], origin: str) -> None:
    request = Request("m", messages, origin=origin, extra={"x": 1})  # type: ignore[arg-type]
    body = RESPONSES.render_request(request)
    assert RESPONSES.parse_request(json.loads(json.dumps(body))) == request


# ---- 6. response bodies ----

OPENAI_RESPONSE: dict[str, Any] = {
    "id": "resp_abc",
    "object": "response",
    "created_at": 1741476542,
    "status": "completed",
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "model": "gpt-5-2025-08-07",
    "output": [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Plan."}],
            "encrypted_content": "gAAAA==",
        },
        {
            "type": "message",
            "id": "msg_1",
            "status": "completed",
            "role": "assistant",
            "content": [
                {
                    "type": "output_text",
                    "text": "Let me check.",
                    "annotations": [],
                    "logprobs": [
                        {
                            "token": "Let",
                            "logprob": -0.5,
                            "bytes": [76, 101, 116],
                            "top_logprobs": [{"token": "Let", "logprob": -0.5, "bytes": [76, 101, 116]}],
                        }
                    ],
                }
            ],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "weather",
            "arguments": '{"city":"Paris"}',
            "status": "completed",
        },
    ],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": "medium", "summary": "auto"},
    "store": False,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [{"type": "function", "name": "weather", "parameters": {}, "strict": True}],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": {
        "input_tokens": 36,
        "input_tokens_details": {"cached_tokens": 8},
        "output_tokens": 87,
        "output_tokens_details": {"reasoning_tokens": 64},
        "total_tokens": 123,
    },
    "user": None,
    "metadata": {},
}


def test_response_body_round_trips_and_maps_fields() -> None:
    response = RESPONSES.parse_response(copy.deepcopy(OPENAI_RESPONSE))
    assert RESPONSES.render_response(response) == OPENAI_RESPONSE
    assert response.finish_reason == "tool_calls" and response.created == 1741476542
    assert response.usage == Usage(36, 87, cache_read_tokens=8, reasoning_tokens=64)
    assert response.message.id == "msg_1" and response.message.text == "Let me check."
    assert response.logprobs == [TokenLogprob("Let", -0.5, bytes=[76, 101, 116], top=(("Let", -0.5),))]
    reasoning, _, call = response.message.parts
    assert isinstance(reasoning, ReasoningPart) and reasoning.encrypted_content == "gAAAA=="
    assert isinstance(call, ToolCallPart) and (call.id, call.item_id) == ("call_1", "fc_1")


@pytest.mark.parametrize(
    ("status", "details", "finish"),
    [
        ("incomplete", {"reason": "max_output_tokens"}, "length"),
        ("incomplete", {"reason": "content_filter"}, "content_filter"),
        ("incomplete", {"reason": "max_messages"}, "length"),
        ("completed", None, "stop"),
    ],
)
def test_response_status_maps_to_finish_reason(status: str, details: Any, finish: str) -> None:
    body = OPENAI_RESPONSE | {"status": status, "incomplete_details": details, "output": OPENAI_RESPONSE["output"][:2]}
    response = RESPONSES.parse_response(copy.deepcopy(body))
    assert response.finish_reason == finish
    assert RESPONSES.render_response(response) == body


def test_token_id_extension() -> None:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "m",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "hi", "annotations": []}],
            }
        ],
        "prompt_token_ids": [1, 2, 3],
        "completion_token_ids": [7, 8],
        "logprobs": [{"token": "hi", "logprob": -0.25, "bytes": [104, 105], "top_logprobs": [], "token_id": 7}],
    }
    response = RESPONSES.parse_response(copy.deepcopy(body))
    assert (response.prompt_token_ids, response.completion_token_ids) == ([1, 2, 3], [7, 8])
    assert response.logprobs == [TokenLogprob("hi", -0.25, token_id=7, bytes=[104, 105])]
    assert RESPONSES.render_response(response) == body


def test_foreign_response_renders_a_valid_body_and_round_trips() -> None:
    response = Response(
        id="msg_01",
        model="claude",
        message=Message(
            "assistant",
            [ReasoningPart(text="hm", signature="s"), TextPart("a"), ToolCallPart("toolu_1", "f", "{}")],
            extra={"container": None},
        ),
        finish_reason="stop_sequence",
        stop_sequence="END",
        usage=Usage(10, 5, cache_read_tokens=4, cache_creation_tokens=2),
        origin="anthropic",
        extra={"type": "message"},
    )
    body = RESPONSES.render_response(response)
    assert body["status"] == "completed" and body["object"] == "response"
    assert [i["id"] for i in body["output"]] == ["rs_msg_01_0", "msg_msg_01_1", "fc_msg_01_2"]
    assert body["usage"]["input_tokens_details"] == {"cached_tokens": 4, "cache_write_tokens": 2}
    assert RESPONSES.parse_response(json.loads(json.dumps(body))) == response
    report = ConversionReport()
    upstream = RESPONSES.render_response(response, lossless=False, report=report)
    assert "_rollyard" not in json.dumps(upstream)
    assert any("stop sequence" in w for w in report.warnings) and any("signature" in w for w in report.warnings)


def test_malformed_response_names_the_field() -> None:
    for body, field in [
        ({"id": "r", "model": "m"}, "output"),
        ({"id": "r", "model": "m", "output": [{"role": "user", "content": "x"}]}, "output[0].role"),
        ({"id": "r", "model": "m", "output": [], "usage": {"input_tokens": "1"}}, "usage.input_tokens"),
    ]:
        with pytest.raises(MalformedResponseError) as caught:
            RESPONSES.parse_response(body)
        assert caught.value.field == field
    # A call output inside ``output`` is a documented item: kept verbatim, not an error.
    kept = {"id": "r", "model": "m", "output": [{"type": "function_call_output", "call_id": "c", "output": "x"}]}
    assert RESPONSES.render_response(RESPONSES.parse_response(copy.deepcopy(kept))) == kept


# ---- 7. streams through the official SDK ----


def _streamed_response() -> Response:
    return Response(
        id="resp_stream",
        model="gpt-5",
        created=1700000000,
        message=Message(
            "assistant",
            [
                ReasoningPart(
                    text="Two lookups at once.",
                    summary=["Plan: call both.", "Then answer."],
                    encrypted_content="gAAAAencrypted",
                    id="rs_s",
                    signature="anthropic-sig",
                ),
                TextPart("Looking up the weather and the time."),
                ToolCallPart(id="call_w", name="weather", arguments='{"city": "Paris", "unit": "C"}', item_id="fc_w"),
                ToolCallPart(id="call_t", name="time", arguments='{"tz": "Europe/Paris"}', item_id="fc_t"),
            ],
            id="msg_s",
        ),
        finish_reason="tool_calls",
        usage=Usage(input_tokens=50, output_tokens=40, cache_read_tokens=10, reasoning_tokens=12),
    )


def _client(sse_text: str, body: dict[str, Any]) -> openai.OpenAI:
    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return httpx.Response(200, text=sse_text, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=body)

    transport = httpx.MockTransport(handler)
    return openai.OpenAI(base_url="http://test/v1", api_key="x", http_client=httpx.Client(transport=transport))


def _sdk_view(result: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"status": result.status, "usage": result.usage.model_dump(), "items": []}
    for item in result.output:
        if item.type == "message":
            view["items"].append(("message", item.id, [c.text for c in item.content]))
        elif item.type == "function_call":
            view["items"].append(("call", item.id, item.call_id, item.name, json.loads(item.arguments)))
        elif item.type == "reasoning":
            view["items"].append(
                (
                    "reasoning",
                    item.id,
                    [s.text for s in item.summary],
                    [c.text for c in item.content or []],
                    item.encrypted_content,
                    (item.model_extra or {}).get("_rollyard"),
                )
            )
    return view


def test_stream_through_the_official_sdk_matches_the_non_streaming_body() -> None:
    response = _streamed_response()
    sse_text = "".join(RESPONSES.encode_stream(response_to_events(response, chunk_chars=3)))
    assert "[DONE]" not in sse_text
    client = _client(sse_text, RESPONSES.render_response(response))
    with client.responses.stream(model="gpt-5", input="weather and time?") as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        streamed = stream.get_final_response()
    assert len(deltas) > 4  # arguments really arrived in fragments
    created = client.responses.create(model="gpt-5", input="weather and time?")
    assert _sdk_view(streamed) == _sdk_view(created)
    view = _sdk_view(streamed)
    assert view["status"] == "completed"
    assert view["usage"]["input_tokens_details"]["cached_tokens"] == 10
    assert view["usage"]["output_tokens_details"]["reasoning_tokens"] == 12 and view["usage"]["total_tokens"] == 90
    assert view["items"] == [
        (
            "reasoning",
            "rs_s",
            ["Plan: call both.", "Then answer."],
            ["Two lookups at once."],
            "gAAAAencrypted",
            {"signature": "anthropic-sig"},
        ),
        ("message", "msg_s", ["Looking up the weather and the time."]),
        ("call", "fc_w", "call_w", "weather", {"city": "Paris", "unit": "C"}),
        ("call", "fc_t", "call_t", "time", {"tz": "Europe/Paris"}),
    ]


def test_stream_events_are_typed_and_sequenced() -> None:
    messages = list(
        parse_sse("".join(RESPONSES.encode_stream(response_to_events(_streamed_response(), chunk_chars=5))))
    )
    data = [json.loads(m.data) for m in messages]
    assert [m.event for m in messages] == [d["type"] for d in data]
    assert [d["sequence_number"] for d in data] == list(range(len(data)))
    kinds = [d["type"] for d in data]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-1] == "response.completed"
    for kind in (
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_text.delta",
        "response.content_part.added",
        "response.output_text.done",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ):
        assert kind in kinds


def test_decode_stream_gives_back_the_canonical_response() -> None:
    response = _streamed_response()
    sse_text = "".join(RESPONSES.encode_stream(response_to_events(response, chunk_chars=3)))
    assert RESPONSES.parse_stream(sse_text) == response


def test_stream_of_a_response_without_ids_is_accepted_by_the_sdk() -> None:
    response = Response(
        id="chatcmpl-1",
        model="m",
        message=Message(
            "assistant",
            [
                TextPart("a"),
                ToolCallPart("c1", "f", "{}"),
                TextPart("b"),
                ToolCallPart("c2", "g", '{"x":1}', kind="custom"),
            ],
            content_form="string",  # as a chat message would say: output items still get a list
        ),
        finish_reason="tool_calls",
        usage=Usage(1, 2),
    )
    sse_text = "".join(RESPONSES.encode_stream(response_to_events(response, chunk_chars=1)))
    client = _client(sse_text, RESPONSES.render_response(response))
    with client.responses.stream(model="m", input="x") as stream:
        streamed = stream.get_final_response()
    created = client.responses.create(model="m", input="x")
    assert (
        [i.id for i in streamed.output]
        == [i.id for i in created.output]
        == ["msg_chatcmpl-1_0", "fc_chatcmpl-1_1", "msg_chatcmpl-1_2", "ctc_chatcmpl-1_3"]
    )
    assert streamed.output[3].type == "custom_tool_call" and streamed.output[3].input == '{"x":1}'
    assert [c.text for c in streamed.output[0].content] == [c.text for c in created.output[0].content] == ["a"]
    as_chat = dataclasses.replace(response, origin="chat")
    assert RESPONSES.parse_response(json.loads(json.dumps(RESPONSES.render_response(as_chat)))) == as_chat
    decoded = RESPONSES.parse_stream(sse_text)
    assert [getattr(p, "text", None) or getattr(p, "arguments", None) for p in decoded.message.parts] == [
        "a",
        "{}",
        "b",
        '{"x":1}',
    ]


def test_incomplete_stream_ends_with_response_incomplete() -> None:
    response = Response("r", "m", Message("assistant", [TextPart("cut")]), finish_reason="length", usage=Usage(3, 9))
    sse_text = "".join(RESPONSES.encode_stream(response_to_events(response)))
    last = json.loads(list(parse_sse(sse_text))[-1].data)
    assert last["type"] == "response.incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    decoded = RESPONSES.parse_stream(sse_text)
    assert decoded.finish_reason == "length" and decoded.usage == Usage(3, 9)


def _sse(*events: dict[str, Any]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def test_decode_accepts_interleaved_parallel_call_deltas() -> None:
    def call(oi: int, cid: str, name: str) -> dict[str, Any]:
        item = {"type": "function_call", "id": f"fc_{oi}", "call_id": cid, "name": name, "arguments": ""}
        return {"type": "response.output_item.added", "output_index": oi, "item": item}

    def delta(oi: int, text: str) -> dict[str, Any]:
        return {
            "type": "response.function_call_arguments.delta",
            "item_id": f"fc_{oi}",
            "output_index": oi,
            "delta": text,
        }

    final = {
        "id": "r",
        "object": "response",
        "created_at": 1,
        "model": "m",
        "status": "completed",
        "output": [],
        "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
    }
    sse_text = _sse(
        {"type": "response.created", "response": final | {"status": "in_progress"}},
        call(0, "call_a", "a"),
        call(1, "call_b", "b"),
        delta(0, '{"x":'),
        delta(1, '{"y":'),
        delta(1, " 2}"),
        delta(0, " 1}"),
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {"type": "function_call", "call_id": "call_b", "name": "b"},
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {"type": "function_call", "call_id": "call_a", "name": "a"},
        },
        {"type": "response.completed", "response": final},
    )
    decoded = RESPONSES.parse_stream(sse_text)
    assert [(c.id, c.arguments) for c in decoded.message.tool_calls] == [("call_a", '{"x": 1}'), ("call_b", '{"y": 2}')]
    assert decoded.finish_reason == "tool_calls" and decoded.usage == Usage(1, 2)


def test_decode_backfills_content_sent_only_in_done_items() -> None:
    final = {"id": "r", "model": "m", "status": "completed", "output": []}
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "whole"}],
    }
    reasoning = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "S"}],
        "encrypted_content": "E",
    }
    sse_text = _sse(
        {"type": "response.created", "response": final},
        {"type": "response.output_item.added", "output_index": 0, "item": reasoning | {"summary": []}},
        {"type": "response.output_item.done", "output_index": 0, "item": reasoning},
        {"type": "response.output_item.added", "output_index": 1, "item": message | {"content": []}},
        {"type": "response.output_item.done", "output_index": 1, "item": message},
        {"type": "response.completed", "response": final},
    )
    decoded = RESPONSES.parse_stream(sse_text)
    assert decoded.message.parts == [ReasoningPart(summary=["S"], encrypted_content="E", id="rs_1"), TextPart("whole")]
    assert decoded.message.id == "msg_1"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "error", "code": "rate_limit", "message": "slow down", "param": None}, "slow down"),
        (
            {"type": "response.failed", "response": {"id": "r", "error": {"code": "server_error", "message": "boom"}}},
            "boom",
        ),
    ],
)
def test_decode_raises_on_failure_events(event: dict[str, Any], message: str) -> None:
    sse_text = _sse({"type": "response.created", "response": {"id": "r", "model": "m"}}, event)
    with pytest.raises(MalformedResponseError, match=message):
        RESPONSES.parse_stream(sse_text)


def test_decode_rejects_garbage() -> None:
    with pytest.raises(MalformedResponseError):
        RESPONSES.parse_stream("event: x\ndata: not json\n\n")
    with pytest.raises(MalformedResponseError):
        RESPONSES.parse_stream(
            _sse({"type": "response.function_call_arguments.delta", "output_index": 3, "delta": "x"})
        )
    with pytest.raises(MalformedResponseError):
        RESPONSES.parse_stream(_sse({"type": "response.created", "response": {"id": "r", "model": "m"}}))


# ---- 8. errors ----


def test_render_error_uses_the_openai_error_shape() -> None:
    status, body = RESPONSES.render_error(MalformedRequestError("expected str", field="input[2].content[0].text"))
    assert status == 400
    assert body == {
        "error": {
            "message": "input[2].content[0].text: expected str",
            "type": "invalid_request_error",
            "param": "input[2].content[0].text",
            "code": "invalid_request",
        }
    }
    status, body = RESPONSES.render_error(MalformedResponseError("bad upstream"))
    assert status == 502 and body["error"]["param"] is None and body["error"]["message"] == "bad upstream"
    status, _ = RESPONSES.render_error(UnsupportedFeatureError("no", field="tools[0]"))
    assert status == 400
