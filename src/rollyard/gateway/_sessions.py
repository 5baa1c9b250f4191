"""Which session a call belongs to, and which harness sent it.

Order: the ``/s/{session}/`` path; else the bearer or x-api-key value, when it is not
a credential (a value starting ``sk-`` is taken for one and ignored: credentials are
never stored, not even as a session name); else the harness's own session headers."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

SESSION_HEADERS = ("x-session-id", "session-id", "x-claude-code-session-id")
PARENT_HEADERS = ("x-parent-session-id", "x-rollyard-parent-session-id")
_SAFE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,200}$")

HARNESS_BY_AGENT = (
    ("claude-cli", "claude-code"),
    ("codex_", "codex"),
    ("codex-", "codex"),
    ("qwencode", "qwen-code"),
    ("opencode", "opencode"),
    ("openai/python", "openai-python"),
    ("anthropic/python", "anthropic-python"),
    ("langchain", "langchain"),
    ("rollyard", "rollyard"),
)


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    parent_session_id: str | None
    harness: str | None
    source: str
    """Where the session id came from: path, key, header, or default."""


def _credential_like(value: str) -> bool:
    return value.startswith("sk-") or len(value) > 200


def _key(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        value = auth[7:].strip()
    else:
        value = headers.get("x-api-key", "").strip()
    if value and not _credential_like(value) and _SAFE.match(value):
        return value
    return None


def harness_of(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    lowered = user_agent.lower()
    for needle, name in HARNESS_BY_AGENT:
        if needle in lowered:
            return name
    return user_agent.split("/")[0][:64] or None


def resolve_session(path_session: str | None, headers: Mapping[str, str]) -> SessionInfo:
    """``headers`` must be lower-cased names (Starlette's are)."""
    harness = harness_of(headers.get("user-agent"))
    parent = next((headers[h] for h in PARENT_HEADERS if headers.get(h)), None)
    if parent is None and headers.get("x-codex-turn-metadata"):
        # Codex names the parent thread of a sub-agent in its turn metadata.
        try:
            meta = json.loads(headers["x-codex-turn-metadata"])
            value = meta.get("parent_thread_id") if isinstance(meta, dict) else None
            parent = value if isinstance(value, str) else None
        except ValueError:
            parent = None
    if path_session:
        return SessionInfo(path_session, parent, harness, "path")
    key = _key(headers)
    if key:
        return SessionInfo(key, parent, harness, "key")
    for header in SESSION_HEADERS:
        value = headers.get(header)
        if value and _SAFE.match(value):
            return SessionInfo(value, parent, harness, "header")
    return SessionInfo("default", parent, harness, "default")


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers worth keeping in a record: never credentials."""
    keep = ("user-agent", "anthropic-beta", "anthropic-version", "originator", *SESSION_HEADERS, *PARENT_HEADERS)
    return {h: headers[h] for h in keep if h in headers}
