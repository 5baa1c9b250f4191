"""The SQLite store on real files: durability, order, concurrency, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from rollyard.store import MIGRATIONS, CallRecord, CallTimings, SQLiteStore, new_call_id, open_store


def record(session: str, n: int, status: str = "ok") -> CallRecord:
    return CallRecord(
        id=new_call_id(),
        session_id=session,
        api="chat",
        status=status,  # type: ignore[arg-type]
        http_status=200 if status == "ok" else 502,
        created_at=time.time(),
        raw_request={"n": n},
        prompt_token_ids=[1, 2, n],
        completion_token_ids=[n],
        logprobs=[-0.5],
        token_source="engine",
        timings=CallTimings(0.0, 0.1, 0.2),
    )


def test_concurrent_appends_are_all_committed_in_order_per_session(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"

    async def main() -> None:
        store = SQLiteStore(path)
        await asyncio.gather(*(store.append(record(f"s{n % 4}", n)) for n in range(200)))
        assert await store.count() == 200
        s0 = await store.calls("s0")
        assert [c.raw_request["n"] for c in s0 if c.raw_request] == list(range(0, 200, 4))
        sessions = await store.sessions()
        assert {s.session_id: s.calls for s in sessions} == {"s0": 50, "s1": 50, "s2": 50, "s3": 50}
        one = s0[3]
        assert await store.get(one.id) == one
        assert await store.get("missing") is None
        await store.aclose()

    asyncio.run(main())
    # Committed data is visible to a fresh connection in another process's view.
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM calls").fetchone() == (200,)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (len(MIGRATIONS),)


def test_duplicate_id_fails_the_append_loudly(tmp_path: Path) -> None:
    async def main() -> None:
        store = SQLiteStore(tmp_path / "calls.db")
        first = record("s", 1)
        await store.append(first)
        with pytest.raises(sqlite3.IntegrityError):
            await store.append(first)
        assert await store.count() == 1
        await store.aclose()

    asyncio.run(main())


def test_reopen_keeps_records_and_schema(tmp_path: Path) -> None:
    async def main() -> None:
        store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
        await store.append(record("s", 1))
        await store.aclose()
        again = open_store(f"sqlite:///{tmp_path / 'x.db'}")
        assert await again.count() == 1
        await again.aclose()

    asyncio.run(main())
    with pytest.raises(ValueError, match="unsupported database URL"):
        open_store("mysql://nope")
