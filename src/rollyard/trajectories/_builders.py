"""Trajectory builders: token samples from recorded calls.

- ``per_call``: one sample per call (prompt + completion, mask 1 on the completion).
- ``prefix_merge``: calls chained when a call's prompt ids start with an earlier call's
  prompt + completion ids exactly (engine ids only). Sampled spans keep their raw ids
  and real logprobs with mask 1; what lies between turns (tool results, template glue)
  comes from the later prompt with mask 0."""

from __future__ import annotations

import abc
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from ._calls import TokenCall

BreakCause: TypeAlias = Literal[
    "ids_missing",  # a call without engine ids: left out, its tokens only context for later calls
    "history_rewritten",  # the prompt does not even start with the earlier prompt (compaction, trimming)
    "completion_retokenized",  # it starts with the earlier prompt, but the completion came back as other ids
    "reasoning_stripped",  # same, and the earlier completion held reasoning the template dropped
]


@dataclass
class TokenSample:
    """One training sequence. ``logprobs`` has the length of ``input_ids`` (0.0 where
    the mask is 0)."""

    session_id: str
    chain_id: str
    input_ids: npt.NDArray[np.int32]
    loss_mask: npt.NDArray[np.int8]
    logprobs: npt.NDArray[np.float32]
    call_ids: list[str]
    reward: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The export row (plain lists)."""
        return {
            "session_id": self.session_id,
            "chain_id": self.chain_id,
            "input_ids": self.input_ids.tolist(),
            "loss_mask": self.loss_mask.tolist(),
            "logprobs": self.logprobs.tolist(),
            "call_ids": list(self.call_ids),
            "reward": self.reward,
            "metadata": dict(self.metadata),
        }


@dataclass
class BuildStats:
    """What every build reports."""

    builder: str
    calls: int = 0
    chains: int = 0
    calls_merged: int = 0
    """Calls appended to an earlier call's chain."""
    breaks: Counter[str] = field(default_factory=Counter)
    tokens_before: int = 0
    """Sum over calls of prompt + completion tokens (what per-call samples would hold)."""
    tokens_after: int = 0
    """Sum of the built samples' lengths."""
    quarantined: int = 0
    retries: int = 0
    """Calls that repeat the previous call's prompt exactly (a retry): a branch, not a break."""
    excluded_no_ids: int = 0
    tool_call_parse_failures: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "builder": self.builder,
            "calls": self.calls,
            "chains": self.chains,
            "calls_merged": self.calls_merged,
            "breaks": dict(sorted(self.breaks.items())),
            "breaks_total": sum(self.breaks.values()),
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_before - self.tokens_after,
            "quarantined": self.quarantined,
            "retries": self.retries,
            "excluded_no_ids": self.excluded_no_ids,
            "tool_call_parse_failures": self.tool_call_parse_failures,
        }


@dataclass
class BuildResult:
    samples: list[TokenSample]
    stats: BuildStats


class Builder(abc.ABC):
    """Builds samples from calls (any order: builders sort by session and order)."""

    name: str

    @abc.abstractmethod
    def build(self, calls: Iterable[TokenCall]) -> BuildResult: ...

    @staticmethod
    def _admit(calls: Iterable[TokenCall], stats: BuildStats) -> list[TokenCall]:
        kept: list[TokenCall] = []
        for call in sorted(calls, key=lambda c: c.order):
            stats.calls += 1
            if call.tool_call_parse_failed:
                stats.tool_call_parse_failures += 1
            if not call.has_ids:
                stats.excluded_no_ids += 1
                continue
            assert call.prompt_ids is not None and call.completion_ids is not None
            stats.tokens_before += len(call.prompt_ids) + len(call.completion_ids)
            kept.append(call)
        return kept


def _reward(calls: list[TokenCall]) -> float | None:
    # A call whose tool call did not parse earns 0, but stays trainable.
    if any(c.tool_call_parse_failed for c in calls):
        return 0.0
    rewards = [c.reward for c in calls if c.reward is not None]
    return rewards[-1] if rewards else None


