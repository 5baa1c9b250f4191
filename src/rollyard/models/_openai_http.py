"""``OpenAICompatibleModel``: any Chat Completions server (vLLM, SGLang, llama.cpp
server, OpenAI), with the token-capture flags each engine understands."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import httpx

from ..wire import CHAT, ConversionReport, Dialect, Request, Response
from ._base import Model, TokenSource
from ._http import RetryPolicy, post_json
from ._http1 import make_poster

BackendKind: TypeAlias = Literal["vllm", "sglang", "llamacpp", "openai"]


def token_capture_fields(kind: BackendKind, request: Request) -> dict[str, Any]:
    """Body fields that make an engine return the token ids it saw and sampled.

    vLLM returns ``prompt_token_ids`` and per-choice ``token_ids`` when asked
    (``return_token_ids``), logprobs with ``logprobs`` (``top_logprobs: 0`` keeps it
    to the sampled token). SGLang takes ``return_prompt_token_ids``. llama.cpp's server
    and OpenAI return no ids: we ask for logprobs only, and the record says ``none``."""
    top = request.top_logprobs or 0
    match kind:
        case "vllm":
            return {"return_token_ids": True, "logprobs": True, "top_logprobs": top}
        case "sglang":
            return {"return_prompt_token_ids": True, "logprobs": True, "top_logprobs": top}
        case "llamacpp":
            return {"logprobs": True, "top_logprobs": top}
        case "openai":
            return {}


class OpenAICompatibleModel(Model):
    """A backend that speaks OpenAI Chat Completions over HTTP."""

    def __init__(
        self,
        base_url: str,
        *,
        kind: BackendKind = "vllm",
        api_key: str | None = None,
        model: str | None = None,
        name: str | None = None,
        timeout_s: float = 600.0,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kind: BackendKind = kind
        self.model = model
        self.name = name or model or kind
        self._api_key = api_key
        self._retry = retry or RetryPolicy()
        self._poster = make_poster(http_client, timeout_s)
        self.token_source: TokenSource = "engine" if kind in ("vllm", "sglang") else "none"
        self.last_report = ConversionReport()

    dialect: Dialect | None = "chat"

    def render(self, request: Request, report: ConversionReport | None = None) -> dict[str, Any]:
        """The body sent upstream: the request in chat form, non-streaming, with
        token-capture fields. Things chat cannot carry are reported, not sent."""
        body = CHAT.render_request(request, lossless=False, report=report)
        body["stream"] = False
        body.pop("stream_options", None)
        if self.model:
            body["model"] = self.model
        body.update(token_capture_fields(self.kind, request))
        return body

    async def request(self, request: Request) -> Response:
        report = ConversionReport()
        body = self.render(request, report)
        self.last_report = report
        payload = await self._post(body, {})
        # Logprobs captured for the record stay on the Response even when the caller
        # did not ask for them; the gateway decides what the client sees.
        return CHAT.parse_response(payload)

    async def request_raw(
        self, body: dict[str, Any], *, headers: dict[str, str] | None = None, request: Request | None = None
    ) -> dict[str, Any]:
        """Pass a chat body through: only ``stream`` and the token-capture fields change.
        ``request`` is the body already parsed, when the caller has it."""
        sent = {k: v for k, v in body.items() if k != "stream_options"}
        sent["stream"] = False
        if self.model:
            sent["model"] = self.model
        capture = token_capture_fields(self.kind, request if request is not None else CHAT.parse_request(body))
        for key, value in capture.items():
            # The client's own logprobs request wins; capture only adds what is missing.
            sent.setdefault(key, value)
            if key == "logprobs" and sent[key] is False:
                sent[key] = True
        return await self._post(sent, headers or {})

    async def _post(self, body: dict[str, Any], extra_headers: dict[str, str]) -> dict[str, Any]:
        headers = dict(extra_headers)
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        url = f"{self.base_url}/chat/completions"
        return await post_json(self._poster, url, body, headers=headers, retry=self._retry, backend=self.kind)

    async def aclose(self) -> None:
        await self._poster.aclose()

    async def release_loop_resources(self) -> None:
        await self._poster.aclose()
