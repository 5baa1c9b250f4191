"""Designed cases for the builders: each one a way real sessions go."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from rollyard.trajectories import (
    PerCallBuilder,
    PrefixMergeBuilder,
    TokenCall,
    builder,
    export_samples,
    load_rows,
)

_order = itertools.count()


def call(
    prompt: list[int],
    completion: list[int],
    *,
    session: str = "s",
    cid: str | None = None,
    parent: str | None = None,
    reasoning: bool = False,
    ids: bool = True,
    parse_failed: bool = False,
) -> TokenCall:
    n = next(_order)
    return TokenCall(
        call_id=cid or f"c{n}",
        session_id=session,
        order=n,
        prompt_ids=np.asarray(prompt, dtype=np.int32),
        completion_ids=np.asarray(completion, dtype=np.int32),
        logprobs=np.asarray([-0.1 * (i + 1) for i in range(len(completion))], dtype=np.float32),
        parent_session_id=parent,
        token_source="engine" if ids else "none",
        had_reasoning=reasoning,
        tool_call_parse_failed=parse_failed,
    )


def conversation(session: str = "s", turns: int = 3) -> list[TokenCall]:
    """A session whose every prompt extends the last prompt + completion, with glue."""
    calls: list[TokenCall] = []
    prompt = [1, 10, 11, 12, 2, 1, 13]
    for turn in range(turns):
        completion = [100 + turn * 10 + i for i in range(3)] + [2]
        calls.append(call(prompt, completion, session=session, cid=f"{session}-{turn}"))
        prompt = [*prompt, *completion, 9, 1, 50 + turn, 51, 2, 1, 13]  # tool result + template glue
    return calls


def test_prefix_merge_one_chain_exact_ids_mask_and_logprobs() -> None:
    calls = conversation(turns=4)
    result = PrefixMergeBuilder().build(calls)
    (sample,) = result.samples
    last = calls[-1]
    assert sample.input_ids.tolist() == [*last.prompt_ids.tolist(), *last.completion_ids.tolist()]  # type: ignore[union-attr]
    expected_mask = np.zeros(len(sample.input_ids), dtype=np.int8)
    for c in calls:
        start = len(c.prompt_ids)  # type: ignore[arg-type]
        expected_mask[start : start + len(c.completion_ids)] = 1  # type: ignore[arg-type]
        # Sampled spans keep their raw ids and logprobs one to one.
        assert sample.input_ids[start : start + len(c.completion_ids)].tolist() == c.completion_ids.tolist()  # type: ignore[arg-type, union-attr]
        assert sample.logprobs[start : start + len(c.completion_ids)].tolist() == c.logprobs.tolist()  # type: ignore[arg-type, union-attr]
    assert sample.loss_mask.tolist() == expected_mask.tolist()
    assert (sample.logprobs[sample.loss_mask == 0] == 0).all()
    assert sample.call_ids == [c.call_id for c in calls]
    stats = result.stats.as_dict()
    assert stats["chains"] == 1 and stats["calls_merged"] == 3 and stats["breaks_total"] == 0
    assert stats["tokens_after"] == len(sample.input_ids) < stats["tokens_before"]


def test_per_call_one_sample_each() -> None:
    calls = conversation(turns=3)
    result = PerCallBuilder().build(calls)
    assert len(result.samples) == 3
    for sample, c in zip(result.samples, calls, strict=True):
        p = len(c.prompt_ids)  # type: ignore[arg-type]
        assert sample.loss_mask[:p].sum() == 0 and sample.loss_mask[p:].all()
        assert sample.logprobs[p:].tolist() == c.logprobs.tolist()  # type: ignore[union-attr]


def test_compaction_splits_the_chain() -> None:
    calls = conversation(turns=2)
    compacted = call([1, 10, 99, 2, 1, 13], [7, 8, 2], cid="after-compaction")  # history rewritten
    result = PrefixMergeBuilder().build([*calls, compacted])
    assert len(result.samples) == 2
    assert result.stats.breaks == {"history_rewritten": 1}


def test_retokenized_completion_and_stripped_reasoning_are_counted() -> None:
    first = call([1, 2, 3], [40, 41, 2])
    # The harness re-serialized the call's arguments: same text, other ids.
    second = call([1, 2, 3, 40, 44, 45, 2, 9], [5, 2])
    thinking = call([1, 2, 3, 40, 44, 45, 2, 9, 5, 2], [60, 61, 2], reasoning=True)
    stripped = call([1, 2, 3, 40, 44, 45, 2, 9, 5, 2, 61, 2, 9], [7, 2])  # template dropped the think tokens
    result = PrefixMergeBuilder().build([first, second, thinking, stripped])
    assert result.stats.breaks == {"completion_retokenized": 1, "reasoning_stripped": 1}
    # The stripped call still extends an ancestor exactly (a branch): merged, and the break counted.
    assert result.stats.calls_merged == 2 and result.stats.chains == 3


def test_sub_agent_sessions_branch_into_a_tree() -> None:
    root = conversation("root", turns=2)
    child = conversation("child", turns=2)
    for c in child:
        c.parent_session_id = "root"
    result = PrefixMergeBuilder().build([root[0], child[0], root[1], child[1]])
    by_session = {s.session_id: s for s in result.samples}
    assert set(by_session) == {"root", "child"}
    assert by_session["child"].metadata["parent_chain_id"] == by_session["root"].chain_id
    assert by_session["root"].metadata["parent_chain_id"] is None


def test_retried_call_branches_without_training_the_shared_prefix_twice() -> None:
    parent = call([1, 2], [3, 2], cid="p")
    abandoned = call([1, 2, 3, 2, 9], [70, 2], cid="attempt-1")
    accepted = call([1, 2, 3, 2, 9], [80, 2], cid="attempt-2")
    follow = call([1, 2, 3, 2, 9, 80, 2, 9], [5, 2], cid="next")
    result = PrefixMergeBuilder().build([parent, abandoned, accepted, follow])
    assert result.stats.quarantined == 0 and result.stats.retries == 1 and not result.stats.breaks
    chains = {tuple(s.call_ids): s for s in result.samples}
    assert set(chains) == {("p", "attempt-1"), ("attempt-2", "next")}
    branch = chains[("attempt-2", "next")]
    assert branch.metadata["parent_chain_id"] == chains[("p", "attempt-1")].chain_id
    assert branch.loss_mask[2:4].sum() == 0  # the parent's sampled span is trained in its own chain
    # Every sampled token is trained exactly once across the build.
    trained = sum(int(s.loss_mask.sum()) for s in result.samples)
    assert trained == sum(len(c.completion_ids) for c in (parent, abandoned, accepted, follow))  # type: ignore[arg-type]


def test_two_equal_candidate_parents_quarantine() -> None:
    parent = call([1, 2], [3, 2])
    twin_a = call([1, 2, 3, 2, 9], [70, 2])
    twin_b = call([1, 2, 3, 2, 9], [70, 2])  # the same sequence again: which one is the parent?
    child = call([1, 2, 3, 2, 9, 70, 2, 9], [5, 2], cid="child")
    result = PrefixMergeBuilder().build([parent, twin_a, twin_b, child])
    assert result.stats.quarantined == 1
    assert all("child" not in s.call_ids for s in result.samples)


def test_missing_ids_are_left_out_and_counted_and_parse_failures_get_reward_0() -> None:
    calls = conversation(turns=2)
    no_ids = call([1], [2], ids=False)
    failed = call([7, 7], [8, 2], session="other", parse_failed=True)
    result = PrefixMergeBuilder().build([*calls, no_ids, failed])
    assert result.stats.excluded_no_ids == 1 and result.stats.tool_call_parse_failures == 1
    assert result.stats.breaks == {"ids_missing": 1}
    other = next(s for s in result.samples if s.session_id == "other")
    assert other.reward == 0.0 and other.metadata["tool_call_parse_failed"] is True


def test_unknown_builder_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="per_call, prefix_merge"):
        builder("nope")


def test_exports_hold_identical_data_in_all_formats(tmp_path: Path) -> None:
    calls = [*conversation("a", 3), *conversation("b", 2)]
    samples = PrefixMergeBuilder().build(calls).samples
    loaded = {}
    for fmt, name in (("jsonl", "x.jsonl"), ("parquet", "x.parquet"), ("hf", "x_hf")):
        assert export_samples(samples, tmp_path / name, fmt) == len(samples)  # type: ignore[arg-type]
        loaded[fmt] = load_rows(tmp_path / name, fmt)  # type: ignore[arg-type]
    assert loaded["jsonl"] == loaded["parquet"] == loaded["hf"]
    # The same rows load in pandas, from Parquet and from JSONL.
    import pandas as pd

    frames = [pd.read_parquet(tmp_path / "x.parquet"), pd.read_json(tmp_path / "x.jsonl", lines=True)]
    for frame in frames:
        assert list(frame["chain_id"]) == [r["chain_id"] for r in loaded["jsonl"]]
        assert [list(ids) for ids in frame["input_ids"]] == [r["input_ids"] for r in loaded["jsonl"]]
    row = loaded["jsonl"][0]
    assert len(row["input_ids"]) == len(row["loss_mask"]) == len(row["logprobs"])
    assert row["logprobs"] == pytest.approx(samples[0].logprobs.tolist())
