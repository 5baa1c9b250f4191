"""Property tests: generated conversations survive every dialect-to-dialect round trip."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollyard.wire import (
    CODECS,
    DIALECTS,
    Message,
    Part,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    codec,
)
from tests.wire.semantics import summary

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
name = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,15}", fullmatch=True)
call_id = st.one_of(
    st.from_regex(r"call_[a-zA-Z0-9]{6,12}", fullmatch=True),
    st.from_regex(r"toolu_[a-zA-Z0-9]{6,12}", fullmatch=True),
    # Ids an Anthropic backend would refuse: mapped reversibly.
    st.from_regex(r"fc\.[a-z0-9:/]{3,10}", fullmatch=True),
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(name, inner, max_size=3),
    max_leaves=6,
)
arguments = st.dictionaries(name, json_value, max_size=3).map(json.dumps)

anthropic_thinking = st.builds(
    ReasoningPart, text=text, signature=st.from_regex(r"[A-Za-z0-9+/]{8,24}", fullmatch=True)
)
redacted = st.builds(ReasoningPart, redacted_data=st.from_regex(r"[A-Za-z0-9+/=]{8,24}", fullmatch=True))
openai_reasoning = st.builds(
    ReasoningPart,
    id=st.from_regex(r"rs_[a-z0-9]{8}", fullmatch=True),
    summary=st.lists(text, min_size=1, max_size=2),
    encrypted_content=st.from_regex(r"gAAAA[A-Za-z0-9_-]{8,20}", fullmatch=True),
)
reasoning = st.one_of(anthropic_thinking, redacted, openai_reasoning)


@st.composite
def assistant_turn(draw: st.DrawFn, tools: list[ToolSpec]) -> tuple[Message, list[ToolCallPart]]:
    parts: list[Part] = []
    if draw(st.booleans()):
        parts.append(draw(reasoning))
    if draw(st.booleans()):
        parts.append(TextPart(draw(text)))
    calls: list[ToolCallPart] = []
    if tools:
        seen: set[str] = set()
        for _ in range(draw(st.integers(0, 3))):
            cid = draw(call_id.filter(lambda c: c not in seen))
            seen.add(cid)
            calls.append(ToolCallPart(id=cid, name=draw(st.sampled_from(tools)).name, arguments=draw(arguments)))
    parts.extend(calls)
    if not parts:
        parts.append(TextPart(draw(text)))
    return Message("assistant", parts), calls


@st.composite
def conversations(draw: st.DrawFn) -> Request:
    tools = [
        ToolSpec(
            n,
            draw(st.none() | text),
            {"type": "object", "properties": {"x": {"type": "string"}}, "required": []},
        )
        for n in draw(st.lists(name, max_size=3, unique=True))
    ]
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message("system", [TextPart(draw(text))]))
    for _ in range(draw(st.integers(1, 3))):
        messages.append(Message("user", [TextPart(draw(text))]))
        assistant, calls = draw(assistant_turn(tools))
        messages.append(assistant)
        for call in calls:
            result = ToolResultPart(call.id, [TextPart(draw(text))], is_error=draw(st.sampled_from([None, True])))
            messages.append(Message("tool", [result]))
    messages.append(Message("user", [TextPart(draw(text))]))
    choice = draw(st.none() | st.sampled_from([ToolChoice("auto"), ToolChoice("required"), ToolChoice("none")]))
    if choice is not None and not tools:
        choice = None
    return Request(model=draw(name), messages=messages, tools=tools, tool_choice=choice, max_tokens=256)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.sampled_from(DIALECTS), st.sampled_from(DIALECTS))
def test_any_dialect_to_any_other_and_back(request: Request, source: str, target: str) -> None:
    a, b = CODECS[source], CODECS[target]  # type: ignore[index]
    as_source = a.render_request(request)
    parsed = a.parse_request(json.loads(json.dumps(as_source)))
    assert summary(parsed) == summary(request)
    through = b.parse_request(json.loads(json.dumps(b.render_request(parsed))))
    back = a.parse_request(json.loads(json.dumps(a.render_request(through))))
    assert summary(back) == summary(request)
    assert a.render_request(back) == as_source


@settings(max_examples=100, deadline=None)
@given(conversations(), st.sampled_from(DIALECTS))
def test_rendering_is_stable(request: Request, dialect: str) -> None:
    c = codec(dialect)  # type: ignore[arg-type]
    once = c.render_request(request)
    assert c.render_request(c.parse_request(once)) == once
