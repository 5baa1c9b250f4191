"""HTTP plumbing shared by the remote backends: one POST with safe retries, and
upstream failures turned into typed ``WireError``s (never a traceback to a client)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx

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


async def post_json(
    client: httpx.AsyncClient,
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
            response = await client.post(url, json=body, headers=headers)
        except httpx.ConnectError as exc:
            if attempt < retry.max_retries:
                await asyncio.sleep(retry.backoff_s * 2**attempt)
                attempt += 1
                continue
            raise UpstreamError(f"{backend} backend at {url} refused the connection ({exc})") from None
        except httpx.TimeoutException:
            raise UpstreamError(f"{backend} backend at {url} timed out", kind="timeout") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{backend} backend at {url} failed: {exc}") from None
        if response.status_code in RETRYABLE_STATUS and attempt < retry.max_retries:
            await asyncio.sleep(retry.backoff_s * 2**attempt)
            attempt += 1
            continue
        return _decode(response, url, backend)


def _decode(response: httpx.Response, url: str, backend: str) -> dict[str, Any]:
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        payload = None
    if response.status_code >= 400:
        message = _error_message(payload) or response.text[:500] or response.reason_phrase
        status = response.status_code
        kind: Any = "upstream"
        if status == 404:
            kind = "not_found"
        elif status in (400, 413, 422):
            kind = "invalid_request"
        elif status == 504:
            kind = "timeout"
        raise UpstreamError(f"{backend} backend answered {status}: {message}", status=status, kind=kind, body=payload)
    if not isinstance(payload, dict):
        raise MalformedResponseError(
            f"{backend} backend at {url} answered invalid JSON: {response.text[:200]!r}", field="body"
        )
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
