"""``rollyard trajectories stats|export`` on a real SQLite store."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from rollyard.store import CallRecord, SQLiteStore, new_call_id
from rollyard.trajectories import load_rows


def _write_store(path: Path) -> None:
    async def main() -> None:
        store = SQLiteStore(path)
        prompt = [1, 5, 6, 2, 1, 7]
        for turn in range(3):
            completion = [100 + turn, 101 + turn, 2]
            await store.append(
                CallRecord(
                    id=new_call_id(),
                    session_id="s1",
                    api="chat",
                    status="ok",
                    http_status=200,
                    created_at=time.time(),
                    raw_request={},
                    prompt_token_ids=list(prompt),
                    completion_token_ids=completion,
                    logprobs=[-0.5, -0.25, -0.125],
                    token_source="engine",
                )
            )
            prompt = [*prompt, *completion, 9, 1, 7]
        await store.aclose()

    asyncio.run(main())


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rollyard", *args], capture_output=True, text=True, timeout=120)


def test_stats_and_exports(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    _write_store(db)
    url = f"sqlite:///{db}"
    stats = run("trajectories", "stats", "--db", url, "--json")
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert (data["calls"], data["chains"], data["calls_merged"], data["breaks_total"]) == (3, 1, 2, 0)
    table = run("trajectories", "stats", "--db", url, "--builder", "per_call")
    assert table.returncode == 0 and "chains" in table.stdout
    rows = {}
    for fmt, name in (("jsonl", "out.jsonl"), ("parquet", "out.parquet"), ("hf", "out_hf")):
        result = run(
            "trajectories", "export", "--db", url, "--session", "s1", "--format", fmt, "-o", str(tmp_path / name)
        )
        assert result.returncode == 0, result.stderr
        rows[fmt] = load_rows(tmp_path / name, fmt)  # type: ignore[arg-type]
    assert rows["jsonl"] == rows["parquet"] == rows["hf"]
    (row,) = rows["jsonl"]
    assert sum(row["loss_mask"]) == 9 and len(row["input_ids"]) == len(row["logprobs"])