def _logprobs_for(call: TokenCall) -> npt.NDArray[np.float32]:
    assert call.completion_ids is not None
    n = len(call.completion_ids)
    if call.logprobs is not None and len(call.logprobs) == n:
        return call.logprobs
    return np.zeros(n, dtype=np.float32)


class PerCallBuilder(Builder):
    name = "per_call"

    def build(self, calls: Iterable[TokenCall]) -> BuildResult:
        stats = BuildStats(self.name)
        samples: list[TokenSample] = []
        for call in self._admit(calls, stats):
            assert call.prompt_ids is not None and call.completion_ids is not None
            p, c = len(call.prompt_ids), len(call.completion_ids)
            mask = np.zeros(p + c, dtype=np.int8)
            mask[p:] = 1
            logprobs = np.zeros(p + c, dtype=np.float32)
            logprobs[p:] = _logprobs_for(call)
            samples.append(
                TokenSample(
                    session_id=call.session_id,
                    chain_id=call.call_id,
                    input_ids=np.concatenate([call.prompt_ids, call.completion_ids]),
                    loss_mask=mask,
                    logprobs=logprobs,
                    call_ids=[call.call_id],
                    reward=_reward([call]),
                    metadata={
                        **call.metadata,
                        "parent_chain_id": None,
                        "tool_call_parse_failed": call.tool_call_parse_failed,
                    },
                )
            )
        stats.chains = len(samples)
        stats.tokens_after = sum(len(s.input_ids) for s in samples)
        return BuildResult(samples, stats)


@dataclass
class _Chain:
    chain_id: str
    session_id: str
    calls: list[TokenCall]
    parent_chain_id: str | None = None
    shared_prefix_calls: int = 0
    """Calls at the head that belong to the parent chain (a branch): their spans are
    trained there, so they are masked 0 here."""

    @property
    def tip(self) -> TokenCall:
        return self.calls[-1]


