"""The embedded model: engine token ids, logprobs, grammar-constrained tool calls,
and prompts that extend earlier prompt + completion token for token."""

from __future__ import annotations

import asyncio
import json

import pytest

from rollyard.models import EmbeddedModel
from rollyard.models._chatml import parse_completion
from rollyard.models._grammar import render_call
from rollyard.wire import (
    ImagePart,
    Message,
    Request,
    TextPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    UnsupportedFeatureError,
)

pytestmark = pytest.mark.embedded

MULTIPLY = ToolSpec(
    "multiply",
    "Multiply two integers",
    {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]},
)
WEATHER = ToolSpec(
    "get_weather",
    "Current weather of a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def ask(text: str, **kwargs: object) -> Request:
    return Request(model="embedded", messages=[Message("user", [TextPart(text)])], **kwargs)  # type: ignore[arg-type]


def test_ids_are_the_engines_and_decode_exactly(embedded: EmbeddedModel) -> None:
    request = ask("Name a colour.", temperature=0.0, max_tokens=24)
    response = embedded.request_sync(request)
    prompt_text, prompt_ids = embedded.render_prompt(request)
    assert response.prompt_token_ids == prompt_ids
    assert embedded.detokenize(response.prompt_token_ids) == prompt_text
    assert response.completion_token_ids
    completion = embedded.detokenize(response.completion_token_ids)
    if response.finish_reason == "stop":
        assert response.completion_token_ids[-1] == embedded.eos_id
        assert completion == response.message.text + "<|im_end|>"
    else:
        assert completion == response.message.text
    assert response.logprobs is not None
    assert len(response.logprobs) == len(response.completion_token_ids)
    assert [lp.token_id for lp in response.logprobs] == response.completion_token_ids
    assert all(lp.logprob <= 0.0 for lp in response.logprobs)
    assert response.usage is not None
    assert response.usage.input_tokens == len(prompt_ids)
    assert response.usage.output_tokens == len(response.completion_token_ids)


def test_greedy_logprob_is_the_top_alternative(embedded: EmbeddedModel) -> None:
    response = embedded.request_sync(ask("Say hello.", temperature=0.0, max_tokens=8, top_logprobs=3))
    assert response.logprobs
    for lp in response.logprobs:
        assert len(lp.top) == 3
        # Greedy decoding samples the most likely token, so it heads the alternatives.
        assert lp.top[0][1] == pytest.approx(lp.logprob, abs=1e-5)
        assert lp.top[0][1] >= lp.top[1][1] >= lp.top[2][1]


def test_required_tool_call_is_valid_under_the_grammar(embedded: EmbeddedModel) -> None:
    request = ask(
        "What is 6 times 7?",
        tools=[MULTIPLY, WEATHER],
        tool_choice=ToolChoice("required"),
        parallel_tool_calls=False,
        temperature=0.0,
    )
    response = embedded.request_sync(request)
    assert response.finish_reason == "tool_calls"
    assert response.extra["constrained_decoding"] is True
    (call,) = response.message.tool_calls
    assert call.name in {"multiply", "get_weather"}
    arguments = json.loads(call.arguments)
    required = (MULTIPLY if call.name == "multiply" else WEATHER).parameters["required"]  # type: ignore[index]
    assert set(required) <= set(arguments)
    # The sampled text is the call exactly as the template renders it.
    assert embedded.detokenize(response.completion_token_ids or [])[: -len("<|im_end|>")] == render_call(
        call.name, call.arguments
    )


def test_named_tool_choice_forces_that_tool(embedded: EmbeddedModel) -> None:
    request = ask(
        "Weather in Paris?", tools=[MULTIPLY, WEATHER], tool_choice=ToolChoice("tool", "get_weather"), temperature=0.0
    )
    response = embedded.request_sync(request)
    assert [c.name for c in response.message.tool_calls][:1] == ["get_weather"]


def test_multi_turn_prompts_extend_prompt_plus_completion(embedded: EmbeddedModel) -> None:
    messages = [Message("system", [TextPart("You are terse.")]), Message("user", [TextPart("What is 3 times 4?")])]
    chain: list[int] = []
    for turn in range(3):
        choice = ToolChoice("required") if turn == 0 else ToolChoice("none")
        request = Request(
            model="embedded",
            messages=list(messages),
            tools=[MULTIPLY],
            tool_choice=choice,
            parallel_tool_calls=False,
            temperature=0.8,
            max_tokens=40,
            extra={"seed": 7 + turn},
        )
        response = asyncio.run(embedded.request(request))
        assert response.prompt_token_ids is not None and response.completion_token_ids is not None
        assert response.prompt_token_ids[: len(chain)] == chain, f"turn {turn} broke the prefix"
        # The ids are exactly the rendered prompt: no token doubled or lost at turn seams.
        assert embedded.detokenize(response.prompt_token_ids) == embedded.render_prompt(request)[0]
        chain = response.prompt_token_ids + response.completion_token_ids
        messages.append(response.message)
        for call in response.message.tool_calls:
            messages.append(Message("tool", [ToolResultPart(call.id, [TextPart("12")])]))
        if not response.message.tool_calls:
            messages.append(Message("user", [TextPart("And 5 times 5?")]))


def test_unsupported_input_is_a_typed_error(embedded: EmbeddedModel) -> None:
    image = Request(model="embedded", messages=[Message("user", [ImagePart(url="data:image/png;base64,AAAA")])])
    with pytest.raises(UnsupportedFeatureError) as info:
        embedded.request_sync(image)
    assert info.value.field == "messages[0].content"
    builtin = ask("hi", tools=[ToolSpec("web_search", kind="builtin", raw={"type": "web_search"})])
    with pytest.raises(UnsupportedFeatureError, match="web_search"):
        embedded.request_sync(builtin)


def test_parser_is_tolerant_and_loses_nothing() -> None:
    good = render_call("multiply", '{"a": 1, "b": 2}')
    parsed = parse_completion(good, ["multiply"])
    assert parsed.calls == [("multiply", '{"a": 1, "b": 2}')] and parsed.text == ""
    broken = "<tool_call>\n{not json}\n</tool_call>"
    assert parse_completion(broken, ["multiply"]).text == broken
    unknown = render_call("other", "{}")
    assert parse_completion(unknown, ["multiply"]).text == unknown
    assert parse_completion("plain answer", ["multiply"]).text == "plain answer"
