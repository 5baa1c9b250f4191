"""``rollyard model serve``'s app, on a real loopback port, answered through the official openai SDK."""

from __future__ import annotations

import httpx
import openai
import pytest

from rollyard.models import EmbeddedModel
from rollyard.wire import CHAT
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


def client(served: ServedApp) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served.url}/v1", api_key="unused", max_retries=0)


def test_models_and_health(embedded_server: ServedApp) -> None:
    listed = client(embedded_server).models.list()
    assert [m.id for m in listed.data] == ["embedded"]
    assert httpx.get(f"{embedded_server.url}/healthz").json()["status"] == "ok"


def test_token_ids_detokenize_exactly(embedded_server: ServedApp, embedded: EmbeddedModel) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a fruit."}]
    completion = client(embedded_server).chat.completions.create(
        model="embedded",
        messages=messages,
        temperature=0,
        max_tokens=20,
        logprobs=True,  # type: ignore[arg-type]
    )
    extra = completion.model_extra or {}
    choice = completion.choices[0]
    prompt_ids = extra["prompt_token_ids"]
    token_ids = (choice.model_extra or {})["token_ids"]
    rendered, _ = embedded.render_prompt(CHAT.parse_request({"model": "embedded", "messages": messages}))
    assert embedded.detokenize(prompt_ids) == rendered
    text = choice.message.content or ""
    end = "<|im_end|>" if choice.finish_reason == "stop" else ""
    assert embedded.detokenize(token_ids) == text + end
    assert choice.logprobs is not None and choice.logprobs.content is not None
    assert len(choice.logprobs.content) == len(token_ids)
    assert completion.usage is not None and completion.usage.prompt_tokens == len(prompt_ids)


def test_no_logprobs_unless_asked(embedded_server: ServedApp) -> None:
    completion = client(embedded_server).chat.completions.create(
        model="embedded", messages=[{"role": "user", "content": "Hi"}], temperature=0, max_tokens=5
    )
    assert completion.choices[0].logprobs is None
    assert "prompt_token_ids" in (completion.model_extra or {})


def test_tool_call_and_stream(embedded_server: ServedApp) -> None:
    sdk = client(embedded_server)
    kwargs = dict(
        model="embedded",
        messages=[{"role": "user", "content": "What is 6 times 7?"}],
        tools=TOOLS,
        tool_choice="required",
        parallel_tool_calls=False,
        temperature=0,
    )
    plain = sdk.chat.completions.create(**kwargs)  # type: ignore[call-overload]
    with sdk.chat.completions.stream(**kwargs) as stream:  # type: ignore[arg-type]
        streamed = stream.get_final_completion()
    for completion in (plain, streamed):
        assert completion.choices[0].finish_reason == "tool_calls"
        (call,) = completion.choices[0].message.tool_calls or []
        assert call.function.name == "multiply"
    assert plain.choices[0].message.tool_calls[0].function.arguments == (  # type: ignore[index]
        streamed.choices[0].message.tool_calls[0].function.arguments  # type: ignore[index, union-attr]
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", "body"),
        (b'{"model": "embedded"}', "messages"),
        (b'{"model": "embedded", "messages": [{"role": "wizard", "content": "x"}]}', "messages[0].role"),
    ],
)
def test_malformed_requests_get_openai_errors(embedded_server: ServedApp, body: bytes, param: str) -> None:
    response = httpx.post(
        f"{embedded_server.url}/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    assert error["message"]
    with pytest.raises(openai.BadRequestError):
        client(embedded_server).chat.completions.create(
            model="embedded",
            messages=[{"role": "wizard", "content": "x"}],  # type: ignore[list-item]
        )