class PrefixMergeBuilder(Builder):
    """Merges calls into chains by exact token prefix; see the module docstring.

    Parents are looked up among the session's earlier calls, longest sequence first,
    by byte-prefix tests on int32 id arrays; identical candidate sequences mean the
    parent is ambiguous and the call is quarantined rather than guessed."""

    name = "prefix_merge"

    def build(self, calls: Iterable[TokenCall]) -> BuildResult:
        stats = BuildStats(self.name)
        admitted = self._admit(calls, stats)
        if stats.excluded_no_ids:
            # Such a call's sampled tokens reach later prompts only as context (mask 0).
            stats.breaks["ids_missing"] = stats.excluded_no_ids
        by_session: dict[str, list[TokenCall]] = defaultdict(list)
        for call in admitted:
            by_session[call.session_id].append(call)
        chains: list[_Chain] = []
        for session_id, session_calls in by_session.items():
            chains.extend(self._session_chains(session_id, session_calls, stats))
        # Sub-agent sessions hang under their parent session's first chain.
        first_chain: dict[str, str] = {}
        for chain in chains:
            first_chain.setdefault(chain.session_id, chain.chain_id)
        for chain in chains:
            parent_session = chain.calls[0].parent_session_id
            if chain.parent_chain_id is None and parent_session and parent_session in first_chain:
                chain.parent_chain_id = first_chain[parent_session]
        samples = [self._sample(chain) for chain in chains]
        stats.chains = len(samples)
        stats.tokens_after = sum(len(s.input_ids) for s in samples)
        return BuildResult(samples, stats)

    def _session_chains(self, session_id: str, calls: list[TokenCall], stats: BuildStats) -> list[_Chain]:
        chains: list[_Chain] = []
        chain_by_tip: dict[str, _Chain] = {}  # call id -> chain whose tip it is
        chain_of_call: dict[str, _Chain] = {}
        # Distinct full sequences seen so far, with the calls that produced them.
        seen: dict[bytes, list[TokenCall]] = {}
        lengths: list[int] = []  # distinct byte lengths, longest first
        previous: TokenCall | None = None
        for call in calls:
            prompt = call.prompt_bytes
            parent_group: list[TokenCall] | None = None
            for length in lengths:
                if length > len(prompt):
                    continue
                group = seen.get(prompt[:length])
                if group is not None:
                    parent_group = group
                    break
            if parent_group is not None and len(parent_group) > 1:
                stats.quarantined += 1
                parent_group = None
                quarantined = True
            else:
                quarantined = False
            if previous is not None and not quarantined:
                parent_call = parent_group[0] if parent_group else None
                if parent_call is not previous:
                    # The call does not extend the one just before it in the session.
                    if call.prompt_bytes == previous.prompt_bytes:
                        stats.retries += 1
                    else:
                        stats.breaks[self._cause(previous, call)] += 1
            if parent_group is not None:
                parent = parent_group[0]
                stats.calls_merged += 1
                tip_chain = chain_by_tip.pop(parent.call_id, None)
                if tip_chain is not None:
                    tip_chain.calls.append(call)
                    chain = tip_chain
                else:
                    # The parent's chain moved on already: a branch (retry, fork).
                    base = chain_of_call[parent.call_id]
                    upto = next(i for i, c in enumerate(base.calls) if c is parent) + 1
                    chain = _Chain(
                        f"{call.call_id}",
                        session_id,
                        [*base.calls[:upto], call],
                        parent_chain_id=base.chain_id,
                        shared_prefix_calls=upto,
                    )
                    chains.append(chain)
            else:
                chain = _Chain(call.call_id, session_id, [call])
                if not quarantined:
                    chains.append(chain)
            if quarantined:
                previous = call
                continue
            chain_by_tip[call.call_id] = chain
            chain_of_call[call.call_id] = chain
            full = call.full_bytes
            if full in seen:
                seen[full].append(call)
            else:
                seen[full] = [call]
                if len(full) not in lengths:
                    lengths.append(len(full))
                    lengths.sort(reverse=True)
            previous = call
        return chains

    @staticmethod
    def _cause(previous: TokenCall, call: TokenCall) -> str:
        if not call.prompt_bytes.startswith(previous.prompt_bytes):
            return "history_rewritten"
        return "reasoning_stripped" if previous.had_reasoning else "completion_retokenized"

    @staticmethod
    def _sample(chain: _Chain) -> TokenSample:
        last = chain.tip
        assert last.prompt_ids is not None and last.completion_ids is not None
        input_ids = np.concatenate([last.prompt_ids, last.completion_ids])
        mask = np.zeros(len(input_ids), dtype=np.int8)
        logprobs = np.zeros(len(input_ids), dtype=np.float32)
        for index, call in enumerate(chain.calls):
            if index < chain.shared_prefix_calls:
                continue
            assert call.prompt_ids is not None and call.completion_ids is not None
            start = len(call.prompt_ids)
            end = start + len(call.completion_ids)
            mask[start:end] = 1
            logprobs[start:end] = _logprobs_for(call)
        return TokenSample(
            session_id=chain.session_id,
            chain_id=chain.chain_id,
            input_ids=input_ids,
            loss_mask=mask,
            logprobs=logprobs,
            call_ids=[c.call_id for c in chain.calls[chain.shared_prefix_calls :]],
            reward=_reward(chain.calls),
            metadata={
                **last.metadata,
                "parent_chain_id": chain.parent_chain_id,
                "tool_call_parse_failed": any(c.tool_call_parse_failed for c in chain.calls),
            },
        )


BUILDERS: dict[str, type[Builder]] = {"per_call": PerCallBuilder, "prefix_merge": PrefixMergeBuilder}


def builder(name: str) -> Builder:
    """A builder by name: ``per_call`` or ``prefix_merge``."""
    try:
        return BUILDERS[name]()
    except KeyError:
        raise ValueError(f"unknown builder {name!r}; choose one of {', '.join(BUILDERS)}") from None
