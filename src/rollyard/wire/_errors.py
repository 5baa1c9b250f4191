"""Typed errors of the wire layer. Each names the offending field so the gateway can
answer in the caller's own dialect (see ``render_error`` in each dialect codec)."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

ErrorKind: TypeAlias = Literal[
    "invalid_request",  # malformed body: 400
    "unsupported",  # valid, but the target dialect or backend cannot express it: 400
    "not_found",  # unknown model or route: 404
    "too_large",  # body over the limit: 413
    "upstream",  # the backend failed: 502
    "timeout",  # the backend timed out: 504
    "overloaded",  # paused or saturated: 503
    "internal",  # our own bug: 500, message only, never a traceback
]

STATUS_BY_KIND: dict[ErrorKind, int] = {
    "invalid_request": 400,
    "unsupported": 400,
    "not_found": 404,
    "too_large": 413,
    "upstream": 502,
    "timeout": 504,
    "overloaded": 503,
    "internal": 500,
}


class WireError(Exception):
    """Base of every error the wire layer raises on purpose."""

    kind: ErrorKind = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None, kind: ErrorKind | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if kind is not None:
            self.kind = kind

    @property
    def status(self) -> int:
        return STATUS_BY_KIND[self.kind]

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class MalformedRequestError(WireError):
    """The body is not valid for its dialect: bad JSON, a missing or mistyped field,
    an unknown role or block type. ``field`` is a dotted path such as
    ``messages[2].content[0].type``."""

    kind: ErrorKind = "invalid_request"


class MalformedResponseError(WireError):
    """A backend's response could not be parsed: the gateway answers 502."""

    kind: ErrorKind = "upstream"


class UnsupportedFeatureError(WireError):
    """The request is valid, but the target cannot express part of it."""

    kind: ErrorKind = "unsupported"


_OPENAI_ERROR_TYPES: dict[ErrorKind, str] = {
    "invalid_request": "invalid_request_error",
    "unsupported": "invalid_request_error",
    "not_found": "not_found_error",
    "too_large": "request_too_large",
    "upstream": "api_error",
    "timeout": "timeout_error",
    "overloaded": "overloaded_error",
    "internal": "server_error",
}


def openai_error(error: WireError) -> tuple[int, dict[str, Any]]:
    """The OpenAI error shape, shared by Chat Completions and Responses:
    ``{"error": {"message", "type", "param", "code"}}``; ``param`` names the field."""
    body = {"message": str(error), "type": _OPENAI_ERROR_TYPES[error.kind], "param": error.field, "code": error.kind}
    return error.status, {"error": body}
