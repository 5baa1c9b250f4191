"""``AnthropicModel``: the Anthropic Messages API over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from ..wire import ANTHROPIC, ConversionReport, Dialect, Request, Response
from ._base import Model, TokenSource
from ._http import RetryPolicy, post_json
from ._http1 import make_poster

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096


class AnthropicModel(Model):
    """A backend that speaks Anthropic Messages. It returns no token ids."""

    token_source: TokenSource = "none"
    dialect: Dialect | None = "anthropic"

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
        self._poster = make_poster(http_client, timeout_s)
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
        return ANTHROPIC.parse_response(await self._post(body, {}))

    async def request_raw(
        self, body: dict[str, Any], *, headers: dict[str, str] | None = None, request: Request | None = None
    ) -> dict[str, Any]:
        """Pass a Messages body through unchanged but for ``stream: false``; the
        client's ``anthropic-beta`` / ``anthropic-version`` headers go along."""
        sent = dict(body)
        sent["stream"] = False
        if self.model:
            sent["model"] = self.model
        return await self._post(sent, headers or {})

    async def _post(self, body: dict[str, Any], client_headers: dict[str, str]) -> dict[str, Any]:
        headers = {"anthropic-version": client_headers.get("anthropic-version", ANTHROPIC_VERSION)}
        betas = [*self._beta, *[b for b in client_headers.get("anthropic-beta", "").split(",") if b]]
        if betas:
            headers["anthropic-beta"] = ",".join(dict.fromkeys(betas))
        if self._api_key:
            headers["x-api-key"] = self._api_key
        url = f"{self.base_url}/v1/messages"
        return await post_json(self._poster, url, body, headers=headers, retry=self._retry, backend="anthropic")

    async def aclose(self) -> None:
        await self._poster.aclose()

    async def release_loop_resources(self) -> None:
        await self._poster.aclose()
