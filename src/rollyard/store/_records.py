"""``CallRecord``: one immutable record per model call that passed the gateway."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeAlias

import orjson

ApiDialect: TypeAlias = Literal["chat", "responses", "anthropic"]
TokenSourceName: TypeAlias = Literal["engine", "retokenized", "none"]
CallStatus: TypeAlias = Literal["ok", "error"]


_ID_RANDOM = random.Random(int.from_bytes(os.urandom(16), "big"))
_ID_LOCK = threading.Lock()


def new_call_id() -> str:
    """``call-`` + 32 hex digits: nanosecond time then 64 random bits (time-ordered, unique
    across processes). uuid4 reads the OS's random source per id, which showed up at 8%
    of the gateway's CPU; a seeded generator does not."""
    with _ID_LOCK:
        bits = _ID_RANDOM.getrandbits(64)
    return f"call-{time.time_ns():016x}{bits:016x}"


@dataclass(frozen=True)
class CallTimings:
    """Seconds: waiting (pause, queue), in the upstream call, and in total."""

    queued_s: float = 0.0
    upstream_s: float = 0.0
    total_s: float = 0.0


@dataclass(frozen=True)
class CallRecord:
    """Everything about one call, written durably before the client gets its answer.

    Credentials are never stored: ``headers`` holds only the harness headers we use
    (user agent, session ids, betas), never ``authorization`` or api keys."""

    id: str
    session_id: str
    api: ApiDialect
    status: CallStatus
    http_status: int
    created_at: float
    raw_request: dict[str, Any] | None
    """The body as the client sent it (None when it was not valid JSON)."""
    normalized_request: dict[str, Any] | None = None
    """The canonical ``rollyard.wire.Request``, as JSON."""
    response: dict[str, Any] | None = None
    """The body the client received (non-streaming form, also for streamed calls)."""
    prompt_token_ids: list[int] | None = None
    completion_token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    """One per completion token, when the backend gave them."""
    token_source: TokenSourceName = "none"
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    timings: CallTimings = field(default_factory=CallTimings)
    model_requested: str | None = None
    model_used: str | None = None
    backend: str | None = None
    policy_version: str | None = None
    parent_session_id: str | None = None
    harness: str | None = None
    stream: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    """What a conversion could not carry to the backend (never dropped silently)."""
    constrained_decoding: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallRecord:
        values = dict(data)
        values["timings"] = CallTimings(**values.get("timings") or {})
        return cls(**values)

    def dumps(self) -> str:
        # orjson serializes the dataclass tree directly: several times faster than
        # asdict + json, and this runs once per call on the recording path.
        try:
            return orjson.dumps(self).decode()
        except TypeError:  # integers beyond 64 bits (a client may send any JSON number)
            return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    parent_session_id: str | None
    harness: str | None
    calls: int
    errors: int
    first_at: float
    last_at: float
    prompt_tokens: int
    completion_tokens: int
