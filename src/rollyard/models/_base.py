"""The one ``Model`` interface every backend implements."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator
from typing import Any, Literal, TypeAlias

from ..wire import Dialect, Request, Response, StreamEvent, response_to_events

TokenSource: TypeAlias = Literal["engine", "retokenized", "none"]
"""Where a response's token ids came from: the engine itself, re-tokenized text
(accepted only when counts match usage), or nowhere."""


class Model(abc.ABC):
    """A model backend: ``request`` answers a canonical request with a complete
    response; ``stream`` yields canonical stream events.

    Backends that fill ``Response.prompt_token_ids`` / ``completion_token_ids`` say so
    in ``token_source``. The default ``stream`` synthesizes events from ``request``:
    upstream calls are non-streaming by design (ARCHITECTURE decision 2)."""

    name: str = "model"
    token_source: TokenSource = "none"
    dialect: Dialect | None = None
    """The wire dialect the backend speaks upstream (None: in-process, canonical only).
    A gateway passes a client's body through unchanged when the dialects match."""

    @abc.abstractmethod
    async def request(self, request: Request) -> Response:
        """Answer one request with a complete response."""

    async def stream(self, request: Request, *, chunk_chars: int = 0) -> AsyncIterator[StreamEvent]:
        """Answer one request as canonical stream events."""
        response = await self.request(request)
        for event in response_to_events(response, chunk_chars=chunk_chars):
            yield event

    async def request_raw(
        self, body: dict[str, Any], *, headers: dict[str, str] | None = None, request: Request | None = None
    ) -> dict[str, Any]:
        """Send a body already in ``dialect`` (non-streaming) and return the body
        answered. Only backends with a ``dialect`` implement it."""
        raise NotImplementedError(f"{type(self).__name__} has no wire dialect to pass a body through")

    def request_sync(self, request: Request) -> Response:
        """Blocking convenience wrapper for scripts and notebooks (not for async code)."""

        async def once() -> Response:
            try:
                return await self.request(request)
            finally:
                await self.release_loop_resources()

        return asyncio.run(once())

    async def release_loop_resources(self) -> None:  # noqa: B027 - a no-op default
        """Close what is bound to the running event loop (HTTP sessions) before it ends."""

    async def aclose(self) -> None:  # noqa: B027 - a no-op default, not an abstract method
        """Release connections or engines; the default has nothing to release."""

    def model_names(self) -> list[str]:
        """The model names this backend answers to (for ``GET /v1/models``)."""
        return [self.name]
