"""Trajectory builders at scale: 10,000 generated calls of ~4,000-token prompts.

Sessions of realistic depth (25 calls), each prompt extending the previous prompt +
completion with tool results and template glue; a few sessions are compacted
midway (a prefix break) and a few calls carry no ids. Reports the time and peak
memory of both builders (tracemalloc: numpy buffers included).

    python bench/trajectories.py           # a table
    python bench/trajectories.py --json    # keys prefix_merge_seconds_10k, prefix_merge_peak_gib_10k, ..."""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
import tracemalloc

import numpy as np

from rollyard.trajectories import PerCallBuilder, PrefixMergeBuilder, TokenCall

DEPTH = 25


def generate(calls: int, seed: int = 0) -> list[TokenCall]:
    rng = np.random.default_rng(seed)
    out: list[TokenCall] = []
    order = 0
    session = 0
    while order < calls:
        prompt = rng.integers(3, 49000, size=1500, dtype=np.int32)
        compact_at = int(rng.integers(5, DEPTH)) if rng.random() < 0.05 else -1
        for turn in range(min(DEPTH, calls - order)):
            if turn == compact_at:
                prompt = np.concatenate([prompt[:1500], rng.integers(3, 49000, size=300, dtype=np.int32)])
            completion = rng.integers(3, 49000, size=int(rng.integers(40, 120)), dtype=np.int32)
            has_ids = rng.random() > 0.002
            out.append(
                TokenCall(
                    call_id=f"call-{order}",
                    session_id=f"session-{session}",
                    order=order,
                    prompt_ids=prompt,
                    completion_ids=completion,
                    logprobs=-rng.random(len(completion), dtype=np.float32),
                    token_source="engine" if has_ids else "none",
                )
            )
            order += 1
            glue = rng.integers(3, 49000, size=int(rng.integers(80, 200)), dtype=np.int32)
            prompt = np.concatenate([prompt, completion, glue])
        session += 1
    return out


def measure(builder: object, calls: list[TokenCall]) -> tuple[float, float, dict[str, object]]:
    for call in calls:
        call._full = None  # no cache carried between runs
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    result = builder.build(calls)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**30, result.stats.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    calls = generate(args.calls)
    prompt_tokens = sum(len(c.prompt_ids) for c in calls if c.prompt_ids is not None)
    input_gib = sum(c.prompt_ids.nbytes + c.completion_ids.nbytes for c in calls) / 2**30  # type: ignore[union-attr]
    rows = {}
    for name, builder in (("per_call", PerCallBuilder()), ("prefix_merge", PrefixMergeBuilder())):
        rows[name] = measure(builder, calls)
    tag = "10k" if args.calls == 10_000 else str(args.calls)
    summary = {
        "calls": args.calls,
        "mean_prompt_tokens": round(prompt_tokens / len(calls)),
        "input_ids_gib": round(input_gib, 3),
        f"prefix_merge_seconds_{tag}": round(rows["prefix_merge"][0], 3),
        f"prefix_merge_peak_gib_{tag}": round(rows["prefix_merge"][1], 3),
        f"per_call_seconds_{tag}": round(rows["per_call"][0], 3),
        f"per_call_peak_gib_{tag}": round(rows["per_call"][1], 3),
        "process_max_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
        "prefix_merge_stats": rows["prefix_merge"][2],
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{args.calls} calls, mean prompt {summary['mean_prompt_tokens']} tokens, ids {input_gib:.2f} GiB in memory")
    print(
        f"{'builder':14} {'seconds':>8} {'peak GiB':>9} {'chains':>7} {'merged':>7} {'breaks':>7} {'tokens after':>13}"
    )
    for name, (seconds, peak, stats) in rows.items():
        print(
            f"{name:14} {seconds:>8.2f} {peak:>9.3f} {stats['chains']:>7} {stats['calls_merged']:>7} "
            f"{stats['breaks_total']:>7} {stats['tokens_after']:>13}"
        )


if __name__ == "__main__":
    main()
