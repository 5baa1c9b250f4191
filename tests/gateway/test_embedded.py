"""The gateway on the embedded model: recorded prompt ids are the ids of the rendered
prompt and completion ids decode to the returned text, for every call of a multi-turn
tool-using conversation, in every client dialect."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from rollyard.gateway._quirks import prepare_for_backend
from rollyard.models import EmbeddedModel
from rollyard.wire import ConversionReport, Request, codec
from tests.gateway.helpers import admin_calls, session
from tests.servers import ServedApp

pytestmark = pytest.mark.embedded

TOOL = {
    "name": "multiply",
    "description": "Multiply two integers",
    "parameters": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
}


def _check_records(records: list[dict[str, object]], embedded: EmbeddedModel, api: str) -> None:
    assert records
    chain: list[int] = []
    for record in records:
        assert record["status"] == "ok" and record["token_source"] == "engine"
        request = Request(**_request_fields(record))  # type: ignore[arg-type]
        rebuilt = codec(api).parse_request(record["raw_request"])  # type: ignore[arg-type]
        prepared = prepare_for_backend(rebuilt, backend_dialect=None, report=ConversionReport())
        text, ids = embedded.render_prompt(prepared)
        assert record["prompt_token_ids"] == ids
        assert embedded.detokenize(record["prompt_token_ids"]) == text  # type: ignore[arg-type]
        completion = embedded.detokenize(record["completion_token_ids"])  # type: ignore[arg-type]
        assert completion.removesuffix("<|im_end|>")
        assert len(record["logprobs"]) == len(record["completion_token_ids"])  # type: ignore[arg-type]
        assert record["prompt_token_ids"][: len(chain)] == chain  # type: ignore[index]
        chain = record["prompt_token_ids"] + record["completion_token_ids"]  # type: ignore[operator]
        assert request.model


def _request_fields(record: dict[str, object]) -> dict[str, object]:
    normalized = record["normalized_request"]
    assert isinstance(normalized, dict)
    return {"model": normalized["model"], "messages": []}


def test_openai_chat_tool_conversation(embedded_gateway: ServedApp, embedded: EmbeddedModel) -> None:
    sid = session()
    client = openai.OpenAI(base_url=f"{embedded_gateway.url}/s/{sid}/v1", api_key="x", max_retries=0)
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is 6 times 7?"}]
    tools = [{"type": "function", "function": TOOL}]
    first = client.chat.completions.create(
        model="embedded", messages=messages, tools=tools, tool_choice="required",  # type: ignore[arg-type]
        parallel_tool_calls=False, temperature=0,
    )  # fmt: skip
    (call,) = first.choices[0].message.tool_calls or []
    args = json.loads(call.function.arguments)  # type: ignore[union-attr]
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": str(args["a"] * args["b"])})
    with client.chat.completions.stream(
        model="embedded",
        messages=messages,
        tools=tools,
        tool_choice="none",
        temperature=0,  # type: ignore[arg-type]
    ) as stream:
        second = stream.get_final_completion()
    assert second.choices[0].message.content
    records = admin_calls(embedded_gateway, sid)
    assert len(records) == 2
    _check_records(records, embedded, "chat")
    # The completion ids decode to exactly the text the client received.
    text = second.choices[0].message.content
    assert embedded.detokenize(records[1]["completion_token_ids"]).removesuffix("<|im_end|>") == text  # type: ignore[arg-type]


def test_anthropic_tool_conversation(embedded_gateway: ServedApp, embedded: EmbeddedModel) -> None:
    sid = session()
    client = anthropic.Anthropic(base_url=f"{embedded_gateway.url}/s/{sid}", api_key="x", max_retries=0)
    tools = [{"name": TOOL["name"], "description": TOOL["description"], "input_schema": TOOL["parameters"]}]
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is 6 times 7?"}]
    first = client.messages.create(
        model="embedded", max_tokens=64, messages=messages, tools=tools,  # type: ignore[arg-type]
        tool_choice={"type": "any", "disable_parallel_tool_use": True}, system="You can multiply.",
        extra_body={"temperature": 0},
    )  # fmt: skip
    (use,) = [b for b in first.content if b.type == "tool_use"]
    messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]})
    product = use.input["a"] * use.input["b"]  # type: ignore[index, union-attr]
    messages.append(
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": str(product)}]}
    )
    with client.messages.stream(
        model="embedded", max_tokens=64, messages=messages, tools=tools,  # type: ignore[arg-type]
        tool_choice={"type": "none"}, system="You can multiply.", extra_body={"temperature": 0},
    ) as stream:  # fmt: skip
        final = stream.get_final_message()
    assert final.content and final.content[0].type == "text"
    records = admin_calls(embedded_gateway, sid)
    assert len(records) == 2
    _check_records(records, embedded, "anthropic")


def test_responses_conversation(embedded_gateway: ServedApp, embedded: EmbeddedModel) -> None:
    sid = session()
    client = openai.OpenAI(base_url=f"{embedded_gateway.url}/s/{sid}/v1", api_key="x", max_retries=0)
    tools = [{"type": "function", **TOOL}]
    first = client.responses.create(
        model="embedded", input="What is 6 times 7?", tools=tools, tool_choice="required",  # type: ignore[arg-type]
        parallel_tool_calls=False, temperature=0, instructions="You can multiply.",
    )  # fmt: skip
    (call,) = [i for i in first.output if i.type == "function_call"]
    args = json.loads(call.arguments)  # type: ignore[union-attr]
    history = [
        {"role": "user", "content": "What is 6 times 7?"},
        call.model_dump(exclude_none=True),
        {"type": "function_call_output", "call_id": call.call_id, "output": str(args["a"] * args["b"])},  # type: ignore[union-attr]
    ]
    with client.responses.stream(
        model="embedded", input=history, tools=tools, tool_choice="none", temperature=0,  # type: ignore[arg-type]
        instructions="You can multiply.",
    ) as stream:  # fmt: skip
        final = stream.get_final_response()
    assert final.output_text
    records = admin_calls(embedded_gateway, sid)
    assert len(records) == 2
    _check_records(records, embedded, "responses")
