"""The interface every dialect codec implements, and cross-dialect conversion."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ._canonical import ConversionReport, Dialect, Request, Response, StreamEvent
from ._errors import WireError
from ._stream import SSEMessage, events_to_response, parse_sse


class RenderRequest(Protocol):
    def __call__(
        self, request: Request, *, lossless: bool = True, report: ConversionReport | None = None
    ) -> dict[str, Any]: ...


class RenderResponse(Protocol):
    def __call__(
        self, response: Response, *, lossless: bool = True, report: ConversionReport | None = None
    ) -> dict[str, Any]: ...


class EncodeStream(Protocol):
    def __call__(self, events: Iterable[StreamEvent], *, include_usage: bool = True) -> Iterator[str]: ...


@dataclass(frozen=True)
class Codec:
    """One API dialect: requests, responses, streams and errors, both directions.

    ``lossless=True`` renders carry whatever the dialect cannot express natively in the
    ``_rollyard`` extension key, so conversions round-trip; ``lossless=False`` is for
    bodies sent to a real backend: such things are left out and noted in ``report``."""

    dialect: Dialect
    parse_request: Callable[[dict[str, Any]], Request]
    render_request: RenderRequest
    parse_response: Callable[[dict[str, Any]], Response]
    render_response: RenderResponse
    encode_stream: EncodeStream
    """Canonical events -> SSE text chunks in this dialect."""
    decode_stream: Callable[[Iterable[SSEMessage]], Iterator[StreamEvent]]
    """SSE messages in this dialect -> canonical events."""
    render_error: Callable[[WireError], tuple[int, dict[str, Any]]]
    """A typed error -> (HTTP status, body in this dialect's error shape)."""

    def parse_stream(self, sse_text: str | Iterable[str]) -> Response:
        """A whole SSE body in this dialect -> the complete response."""
        return events_to_response(self.decode_stream(parse_sse(sse_text)))

    def convert_request_to(
        self, body: dict[str, Any], target: Codec, *, lossless: bool = True, report: ConversionReport | None = None
    ) -> dict[str, Any]:
        """Parse ``body`` in this dialect and render it in ``target``'s."""
        return target.render_request(self.parse_request(body), lossless=lossless, report=report)
