"""``TokenCall``: the token view of one recorded call, compact enough for 10k calls
of 4k-token prompts (int32 arrays, not Python lists)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..store import CallRecord

IdArray = npt.NDArray[np.int32]


@dataclass(eq=False)
class TokenCall:
    """What builders need of a call: ids, logprobs, session links, and flags."""

    call_id: str
    session_id: str
    order: int
    """Position in the store (calls of a session are processed in this order)."""
    prompt_ids: IdArray | None
    completion_ids: IdArray | None
    logprobs: npt.NDArray[np.float32] | None
    parent_session_id: str | None = None
    token_source: str = "none"
    had_reasoning: bool = False
    """The response carried a reasoning block (a template may strip it later)."""
    tool_call_parse_failed: bool = False
    reward: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    _full: bytes | None = None

    @property
    def has_ids(self) -> bool:
        return self.token_source == "engine" and self.prompt_ids is not None and self.completion_ids is not None

    @property
    def full_bytes(self) -> bytes:
        """prompt + completion ids as bytes: prefix tests are C-speed ``startswith``."""
        if self._full is None:
            assert self.prompt_ids is not None and self.completion_ids is not None
            self._full = self.prompt_ids.tobytes() + self.completion_ids.tobytes()
        return self._full

    @property
    def prompt_bytes(self) -> bytes:
        assert self.prompt_ids is not None
        return self.prompt_ids.tobytes()


def _ids(values: list[int] | None) -> IdArray | None:
    return None if values is None else np.asarray(values, dtype=np.int32)


def _reasoning_in(response: dict[str, Any] | None) -> bool:
    if not response:
        return False
    text = json.dumps(response)
    return any(k in text for k in ('"reasoning_content"', '"type": "thinking"', '"type": "reasoning"', '"thinking":'))


def _unparsed_tool_call(record: CallRecord) -> bool:
    """A response whose text holds a tool-call frame that did not parse into a call."""
    response = json.dumps(record.response or {})
    return "<tool_call>" in response and record.finish_reason != "tool_calls"


def token_call(record: CallRecord, order: int) -> TokenCall:
    """The token view of a stored record."""
    logprobs = None if record.logprobs is None else np.asarray(record.logprobs, dtype=np.float32)
    return TokenCall(
        call_id=record.id,
        session_id=record.session_id,
        order=order,
        prompt_ids=_ids(record.prompt_token_ids),
        completion_ids=_ids(record.completion_token_ids),
        logprobs=logprobs,
        parent_session_id=record.parent_session_id,
        token_source=record.token_source if record.status == "ok" else "none",
        had_reasoning=_reasoning_in(record.response),
        tool_call_parse_failed=_unparsed_tool_call(record),
        metadata={"model": record.model_used, "policy_version": record.policy_version, "harness": record.harness},
    )
