"""The HTTP backends against real servers on 127.0.0.1: a scripted OpenAI-compatible
backend (``model_app`` over the ``ScriptedModel`` double) and fault servers."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from rollyard.models import (
    OpenAICompatibleModel,
    RetryPolicy,
    ScriptedCall,
    ScriptedModel,
    UpstreamError,
    model_app,
    token_capture_fields,
)
from rollyard.wire import MalformedResponseError, Message, Request, TextPart, ToolSpec
from tests.servers import serve_app


def ask(text: str = "hi") -> Request:
    tool = ToolSpec("add", "Add", {"type": "object", "properties": {"a": {"type": "integer"}}})
    return Request(model="m", messages=[Message("user", [TextPart(text)])], tools=[tool])


def test_scripted_backend_over_http_gives_calls_then_text() -> None:
    scripted = ScriptedModel([ScriptedCall("add", {"a": 1}, id="call_1"), "done"])
    with serve_app(model_app(scripted)) as served:
        backend = OpenAICompatibleModel(f"{served.url}/v1", kind="openai", retry=RetryPolicy(0))

        async def run() -> tuple[object, object]:
            try:
                return await backend.request(ask()), await backend.request(ask("again"))
            finally:
                await backend.aclose()

        first, second = asyncio.run(run())
    assert first.finish_reason == "tool_calls"  # type: ignore[attr-defined]
    (call,) = first.message.tool_calls  # type: ignore[attr-defined]
    assert (call.id, call.name, json.loads(call.arguments)) == ("call_1", "add", {"a": 1})
    assert second.message.text == "done"  # type: ignore[attr-defined]
    # The scripted backend saw the tool definitions, converted through chat.
    assert [t.name for t in scripted.requests[0].tools] == ["add"]


def test_vllm_body_asks_for_token_ids_and_never_streams() -> None:
    backend = OpenAICompatibleModel("http://127.0.0.1:9/v1", kind="vllm")
    request = ask()
    request.stream = True
    body = backend.render(request)
    assert body["stream"] is False and "stream_options" not in body
    assert body["return_token_ids"] is True and body["logprobs"] is True and body["top_logprobs"] == 0
    assert token_capture_fields("openai", request) == {}


def _fault_app(counter: list[int]) -> Starlette:
    async def flaky(request: HTTPRequest) -> Response:
        counter.append(1)
        return PlainTextResponse("boom", status_code=503)

    async def garbage(request: HTTPRequest) -> Response:
        return PlainTextResponse("this is not json", status_code=200)

    async def slow(request: HTTPRequest) -> Response:
        await asyncio.sleep(2)
        return JSONResponse({})

    return Starlette(
        routes=[
            Route("/flaky/chat/completions", flaky, methods=["POST"]),
            Route("/garbage/chat/completions", garbage, methods=["POST"]),
            Route("/slow/chat/completions", slow, methods=["POST"]),
        ]
    )


def test_upstream_failures_are_typed_errors() -> None:
    counter: list[int] = []
    with serve_app(_fault_app(counter)) as served:

        async def call(path: str, **kwargs: object) -> BaseException:
            backend = OpenAICompatibleModel(f"{served.url}/{path}", kind="openai", **kwargs)  # type: ignore[arg-type]
            try:
                await backend.request(ask())
            except Exception as exc:
                return exc
            finally:
                await backend.aclose()
            raise AssertionError("no error")

        flaky = asyncio.run(call("flaky", retry=RetryPolicy(max_retries=2, backoff_s=0.01)))
        garbage = asyncio.run(call("garbage"))
        slow = asyncio.run(call("slow", timeout_s=0.2))
    assert isinstance(flaky, UpstreamError) and flaky.status == 502 and "503" in flaky.message
    assert len(counter) == 3  # one try and two retries
    assert isinstance(garbage, MalformedResponseError) and garbage.status == 502
    assert isinstance(slow, UpstreamError) and slow.status == 504


def test_refused_connection_is_502() -> None:
    backend = OpenAICompatibleModel("http://127.0.0.1:9/v1", kind="openai", retry=RetryPolicy(1, 0.01))
    with pytest.raises(UpstreamError) as info:
        asyncio.run(backend.request(ask()))
    assert info.value.status == 502 and "refused" in info.value.message


def test_scripted_model_reports_exhaustion() -> None:
    from rollyard.models import ScriptExhaustedError

    model = ScriptedModel(["only one"])
    assert model.request_sync(ask()).message.text == "only one"
    with pytest.raises(ScriptExhaustedError):
        model.request_sync(ask())
    echo = ScriptedModel(lambda request: f"echo: {request.messages[-1].text}")
    assert echo.request_sync(ask("x")).message.text == "echo: x"
