"""``AnthropicModel``: the Anthropic Messages API over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from ..wire import ANTHROPIC, ConversionReport, Request, Response
from ._base import Model, TokenSource
from ._http import RetryPolicy, post_json

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096


class AnthropicModel(Model):
    """A backend that speaks Anthropic Messages. It returns no token ids."""

    token_source: TokenSource = "none"

    def __init__(
        self,
        base_url: str = "https://api.anthropic.com",
        *,
        api_key: str | None = None,
        model: str | None = None,
        name: str | None = None,
        timeout_s: float = 600.0,
        retry: RetryPolicy | None = None,
        beta: list[str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = name or model or "anthropic"
        self._api_key = api_key
        self._beta = beta or []
        self._retry = retry or RetryPolicy()
        self._client = http_client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=10.0))
        self._owns_client = http_client is None
        self.last_report = ConversionReport()

    def render(self, request: Request, report: ConversionReport | None = None) -> dict[str, Any]:
        """The body sent upstream: Anthropic form, non-streaming, ``max_tokens`` set."""
        body = ANTHROPIC.render_request(request, lossless=False, report=report)
        body["stream"] = False
        body.setdefault("max_tokens", request.max_tokens or DEFAULT_MAX_TOKENS)
        if self.model:
            body["model"] = self.model
        return body

    async def request(self, request: Request) -> Response:
        report = ConversionReport()
        body = self.render(request, report)
        self.last_report = report
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        if self._beta:
            headers["anthropic-beta"] = ",".join(self._beta)
        url = f"{self.base_url}/v1/messages"
        payload = await post_json(self._client, url, body, headers=headers, retry=self._retry, backend="anthropic")
        return ANTHROPIC.parse_response(payload)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
