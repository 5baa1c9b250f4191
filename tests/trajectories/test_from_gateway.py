"""prefix_merge over a real multi-turn tool-using session through the gateway on the
embedded model: one chain, token for token the last call's prompt + completion."""

from __future__ import annotations

import json

import numpy as np
import openai
import pytest

from rollyard.store import CallRecord
from rollyard.trajectories import PrefixMergeBuilder, token_call
from tests.gateway.helpers import admin_calls, session
from tests.servers import ServedApp

pytestmark = pytest.mark.embedded

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply two integers",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    }
]


def test_one_chain_per_session_token_for_token(embedded_gateway: ServedApp) -> None:
    sid = session()
    client = openai.OpenAI(base_url=f"{embedded_gateway.url}/s/{sid}/v1", api_key="x", max_retries=0)
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is 3 times 5?"}]
    for question in ("What is 3 times 5?", "And 4 times 4?"):
        if messages[-1]["content"] != question:
            messages.append({"role": "user", "content": question})
        first = client.chat.completions.create(
            model="embedded", messages=messages, tools=TOOLS, tool_choice="required",  # type: ignore[arg-type]
            parallel_tool_calls=False, temperature=0, max_tokens=48,
        )  # fmt: skip
        message = first.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls or []:
            args = json.loads(call.function.arguments)  # type: ignore[union-attr]
            messages.append({"role": "tool", "tool_call_id": call.id, "content": str(args["a"] * args["b"])})
        answer = client.chat.completions.create(
            model="embedded",
            messages=messages,
            tools=TOOLS,
            tool_choice="none",
            temperature=0.7,
            max_tokens=24,  # type: ignore[arg-type]
        )
        messages.append(answer.choices[0].message.model_dump(exclude_none=True))
    records = [CallRecord.from_json(r) for r in admin_calls(embedded_gateway, sid)]
    assert len(records) == 4
    result = PrefixMergeBuilder().build(token_call(r, i) for i, r in enumerate(records))
    assert result.stats.breaks == {} and result.stats.quarantined == 0
    (sample,) = result.samples
    last = records[-1]
    assert sample.input_ids.tolist() == [*last.prompt_token_ids, *last.completion_token_ids]  # type: ignore[misc]
    expected = np.zeros(len(sample.input_ids), dtype=np.int8)
    for record in records:
        start = len(record.prompt_token_ids or [])
        end = start + len(record.completion_token_ids or [])
        expected[start:end] = 1
        assert sample.input_ids[start:end].tolist() == record.completion_token_ids
        assert sample.logprobs[start:end].tolist() == pytest.approx(record.logprobs)
    assert sample.loss_mask.tolist() == expected.tolist()
    assert sample.call_ids == [r.id for r in records]
