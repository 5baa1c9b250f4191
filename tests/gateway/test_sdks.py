"""The official openai and anthropic SDKs through the gateway, streaming and not,
across dialects, against a scripted OpenAI-compatible backend: every call leaves
exactly one complete record."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from tests.gateway.helpers import admin_calls, session
from tests.servers import ServedApp

CHAT_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
RESPONSES_TOOLS = [{"type": "function", **CHAT_TOOLS[0]["function"]}]  # type: ignore[dict-item]
ANTHROPIC_TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather of a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


def _complete(record: dict[str, object], api: str, stream: bool) -> None:
    assert record["status"] == "ok" and record["http_status"] == 200
    assert record["api"] == api and record["stream"] is stream
    assert record["raw_request"] and record["normalized_request"] and record["response"]
    assert record["backend"] == "scripted" and record["model_requested"]
    assert record["finish_reason"] in ("tool_calls", "stop")
    assert record["usage"] is not None
    timings = record["timings"]
    assert isinstance(timings, dict) and timings["total_s"] >= timings["upstream_s"] >= 0
    assert record["token_source"] == "none"  # the scripted backend has no token ids, and the record says so
    assert record["harness"] in ("openai-python", "anthropic-python")


@pytest.mark.parametrize("stream", [False, True])
def test_openai_chat(gateway: ServedApp, stream: bool) -> None:
    sid = session()
    client = openai.OpenAI(base_url=f"{gateway.url}/s/{sid}/v1", api_key="sk-test", max_retries=0)
    messages: list[dict[str, object]] = [{"role": "user", "content": "Weather in Paris and Tokyo?"}]
    kwargs = {"model": "any-model", "messages": messages, "tools": CHAT_TOOLS}
    if stream:
        with client.chat.completions.stream(**kwargs) as s:  # type: ignore[arg-type]
            completion = s.get_final_completion()
    else:
        completion = client.chat.completions.create(**kwargs)  # type: ignore[call-overload]
    calls = completion.choices[0].message.tool_calls or []
    assert completion.choices[0].finish_reason == "tool_calls"
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "Tokyo"]  # type: ignore[union-attr]
    messages.append(completion.choices[0].message.model_dump(exclude_none=True))
    for call in calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"sunny in {call.id}"})
    final = client.chat.completions.create(model="any-model", messages=messages, tools=CHAT_TOOLS)  # type: ignore[arg-type]
    assert final.choices[0].message.content == "results: " + ", ".join(f"sunny in {c.id}" for c in calls)
    records = admin_calls(gateway, sid)
    assert len(records) == 2
    _complete(records[0], "chat", stream)
    _complete(records[1], "chat", False)


@pytest.mark.parametrize("stream", [False, True])
def test_openai_responses(gateway: ServedApp, stream: bool) -> None:
    sid = session()
    client = openai.OpenAI(base_url=f"{gateway.url}/s/{sid}/v1", api_key="sk-test", max_retries=0)
    kwargs = {"model": "gpt-x", "input": "Weather in Paris and Tokyo?", "tools": RESPONSES_TOOLS}
    if stream:
        with client.responses.stream(**kwargs) as s:  # type: ignore[arg-type]
            response = s.get_final_response()
    else:
        response = client.responses.create(**kwargs)  # type: ignore[call-overload]
    calls = [item for item in response.output if item.type == "function_call"]
    assert [json.loads(c.arguments)["city"] for c in calls] == ["Paris", "Tokyo"]  # type: ignore[union-attr]
    follow_up = [
        {"role": "user", "content": "Weather in Paris and Tokyo?"},
        *[c.model_dump(exclude_none=True) for c in calls],
        *[{"type": "function_call_output", "call_id": c.call_id, "output": "rain"} for c in calls],  # type: ignore[union-attr]
    ]
    final = client.responses.create(model="gpt-x", input=follow_up, tools=RESPONSES_TOOLS)  # type: ignore[arg-type]
    assert final.output_text == "results: rain, rain"
    records = admin_calls(gateway, sid)
    assert len(records) == 2
    _complete(records[0], "responses", stream)


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_messages(gateway: ServedApp, stream: bool) -> None:
    sid = session()
    client = anthropic.Anthropic(base_url=f"{gateway.url}/s/{sid}", api_key="sk-ant-test", max_retries=0)
    messages: list[dict[str, object]] = [{"role": "user", "content": "Weather in Paris and Tokyo?"}]
    kwargs = {
        "model": "claude-x",
        "max_tokens": 4000,
        "messages": messages,
        "tools": ANTHROPIC_TOOLS,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    if stream:
        with client.messages.stream(**kwargs) as s:  # type: ignore[arg-type]
            message = s.get_final_message()
    else:
        message = client.messages.create(**kwargs)  # type: ignore[call-overload]
    assert message.stop_reason == "tool_use"
    uses = [b for b in message.content if b.type == "tool_use"]
    assert [u.input["city"] for u in uses] == ["Paris", "Tokyo"]  # type: ignore[union-attr, index]
    assert not any(b.type == "text" and not b.text for b in message.content)  # no empty text block before tool_use
    messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]})
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": u.id, "content": [{"type": "text", "text": "fog"}]} for u in uses
            ],  # type: ignore[union-attr]
        }
    )
    final = client.messages.create(model="claude-x", max_tokens=100, messages=messages, tools=ANTHROPIC_TOOLS)  # type: ignore[arg-type]
    assert final.content[0].text == "results: fog, fog"  # type: ignore[union-attr]
    records = admin_calls(gateway, sid)
    assert len(records) == 2
    _complete(records[0], "anthropic", stream)
