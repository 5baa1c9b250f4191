"""HTTP plumbing shared by the remote backends: one POST with safe retries, and
upstream failures turned into typed ``WireError``s (never a traceback to a client)."""

from __future__ import annotations

import abc
import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import orjson

from ..wire import MalformedResponseError, WireError

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class UpstreamError(WireError):
    """The backend failed: refused, timed out, answered 5xx or invalid JSON."""

    kind = "upstream"

    def __init__(self, message: str, *, status: int | None = None, kind: Any = None, body: Any = None) -> None:
        super().__init__(message, field=None, kind=kind)
        self.upstream_status = status
        self.body = body


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for failures where the request surely did not take effect twice:
    refused connections, and 408/429/5xx answers. Backoff doubles from ``backoff_s``."""

    max_retries: int = 2
    backoff_s: float = 0.25


class JsonPoster(abc.ABC):
    """One JSON POST: the HTTP client behind the remote backends. The default is
    ``Http1Poster`` (plain HTTP/1.1 keep-alive; aiohttp for https): on the gateway's hot
    path httpx's pool cost 4x the throughput in bench/gateway.py. An injected
    ``httpx.AsyncClient`` still works."""

    @abc.abstractmethod
    async def post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes, str]:
        """(status, body bytes, reason); raises ``_Refused``, ``_TimedOut`` or ``_Failed``."""

    @abc.abstractmethod
    async def aclose(self) -> None: ...


class _Refused(Exception):
    pass


class _TimedOut(Exception):
    pass


class _Failed(Exception):
    pass


class AiohttpPoster(JsonPoster):
    """A pooled aiohttp session, made on first use inside the running loop."""

    def __init__(self, timeout_s: float = 600.0, connect_timeout_s: float = 10.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=connect_timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        # A session belongs to its loop; sync wrappers run each call in a new one.
        if self._session is None or self._session.closed or self._loop is not loop:
            self._loop = loop
            # limit=0: as many upstream connections as calls in flight (the backend bounds them).
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                # Idle connections go before common servers drop them (uvicorn: 5 s), so a
                # reused one is rarely stale; a stale one is retried (see ``post``).
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=4.0),
                auto_decompress=True,
            )
        return self._session

    async def post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes, str]:
        sent = {**headers, "Content-Type": "application/json"}
        try:
            async with self._current().post(url, data=orjson.dumps(body), headers=sent) as response:
                return response.status, await response.read(), response.reason or ""
        except aiohttp.ClientConnectorError as exc:
            raise _Refused(str(exc)) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            # A kept-alive connection the server had closed: the request never ran.
            raise _Refused(f"connection dropped: {type(exc).__name__}: {exc}") from None
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise _TimedOut(str(exc)) from None
        except aiohttp.ClientError as exc:
            raise _Failed(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None


class HttpxPoster(JsonPoster):
    def __init__(self, client: httpx.AsyncClient, *, owned: bool = False) -> None:
        self._client = client
        self._owned = owned

    async def post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes, str]:
        try:
            response = await self._client.post(url, json=body, headers=headers)
        except httpx.ConnectError as exc:
            raise _Refused(str(exc)) from None
        except httpx.TimeoutException as exc:
            raise _TimedOut(str(exc)) from None
        except httpx.HTTPError as exc:
            raise _Failed(str(exc)) from None
        return response.status_code, response.content, response.reason_phrase

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()


async def post_json(
    poster: JsonPoster,
    url: str,
    body: dict[str, Any],
    *,
    headers: dict[str, str],
    retry: RetryPolicy,
    backend: str,
) -> dict[str, Any]:
    """POST ``body`` and return the JSON object answered, or raise ``UpstreamError``."""
    attempt = 0
    while True:
        try:
            status, content, reason = await poster.post(url, body, headers)
        except _Refused as exc:
            if attempt < retry.max_retries:
                await asyncio.sleep(retry.backoff_s * 2**attempt)
                attempt += 1
                continue
            raise UpstreamError(f"{backend} backend at {url} refused the connection ({exc})") from None
        except _TimedOut:
            raise UpstreamError(f"{backend} backend at {url} timed out", kind="timeout") from None
        except _Failed as exc:
            raise UpstreamError(f"{backend} backend at {url} failed: {exc}") from None
        if status in RETRYABLE_STATUS and attempt < retry.max_retries:
            await asyncio.sleep(retry.backoff_s * 2**attempt)
            attempt += 1
            continue
        return _decode(status, content, reason, url, backend)


def _decode(status: int, content: bytes, reason: str, url: str, backend: str) -> dict[str, Any]:
    try:
        payload = orjson.loads(content)
    except orjson.JSONDecodeError:
        payload = None
    text = content.decode("utf-8", "replace")
    if status >= 400:
        message = _error_message(payload) or text[:500] or reason
        kind: Any = "upstream"
        if status == 404:
            kind = "not_found"
        elif status in (400, 413, 422):
            kind = "invalid_request"
        elif status == 504:
            kind = "timeout"
        raise UpstreamError(f"{backend} backend answered {status}: {message}", status=status, kind=kind, body=payload)
    if not isinstance(payload, dict):
        raise MalformedResponseError(f"{backend} backend at {url} answered invalid JSON: {text[:200]!r}", field="body")
    return payload


def _error_message(payload: Any) -> str | None:
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(payload.get("message"), str):
            return str(payload["message"])
        return json.dumps(payload)[:500]
    return None
