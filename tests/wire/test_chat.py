"""The Chat Completions codec: fidelity, canonical values, cross-dialect carry, malformed
input, fuzzing, responses with token ids, and streams read by the official openai SDK."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollyard.wire import (
    CHAT,
    EXT_KEY,
    ConversionReport,
    ImagePart,
    MalformedRequestError,
    MalformedResponseError,
    Message,
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
    Usage,
    WireError,
    parse_sse,
    response_to_events,
)
from tests.wire.sdk_doubles import rich_response, transport

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "harness-captures"
CHAT_CAPTURES = sorted(p for p in FIXTURES.glob("*/*/*.json") if "chat_completions" in p.name)


def _roundtrip(body: dict[str, Any]) -> dict[str, Any]:
    return CHAT.render_request(CHAT.parse_request(copy.deepcopy(body)))


# ---- 1. every captured chat request re-renders to the same body ----


def test_chat_captures_are_present() -> None:
    assert len(CHAT_CAPTURES) >= 4, f"no chat captures under {FIXTURES}"


@pytest.mark.parametrize("path", CHAT_CAPTURES, ids=[str(p.relative_to(FIXTURES)) for p in CHAT_CAPTURES])
def test_captured_request_rerenders_exactly(path: Path) -> None:
    body = json.loads(path.read_text())["body"]
    assert _roundtrip(body) == body


def test_qwen_tool_result_with_array_content() -> None:
    body = json.loads((FIXTURES / "qwen" / "tool" / "002_POST_v1_chat_completions.json").read_text())["body"]
    request = CHAT.parse_request(body)
    (result,) = request.messages[-1].parts
    assert isinstance(result, ToolResultPart) and result.content_form == "parts"
    assert result.call_id == "call_1fcb15ab966a4eb3" and result.text.startswith("Command: ls")
    call = request.messages[-2].tool_calls[0]
    assert (call.id, call.name, json.loads(call.arguments)["command"]) == (
        "call_1fcb15ab966a4eb3",
        "run_shell_command",
        "ls",
    )
    assert request.max_tokens == 8000 and request.stream and request.stream_include_usage is True


# ---- 2. hand-written requests: identity and canonical values ----

FULL = {
    "model": "qwen",
    "messages": [
        {"role": "system", "content": "one"},
        {"role": "developer", "content": [{"type": "text", "text": "two", "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "name": "ann", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}]},
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
    "top_p": 1,
    "stop": "END",
    "stream": True,
    "stream_options": {"include_usage": True},
    "logprobs": True,
    "top_logprobs": 2,
    "reasoning_effort": "low",
    "user": "u-1",
    "seed": 7,
    "n": 1,
    "response_format": {"type": "json_object"},
    "metadata": {"k": "v"},
    "return_token_ids": True,
}  # fmt: skip


def test_full_request_rerenders_exactly_with_canonical_values() -> None:
    request = CHAT.parse_request(copy.deepcopy(FULL))
    assert CHAT.render_request(request) == FULL
    assert json.dumps(CHAT.render_request(request)) == json.dumps(FULL)  # key order too
    assert request.origin == "chat" and request.model == "qwen"
    assert [m.role for m in request.messages] == [
        "system", "developer", "user", "assistant", "tool", "tool", "system", "assistant",
    ]  # fmt: skip
    assert request.messages[1].parts == [TextPart("two", extra={"cache_control": {"type": "ephemeral"}})]
    user = request.messages[2]
    assert user.name == "ann" and isinstance(user.parts[1], ImagePart)
    assert (user.parts[1].url, user.parts[1].detail) == ("data:image/png;base64,AAAA", "low")
    assistant = request.messages[3]
    assert isinstance(assistant.parts[0], ReasoningPart) and assistant.parts[0].text == "hmm"
    assert [(c.id, c.name, c.arguments) for c in assistant.tool_calls] == [("c1", "f", '{"a":1}'), ("c2", "f", "")]
    results = [m.parts[0] for m in request.messages[4:6]]
    assert [(r.call_id, r.text, r.content_form) for r in results if isinstance(r, ToolResultPart)] == [
        ("c1", "r1", "parts"),
        ("c2", "r2", "string"),
    ]
    assert request.messages[7].name == "bot" and request.messages[7].text == ""
    (tool,) = request.tools
    assert (tool.name, tool.kind, tool.strict, tool.parameters) == ("f", "function", True, {"type": "object"})
    assert request.tool_choice is not None and (request.tool_choice.mode, request.tool_choice.name) == ("tool", "f")
    assert request.parallel_tool_calls is False and request.max_tokens == 50
    assert (request.temperature, request.top_p, request.stop) == (0.5, 1, ["END"])
    assert request.stream is True and request.stream_include_usage is True
    assert (request.logprobs, request.top_logprobs, request.user) == (True, 2, "u-1")
    assert request.reasoning == ReasoningConfig(effort="low")
    for key in ("seed", "n", "response_format", "metadata", "return_token_ids"):
        assert request.extra[key] == FULL[key]


def _body(*messages: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages), **top}


_CALL = {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
IDENTITY = {
    "assistant content null": _body({"role": "assistant", "content": None, "tool_calls": [_CALL]}),
    "assistant content empty": _body({"role": "assistant", "content": "", "tool_calls": [_CALL]}),
    "assistant content absent": _body({"role": "assistant", "tool_calls": [_CALL]}),
    "assistant content parts": _body({"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}),
    "tool_calls null": _body({"role": "assistant", "content": "x", "tool_calls": None}),
    "tool call without type": _body({"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]}),
    "reasoning alias": _body({"role": "assistant", "reasoning": "think", "content": "x"}),
    "reasoning under both names": _body({"role": "assistant", "content": "x", "reasoning_content": "r", "reasoning": "r"}),
    "name null": _body({"role": "user", "content": "x", "name": None}),
    "reasoning null": _body({"role": "assistant", "reasoning_content": None, "content": "x"}),
    "assistant extras": _body({"role": "assistant", "content": "x", "refusal": None, "prefix": True}),
    "tool content list": _body({"role": "tool", "tool_call_id": "c", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}),
    "tool content empty list": _body({"role": "tool", "tool_call_id": "c", "content": []}),
    "tool content empty string": _body({"role": "tool", "tool_call_id": "c", "content": ""}),
    "image variants": _body({"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        {"type": "image_url", "image_url": {"url": "https://x/z.png", "detail": None}},
        {"type": "image_url", "image_url": {"url": "https://x/w.png", "detail": "high", "uuid": "u"}},
    ]}),
    "custom tools": _body(
        {"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {"name": "patch", "input": "*** Begin"}}]},
        tools=[{"type": "custom", "custom": {"name": "patch", "description": "apply", "format": {"type": "grammar", "grammar": {"definition": "start: /.+/", "syntax": "lark"}}}}],
        tool_choice={"type": "custom", "custom": {"name": "patch"}},
    ),
    "tool choice auto": _body(tool_choice="auto", tools=[]),
    "tool choice none": _body(tool_choice="none"),
    "tool choice required": _body(tool_choice="required", parallel_tool_calls=True),
    "tool choice allowed_tools": _body(tool_choice={"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}),
    "function tool extras": _body(tools=[{"type": "function", "function": {"name": "f", "x-order": 1}, "cache_control": {"type": "ephemeral"}}]),
    "stop list": _body(stop=["a", "b"]),
    "stop one-item list": _body(stop=["a"]),
    "max_tokens": _body(max_tokens=9),
    "both max keys": _body(max_tokens=9, max_completion_tokens=10),
    "null settings": _body(temperature=None, stop=None, tools=None, stream=None, max_tokens=None, tool_choice=None, stream_options=None),
    "integral numbers": _body(temperature=1, top_p=0),
    "stream false": _body(stream=False),
    "stream options without usage": _body(stream=True, stream_options={"continuous_usage_stats": True}),
    "vllm extras": _body(return_token_ids=True, skip_special_tokens=False, chat_template_kwargs={"enable_thinking": True}),
}  # fmt: skip


@pytest.mark.parametrize("body", IDENTITY.values(), ids=IDENTITY.keys())
def test_hand_written_requests_rerender_exactly(body: dict[str, Any]) -> None:
    rendered = _roundtrip(body)
    assert rendered == body
    assert json.dumps(rendered) == json.dumps(body)


def test_content_forms_and_aliases_parse_to_canonical_values() -> None:
    def parse(name: str) -> Request:
        return CHAT.parse_request(copy.deepcopy(IDENTITY[name]))

    for name, kinds in [
        ("assistant content null", [ToolCallPart]),
        ("assistant content empty", [TextPart, ToolCallPart]),
        ("assistant content absent", [ToolCallPart]),
    ]:
        message = parse(name).messages[0]
        assert [type(p) for p in message.parts] == kinds, name
        assert (message.tool_calls[0].id, message.tool_calls[0].arguments, message.text) == ("call_9", "{}", "")
    (reasoning, text) = parse("reasoning alias").messages[0].parts
    assert reasoning == ReasoningPart(text="think") and text == TextPart("x")
    assert parse("reasoning null").messages[0].parts[0] == ReasoningPart(text=None)
    custom = parse("custom tools")
    assert custom.tools[0].kind == "custom" and custom.tools[0].name == "patch" and custom.tools[0].raw is not None
    call = custom.messages[0].tool_calls[0]
    assert (call.kind, call.name, call.arguments) == ("custom", "patch", "*** Begin")
    assert custom.tool_choice is not None and (custom.tool_choice.mode, custom.tool_choice.name) == ("tool", "patch")
    assert parse("tool choice required").tool_choice == ToolChoice("required")
    assert parse("tool choice none").tool_choice == ToolChoice("none")
    assert parse("stop list").stop == ["a", "b"] and parse("max_tokens").max_tokens == 9
    both = parse("both max keys")
    assert both.max_tokens == 10 and both.extra["max_tokens"] == 9
    nulls = parse("null settings")
    assert nulls.temperature is None and nulls.tools == [] and nulls.stream is False
    result = parse("tool content list").messages[0].parts[0]
    assert isinstance(result, ToolResultPart) and result.text == "ab"


# ---- 3. cross-dialect rendering and the lossless carry ----


def _foreign_request() -> Request:
    """A request as the Anthropic or Responses codecs would give: what chat cannot say natively."""
    return Request(
        model="claude",
        messages=[
            Message("system", [TextPart("sys", extra={"cache_control": {"type": "ephemeral"}})]),
            Message("system", [TextPart("second system")], content_form="string"),
            Message("developer", [TextPart("dev")], content_form="string"),
            Message("user", [TextPart("hi"), ImagePart(url="https://x/cat.png")]),
            Message(
                "assistant",
                [
                    ReasoningPart(text="t1", signature="sig1"),
                    ReasoningPart(redacted_data="RD=="),
                    TextPart("ok"),
                    ToolCallPart("toolu_1", "f", '{"a":1}', item_id="fc_1", namespace="ns"),
                    ReasoningPart(text="t2", signature="sig2"),
                    ToolCallPart("toolu_2", "g", ""),
                ],
            ),
            Message(
                "tool",
                [ToolResultPart("toolu_1", [TextPart("r1"), ImagePart(url="https://x/y.png")], "parts", is_error=True)],
            ),
            Message("tool", [ToolResultPart("toolu_2", [TextPart("r2")], item_id="fco_2")]),
            Message("system", [TextPart("mid")], content_form="string"),
            Message(
                "assistant",
                [ReasoningPart(id="rs_1", summary=["s1", "s2"], encrypted_content="gAAAA=="), TextPart("done")],
                id="msg_1",
            ),
        ],
        tools=[
            ToolSpec("f", "d", {"type": "object"}, strict=True),
            ToolSpec("ns", kind="namespace", raw={"type": "namespace", "name": "ns", "tools": []}),
            ToolSpec("web_search", kind="builtin", raw={"type": "web_search"}),
            ToolSpec("patch", kind="custom", raw={"type": "custom", "name": "patch"}),
        ],
        tool_choice=ToolChoice("required"),
        max_tokens=100,
        stop=["X"],
        reasoning=ReasoningConfig(thinking_type="enabled", budget_tokens=2000),
        origin="anthropic",
        extra={"metadata": {"user_id": "u"}},
    )


def test_foreign_request_renders_natively_and_comes_back_exactly() -> None:
    request = _foreign_request()
    report = ConversionReport()
    body = json.loads(json.dumps(CHAT.render_request(request, report=report)))
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "system", "developer", "user", "assistant", "tool", "tool", "system", "assistant"]
    assistant = body["messages"][4]
    assert assistant["reasoning_content"] == "t1t2"
    assert [c["id"] for c in assistant["tool_calls"]] == ["toolu_1", "toolu_2"]
    assert assistant["tool_calls"][1]["function"]["arguments"] == ""
    assert body["tool_choice"] == "required" and body["max_tokens"] == 100 and body["stop"] == ["X"]
    assert [t["function"]["name"] for t in body["tools"]] == ["f"]
    assert body[EXT_KEY]["origin"] == "anthropic" and body[EXT_KEY]["extra"] == {"metadata": {"user_id": "u"}}
    assert {t["name"] for t in body[EXT_KEY]["tools"]} == {"f", "ns", "web_search", "patch"}
    # Only messages whose chat form loses something are carried whole.
    carried = [EXT_KEY in m for m in body["messages"]]
    assert carried == [True, False, False, False, True, True, True, False, True]
    assert CHAT.parse_request(body) == request
    text = " ".join(report.warnings)
    for word in ("signature", "redacted_data", "encrypted_content", "is_error", "item_id", "namespace", "web_search"):
        assert word in text, word
    assert all("carried" in w for w in report.warnings if "no chat form:" in w)


def test_upstream_render_leaves_out_what_chat_cannot_say_and_reports_it() -> None:
    report = ConversionReport()
    body = CHAT.render_request(_foreign_request(), lossless=False, report=report)
    assert EXT_KEY not in json.dumps(body)
    assert body["messages"][4]["reasoning_content"] == "t1t2"
    assert body["messages"][5] == {
        "role": "tool",
        "tool_call_id": "toolu_1",
        "content": [{"type": "text", "text": "r1"}],
    }
    assert [t["function"]["name"] for t in body["tools"]] == ["f"]
    text = " ".join(report.warnings)
    for word in ("signature", "images in a tool result", "is_error", "namespace", "web_search", "custom", "metadata"):
        assert word in text, word
    assert all("left out" in w for w in report.warnings if "no chat form:" in w)
    back = CHAT.parse_request(body)
    assert back.origin == "chat" and back.messages[4].tool_calls[0].id == "toolu_1"


def test_tool_choice_for_a_custom_tool_names_it_as_custom() -> None:
    request = Request("m", [], tools=[ToolSpec("patch", kind="custom")], tool_choice=ToolChoice("tool", "patch"))
    assert CHAT.render_request(request)["tool_choice"] == {"type": "custom", "custom": {"name": "patch"}}
    request.tools = [ToolSpec("f")]
    request.tool_choice = ToolChoice("tool", "f")
    assert CHAT.render_request(request)["tool_choice"] == {"type": "function", "function": {"name": "f"}}


# ---- 4. malformed input names the field ----


def _m(*messages: Any, **top: Any) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages), **top}


MALFORMED = [
    ({"messages": []}, "model"),
    ({"model": 5, "messages": []}, "model"),
    ({"model": "m"}, "messages"),
    (_m() | {"messages": "hi"}, "messages"),
    (_m("hi"), "messages[0]"),
    (_m({"content": "x"}), "messages[0].role"),
    (_m({"role": "user", "content": "x"}, {"role": "wizard", "content": "x"}), "messages[1].role"),
    (_m({"role": "user", "content": 5}), "messages[0].content"),
    (_m({"role": "user", "content": ["x"]}), "messages[0].content[0]"),
    (_m({"role": "user", "content": [{"text": "x"}]}), "messages[0].content[0].type"),
    (_m({"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "video"}]}), "messages[0].content[1].type"),
    (_m({"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}), "messages[0].content[0].type"),
    (_m({"role": "user", "content": [{"type": "text"}]}), "messages[0].content[0].text"),
    (_m({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}), "messages[0].content[0].image_url.url"),
    (_m({"role": "user", "content": [{"type": "image_url"}]}), "messages[0].content[0].image_url"),
    (_m({"role": "user", "content": "x", "name": 3}), "messages[0].name"),
    (_m({"role": "tool", "content": "x"}), "messages[0].tool_call_id"),
    (_m({"role": "tool", "tool_call_id": "c", "content": [{"type": "image_url", "image_url": {"url": 1}}]}), "messages[0].content[0].image_url.url"),
    (_m({"role": "assistant", "tool_calls": {}}), "messages[0].tool_calls"),
    (_m({"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f"}}]}), "messages[0].tool_calls[0].id"),
    (_m({"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {}}]}), "messages[0].tool_calls[0].function.name"),
    (_m({"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}), "messages[0].tool_calls[0].function"),
    (_m({"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": {}}}]}), "messages[0].tool_calls[0].function.arguments"),
    (_m({"role": "assistant", "tool_calls": [{"id": "c", "type": "mcp"}]}), "messages[0].tool_calls[0].type"),
    (_m({"role": "assistant", "reasoning_content": 1}), "messages[0].reasoning_content"),
    (_m({"role": "assistant", "reasoning": ["x"]}), "messages[0].reasoning"),
    (_m(tools={}), "tools"),
    (_m(tools=[{"type": "rocket"}]), "tools[0].type"),
    (_m(tools=[{"function": {"name": "f"}}]), "tools[0].type"),
    (_m(tools=[{"type": "function", "function": {"description": "d"}}]), "tools[0].function.name"),
    (_m(tools=[{"type": "function", "function": {"name": "f", "strict": "yes"}}]), "tools[0].function.strict"),
    (_m(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]), "tools[0].function.parameters"),
    (_m(tools=[{"type": "custom"}]), "tools[0].custom"),
    (_m(tool_choice="sometimes"), "tool_choice"),
    (_m(tool_choice={"type": "function", "function": {}}), "tool_choice.function.name"),
    (_m(tool_choice=3), "tool_choice"),
    (_m(temperature="hot"), "temperature"),
    (_m(top_p=True), "top_p"),
    (_m(stream=1), "stream"),
    (_m(stream_options=[]), "stream_options"),
    (_m(stream_options={"include_usage": "yes"}), "stream_options.include_usage"),
    (_m(stop=5), "stop"),
    (_m(stop=["a", 1]), "stop"),
    (_m(max_tokens="10"), "max_tokens"),
    (_m(max_completion_tokens=1.5), "max_completion_tokens"),
    (_m(max_tokens=5, max_completion_tokens="x"), "max_completion_tokens"),
    (_m(logprobs="yes"), "logprobs"),
    (_m(top_logprobs=True), "top_logprobs"),
    (_m(reasoning_effort=1), "reasoning_effort"),
    (_m(user=["u"]), "user"),
    (_m(parallel_tool_calls="no"), "parallel_tool_calls"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field"), MALFORMED, ids=[f for _, f in MALFORMED])
def test_malformed_requests_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedRequestError) as info:
        CHAT.parse_request(body)
    assert info.value.field == field
    status, error = CHAT.render_error(info.value)
    assert status == 400 and error["error"]["param"] == field and error["error"]["type"] == "invalid_request_error"
    assert field in error["error"]["message"]


# ---- 5. fuzz: only WireError escapes ----

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
message_keys = st.sampled_from(
    ["role", "content", "name", "tool_calls", "tool_call_id", "reasoning_content", "reasoning", EXT_KEY]
)
part_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image_url", "custom", "function", "x"])},
    optional={"text": json_values, "image_url": json_values, "function": json_values, "id": json_values},
)


def _no_crash(call: Any, *args: Any) -> None:
    try:
        call(*args)
    except WireError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["model", "messages", "tools", "tool_choice", "stop", "stream_options", "logprobs", "max_tokens", EXT_KEY]
    ),
    json_values,
)
def test_fuzz_top_level_fields(key: str, value: Any) -> None:
    body = copy.deepcopy(FULL)
    body[key] = value
    _no_crash(lambda: CHAT.render_request(CHAT.parse_request(body)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(FULL["messages"]) - 1), message_keys, json_values | st.lists(part_like, max_size=3))  # type: ignore[arg-type]
def test_fuzz_message_fields(index: int, key: str, value: Any) -> None:
    body = copy.deepcopy(FULL)
    body["messages"][index][key] = value
    _no_crash(lambda: CHAT.render_request(CHAT.parse_request(body)))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["extra", "tools", "tool_choice", "reasoning", "settings"]),
    json_values | st.lists(st.dictionaries(st.sampled_from(["name", "kind", "extra", "mode", "raw"]), json_values)),
)
def test_fuzz_carried_request_fields(key: str, value: Any) -> None:
    body = copy.deepcopy(FULL)
    body[EXT_KEY] = {"origin": "anthropic", key: value}
    _no_crash(lambda: CHAT.render_request(CHAT.parse_request(body)))


carried_parts = st.lists(
    st.fixed_dictionaries(
        {"~t": st.sampled_from(["text", "image", "reasoning", "tool_call", "tool_result"])},
        optional={
            k: json_values
            for k in ("text", "id", "name", "arguments", "call_id", "content", "summary", "kind", "extra", "is_error")
        },
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(FULL["messages"]) - 1), carried_parts, json_values)
def test_fuzz_carried_messages(index: int, parts: list[Any], extra: Any) -> None:
    body = copy.deepcopy(FULL)
    message = body["messages"][index]
    message[EXT_KEY] = {"message": {"role": message["role"], "parts": parts, "extra": extra}}
    _no_crash(lambda: CHAT.render_request(CHAT.parse_request(body)))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["choices", "usage", "prompt_token_ids", "created", "id", EXT_KEY]), json_values)
def test_fuzz_response_fields(key: str, value: Any) -> None:
    body = copy.deepcopy(VLLM_RESPONSE)
    body[key] = value
    _no_crash(lambda: CHAT.render_response(CHAT.parse_response(body)))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["message", "logprobs", "finish_reason", "token_ids", EXT_KEY]),
    json_values,
)
def test_fuzz_choice_fields(key: str, value: Any) -> None:
    body = copy.deepcopy(VLLM_RESPONSE)
    body["choices"][0][key] = value
    _no_crash(lambda: CHAT.render_response(CHAT.parse_response(body)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["choices", "usage", "id", "created", EXT_KEY, "error"]), json_values)))
def test_fuzz_stream_chunks(chunks: list[dict[str, Any]]) -> None:
    sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    _no_crash(CHAT.parse_stream, sse)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"delta": st.sampled_from([{"content": "a"}, {"reasoning_content": "r"}, {"tool_calls": [{"index": 0, "id": "c"}]}])},
            optional={
                "start": json_values | st.fixed_dictionaries({"index": json_values, "kind": st.sampled_from(["text", "reasoning", "tool_call"])}, optional={"item_id": json_values, "tool_kind": json_values}),
                "parts": json_values | st.dictionaries(st.sampled_from(["0", "1", "x", "-1"]), json_values | st.fixed_dictionaries({}, optional={"summary": json_values, "signature": json_values})),
                "finish_reason": json_values,
                "stop_sequence": json_values,
            },
        ),
        max_size=4,
    )
)  # fmt: skip
def test_fuzz_stream_extension(chunks: list[dict[str, Any]]) -> None:
    bodies = [
        {"id": "x", "choices": [{"index": 0, "delta": c.pop("delta"), "finish_reason": "stop"}], EXT_KEY: c}
        for c in chunks
    ]
    _no_crash(CHAT.parse_stream, "".join(f"data: {json.dumps(b)}\n\n" for b in bodies))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={"content": json_values, "reasoning_content": json_values, "role": json_values, "tool_calls": st.lists(st.dictionaries(st.sampled_from(["index", "id", "function", "type"]), json_values | st.fixed_dictionaries({}, optional={"name": json_values, "arguments": json_values})), max_size=2)}), max_size=4))  # fmt: skip
def test_fuzz_stream_deltas(deltas: list[dict[str, Any]]) -> None:
    chunks = [{"id": "x", "choices": [{"index": 0, "delta": d}]} for d in deltas]
    sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    _no_crash(CHAT.parse_stream, sse)


# ---- 6. responses: choices, finish reasons, usage, token ids, logprobs ----

VLLM_RESPONSE: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "qwen3",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "reasoning_content": "need the weather",
                "reasoning": "need the weather",
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "w", "arguments": '{"c":"P"}'}}],
            },
            "logprobs": {
                "content": [
                    {"token": "a", "logprob": -0.5, "bytes": [97], "top_logprobs": [{"token": "a", "logprob": -0.5, "bytes": [97]}, {"token": "b", "logprob": -1.5, "bytes": [98]}]},
                    {"token": "token_id:9", "logprob": -0.1, "bytes": None, "top_logprobs": []},
                ]
            },
            "finish_reason": "tool_calls",
            "stop_reason": None,
            "token_ids": [97, 9],
        },
        {"index": 1, "message": {"role": "assistant", "content": "other"}, "logprobs": None, "finish_reason": "stop"},
    ],
    "usage": {
        "prompt_tokens": 30,
        "completion_tokens": 2,
        "total_tokens": 32,
        "prompt_tokens_details": {"cached_tokens": 16},
        "completion_tokens_details": {"reasoning_tokens": 1},
    },
    "system_fingerprint": "fp_1",
    "prompt_logprobs": None,
    "prompt_token_ids": [1, 2, 3],
    "kv_transfer_params": None,
}  # fmt: skip


def test_vllm_response_parses_to_canonical_values_and_rerenders_exactly() -> None:
    response = CHAT.parse_response(copy.deepcopy(VLLM_RESPONSE))
    assert (response.id, response.model, response.created, response.origin) == (
        "chatcmpl-1",
        "qwen3",
        1700000000,
        "chat",
    )
    assert response.finish_reason == "tool_calls"
    reasoning, call = response.message.parts
    assert reasoning == ReasoningPart(text="need the weather")
    assert isinstance(call, ToolCallPart) and (call.id, call.name, call.arguments) == ("call_1", "w", '{"c":"P"}')
    assert response.prompt_token_ids == [1, 2, 3] and response.completion_token_ids == [97, 9]
    assert response.logprobs == [
        TokenLogprob("a", -0.5, bytes=[97], top=(("a", -0.5), ("b", -1.5))),
        TokenLogprob("token_id:9", -0.1),
    ]
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (30, 2)
    assert (response.usage.cache_read_tokens, response.usage.reasoning_tokens) == (16, 1)
    assert response.extra["system_fingerprint"] == "fp_1"
    rendered = CHAT.render_response(response)
    assert rendered == VLLM_RESPONSE and json.dumps(rendered) == json.dumps(VLLM_RESPONSE)


@pytest.mark.parametrize(
    ("finish", "wire"),
    [("stop", "stop"), ("stop_sequence", "stop"), ("length", "length"), ("tool_calls", "tool_calls"),
     ("content_filter", "content_filter"), ("pause_turn", "stop"), ("error", "stop")],
)  # fmt: skip
def test_finish_reasons(finish: Any, wire: str) -> None:
    response = Response("r", "m", Message("assistant", [TextPart("x")]), finish_reason=finish, created=1)
    if finish == "stop_sequence":
        response.stop_sequence = "END"
    body = CHAT.render_response(response)
    assert body["choices"][0]["finish_reason"] == wire
    back = CHAT.parse_response(body)
    assert (back.finish_reason, back.stop_sequence) == (finish, response.stop_sequence)
    report = ConversionReport()
    upstream = CHAT.render_response(response, lossless=False, report=report)
    assert EXT_KEY not in json.dumps(upstream) and upstream["choices"][0]["finish_reason"] == wire
    assert CHAT.parse_response(upstream).finish_reason == {
        "stop_sequence": "stop",
        "pause_turn": "stop",
        "error": "stop",
    }.get(finish, finish)
    assert bool(report.warnings) == (finish in ("pause_turn", "error"))
    assert CHAT.parse_response(
        {"choices": [{"message": {"role": "assistant", "content": "x"}, "finish_reason": wire}]}
    ).finish_reason == {"stop_sequence": "stop", "pause_turn": "stop", "error": "stop"}.get(finish, finish)


def test_foreign_response_renders_for_the_sdk_and_comes_back_exactly() -> None:
    response = Response(
        "msg_1",
        "claude",
        Message(
            "assistant",
            [
                ReasoningPart("t", signature="sig"),
                ReasoningPart(redacted_data="RD"),
                TextPart("hi"),
                ToolCallPart("toolu_1", "f", ""),
            ],
        ),
        finish_reason="tool_calls",
        usage=Usage(100, 5, cache_read_tokens=40, cache_creation_tokens=10, extra={"service_tier": "standard"}),
        created=5,
        origin="anthropic",
        extra={"container": None},
    )
    body = json.loads(json.dumps(CHAT.render_response(response)))
    message = body["choices"][0]["message"]
    assert (message["reasoning_content"], message["content"]) == ("t", "hi")
    assert message["tool_calls"][0]["function"] == {"name": "f", "arguments": ""}
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 40}
    assert CHAT.parse_response(body) == response
    report = ConversionReport()
    upstream = CHAT.render_response(response, lossless=False, report=report)
    assert EXT_KEY not in json.dumps(upstream) and "signature" in " ".join(report.warnings)


def test_token_ids_and_logprobs_render_vllm_style_and_parse_back() -> None:
    response = rich_response()
    response.prompt_token_ids = [1, 2, 3]
    response.completion_token_ids = [7, 8]
    response.logprobs = [
        TokenLogprob("a", -0.5, token_id=7, bytes=[97], top=(("a", -0.5), ("é", -2.0))),
        TokenLogprob("b", -1.0),
    ]
    body = CHAT.render_response(response, lossless=False)
    assert body["prompt_token_ids"] == [1, 2, 3] and body["choices"][0]["token_ids"] == [7, 8]
    content = body["choices"][0]["logprobs"]["content"]
    assert content[0] == {
        "token": "a",
        "logprob": -0.5,
        "bytes": [97],
        "token_id": 7,
        "top_logprobs": [
            {"token": "a", "logprob": -0.5, "bytes": [97]},
            {"token": "é", "logprob": -2.0, "bytes": [195, 169]},
        ],
    }
    assert "token_id" not in content[1]  # never invented
    again = CHAT.parse_response(body)
    assert again.prompt_token_ids == [1, 2, 3] and again.completion_token_ids == [7, 8]
    assert again.logprobs == response.logprobs
    assert CHAT.render_response(again) == body  # same-dialect fidelity of responses too


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("choices"), "choices"),
        (lambda b: b.update(choices=[]), "choices"),
        (lambda b: b["choices"][0].pop("message"), "choices[0].message"),
        (lambda b: b["choices"][0]["message"].update(role="robot"), "choices[0].message.role"),
        (lambda b: b["choices"][0].update(token_ids=[1, "x"]), "choices[0].token_ids"),
        (lambda b: b.update(prompt_token_ids="1,2"), "prompt_token_ids"),
        (lambda b: b["choices"][0]["logprobs"]["content"][0].update(logprob="low"), "choices[0].logprobs.content[0].logprob"),
        (lambda b: b["choices"][0]["logprobs"]["content"][0]["top_logprobs"][1].pop("token"), "choices[0].logprobs.content[0].top_logprobs[1].token"),
        (lambda b: b["usage"].update(prompt_tokens="30"), "usage.prompt_tokens"),
        (lambda b: b["usage"]["prompt_tokens_details"].update(cached_tokens="x"), "usage.prompt_tokens_details.cached_tokens"),
    ],
)  # fmt: skip
def test_malformed_responses_name_the_field(mutate: Any, field: str) -> None:
    body = copy.deepcopy(VLLM_RESPONSE)
    mutate(body)
    with pytest.raises(MalformedResponseError) as info:
        CHAT.parse_response(body)
    assert info.value.field == field
    assert CHAT.render_error(info.value)[0] == 502


# ---- 7. streams: chunk shapes, our decoder, and the official SDK ----


def _chunks(sse: str) -> list[Any]:
    return [m.data if m.data == "[DONE]" else json.loads(m.data) for m in parse_sse(sse)]


def test_stream_chunks_have_the_shapes_the_api_sends() -> None:
    response = rich_response(reasoning=ReasoningPart(text="hm"))
    chunks = _chunks("".join(CHAT.encode_stream(response_to_events(response, chunk_chars=3))))
    assert chunks[-1] == "[DONE]"
    first, *middle, final, usage_chunk, _ = chunks
    assert first["object"] == "chat.completion.chunk" and first["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "",
    }
    assert all(c["id"] == "resp_1" and c["model"] == "m" and c["created"] == 1700000000 for c in chunks[:-1])
    tool_deltas = [d for c in middle for d in c["choices"][0]["delta"].get("tool_calls", [])]
    starts = [d for d in tool_deltas if "id" in d]
    # Indexes count tool calls (0, 1), not canonical parts (2, 3).
    assert starts == [
        {"index": 0, "id": "call_paris01", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
        {"index": 1, "id": "call_tokyo02", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
    ]
    assert all(
        set(d) == {"index", "function"} and set(d["function"]) == {"arguments"} for d in tool_deltas if "id" not in d
    )
    assert "".join(c["choices"][0]["delta"].get("reasoning_content", "") for c in middle) == "hm"
    assert final["choices"] == [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"] == {
        "prompt_tokens": 120, "completion_tokens": 45, "total_tokens": 165, "prompt_tokens_details": {"cached_tokens": 20},
    }  # fmt: skip
    assert all(EXT_KEY not in c for c in chunks[:-1])  # nothing chat cannot say natively here
    without = _chunks("".join(CHAT.encode_stream(response_to_events(response), include_usage=False)))
    assert without[-1] == "[DONE]" and all(c == "[DONE]" or "usage" not in c for c in without)


def _anthropic_like() -> Response:
    return Response(
        "msg_a",
        "claude",
        Message(
            "assistant",
            [
                ReasoningPart(text="first thought", signature="sig-1=="),
                ReasoningPart(redacted_data="REDACTED=="),
                TextPart("Let me check."),
                TextPart(""),
                ToolCallPart("toolu_01", "get_weather", '{"city": "Paris"}'),
                ReasoningPart(text="second", signature="sig-2=="),
                ToolCallPart("toolu_02", "get_time", ""),
            ],
        ),
        finish_reason="tool_calls",
        usage=Usage(500, 80, cache_read_tokens=300, cache_creation_tokens=50, reasoning_tokens=30),
        created=1,
    )


def _responses_like() -> Response:
    return Response(
        "resp_b",
        "gpt",
        Message(
            "assistant",
            [
                ReasoningPart(id="rs_1", summary=["plan", "more"], encrypted_content="gAAAAenc"),
                TextPart("Patching."),
                ToolCallPart("call_1", "apply_patch", "*** Begin Patch", kind="custom", item_id="ctc_1"),
                ToolCallPart("call_2", "exec", '{"cmd":"ls"}', item_id="fc_2"),
            ],
            id="msg_b",
        ),
        finish_reason="stop_sequence",
        stop_sequence="###",
        usage=Usage(10, 20),
        created=2,
    )


@pytest.mark.parametrize("make", [rich_response, _anthropic_like, _responses_like])
@pytest.mark.parametrize("chunk_chars", [0, 1, 3])
def test_our_decoder_gives_back_the_same_response(make: Any, chunk_chars: int) -> None:
    response = make()
    sse = "".join(CHAT.encode_stream(response_to_events(response, chunk_chars=chunk_chars)))
    assert CHAT.parse_stream(sse) == response
    assert CHAT.parse_stream(sse.splitlines(keepends=True)) == response


def test_interleaved_tool_call_deltas_from_an_engine() -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        body = {
            "id": "c-1",
            "object": "chat.completion.chunk",
            "created": 3,
            "model": "qwen",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n"

    sse = "".join([
        ": keep-alive\n\n",
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning": "th"}),
        chunk({"reasoning": "ink"}),
        chunk({"content": "Both."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "f", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "g", "arguments": "{\"y\""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"x\":"}}]}),
        chunk({"content": None, "tool_calls": [{"index": 1, "function": {"arguments": ": 2}"}}, {"index": 0, "function": {"arguments": " 1}"}}]}),
        chunk({}, "tool_calls"),
        'data: {"id":"c-1","object":"chat.completion.chunk","created":3,"model":"qwen","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":9,"total_tokens":16}}\n\n',
        "data: [DONE]\n\n",
        "data: not json after the end\n\n",
    ])  # fmt: skip
    response = CHAT.parse_stream(sse)
    assert (response.id, response.model, response.created, response.finish_reason) == ("c-1", "qwen", 3, "tool_calls")
    assert response.message.parts == [
        ReasoningPart(text="think"),
        TextPart("Both."),
        ToolCallPart("call_a", "f", '{"x": 1}'),
        ToolCallPart("call_b", "g", '{"y": 2}'),
    ]
    assert response.usage is not None and (response.usage.input_tokens, response.usage.output_tokens) == (7, 9)
    # Text sent together with the role is kept.
    first = 'data: {"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}\n\ndata: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\n'
    short = CHAT.parse_stream(first)
    assert short.message.parts == [TextPart("Hi")] and short.finish_reason == "length"


@pytest.mark.parametrize(
    ("sse", "field"),
    [
        ("", "stream"),
        ("data: [DONE]\n\n", "stream"),
        ("data: {nope\n\n", "stream[0]"),
        ("data: [1]\n\n", "stream[0]"),
        ('data: {"error": {"message": "overloaded"}}\n\n', "stream"),
        ('data: {"id": "x", "choices": [{"index": 0, "delta": {"content": 5}}]}\n\n', "stream[0].choices[0].delta.content"),
        ('data: {"id": "x", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": "0"}]}}]}\n\n', "stream[0].choices[0].delta.tool_calls[0].index"),
        ('data: {"id": "x", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": 1}}]}}]}\n\n', "stream[0].choices[0].delta.tool_calls[0].function.arguments"),
        ('data: {"id": "x", "choices": "all"}\n\n', "stream[0].choices"),
        ('data: {"id": "x", "choices": [], "usage": {"prompt_tokens": "1"}}\n\n', "stream[0].usage.prompt_tokens"),
        ('data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "a"}}], "_rollyard": {"parts": {"0": {"signature": "s"}}}}\n\n', "stream[0]._rollyard.parts.0"),
    ],
)  # fmt: skip
def test_malformed_streams(sse: str, field: str) -> None:
    with pytest.raises(MalformedResponseError) as info:
        CHAT.parse_stream(sse)
    assert info.value.field == field


def _client(body: Any, *, stream: bool) -> openai.OpenAI:
    return openai.OpenAI(
        base_url="http://test/v1", api_key="x", http_client=httpx.Client(transport=transport(body, stream=stream))
    )


@pytest.mark.parametrize("lossless", [False, True])
@pytest.mark.parametrize("make", [rich_response, _anthropic_like])
def test_stream_and_json_give_the_same_message_through_the_sdk(make: Any, lossless: bool) -> None:
    response = make() if make is not rich_response else rich_response(reasoning=ReasoningPart(text="Let me think."))
    sse = "".join(CHAT.encode_stream(response_to_events(response, chunk_chars=3)))
    assert sse.count('"arguments"') > 6  # the arguments really are fragmented
    kwargs: Any = {"model": "m", "messages": [{"role": "user", "content": "weather?"}]}
    with _client(sse, stream=True).chat.completions.stream(**kwargs) as stream:
        streamed = stream.get_final_completion()
    plain_body = CHAT.render_response(response, lossless=lossless)
    plain = _client(plain_body, stream=False).chat.completions.create(**kwargs)
    calls = response.message.tool_calls
    reasoning = "".join(p.text or "" for p in response.message.parts if isinstance(p, ReasoningPart))
    for completion in (streamed, plain):
        assert completion.id == response.id and completion.model == response.model
        choice = completion.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.role == "assistant"
        assert choice.message.content == response.message.text
        sdk_calls = choice.message.tool_calls or []
        assert [(c.id, c.function.name) for c in sdk_calls] == [(c.id, c.name) for c in calls]  # type: ignore[union-attr]
        assert [json.loads(c.function.arguments or "{}") for c in sdk_calls] == [  # type: ignore[union-attr]
            json.loads(c.arguments or "{}") for c in calls
        ]
        assert getattr(choice.message, "reasoning_content", None) == reasoning
        assert (choice.message.model_extra or {}).get("reasoning_content") == reasoning
        usage = completion.usage
        assert usage is not None and response.usage is not None
        assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
            response.usage.input_tokens,
            response.usage.output_tokens,
            response.usage.total_tokens,
        )
        assert usage.prompt_tokens_details is not None
        assert usage.prompt_tokens_details.cached_tokens == response.usage.cache_read_tokens
    # Reasoning signatures the SDK cannot show still come back through our own decoder.
    assert CHAT.parse_stream(sse) == response


# ---- 8. errors ----


@pytest.mark.parametrize(
    ("kind", "status", "type_"),
    [("invalid_request", 400, "invalid_request_error"), ("not_found", 404, "not_found_error"),
     ("unsupported", 400, "invalid_request_error"), ("upstream", 502, "api_error"), ("internal", 500, "server_error")],
)  # fmt: skip
def test_render_error(kind: Any, status: int, type_: str) -> None:
    got_status, body = CHAT.render_error(WireError("bad thing", field="messages[2].role", kind=kind))
    assert got_status == status
    assert body == {
        "error": {"message": "messages[2].role: bad thing", "type": type_, "param": "messages[2].role", "code": kind}
    }
    assert CHAT.render_error(WireError("no field"))[1]["error"]["param"] is None
