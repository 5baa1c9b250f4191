"""Both stores, SQLite on a real file and Postgres on a real server (pgserver ships
its binaries): the same contract."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rollyard.store import CallRecord, CallTimings, Store, new_call_id, open_store


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'calls.db'}"
    import psycopg

    base = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return base.replace("/postgres?", f"/{name}?")


def record(session: str, n: int, status: str = "ok") -> CallRecord:
    return CallRecord(
        id=new_call_id(),
        session_id=session,
        api="chat",
        status=status,  # type: ignore[arg-type]
        http_status=200 if status == "ok" else 502,
        created_at=time.time(),
        raw_request={"n": n, "text": "ünïcode ✓"},
        prompt_token_ids=[1, 2, n],
        completion_token_ids=[n],
        logprobs=[-0.5],
        token_source="engine",
        timings=CallTimings(0.0, 0.1, 0.2),
        parent_session_id="root" if session == "child" else None,
    )


def test_contract(store_url: str) -> None:
    async def main() -> None:
        store: Store = open_store(store_url)
        await asyncio.gather(*(store.append(record(f"s{n % 4}", n, "error" if n == 5 else "ok")) for n in range(120)))
        await store.append(record("child", 999))
        assert await store.count() == 121
        s1 = await store.calls("s1")
        assert [c.raw_request["n"] for c in s1 if c.raw_request] == list(range(1, 120, 4))
        assert s1[0].raw_request == {"n": 1, "text": "ünïcode ✓"}
        assert await store.get(s1[2].id) == s1[2]
        assert await store.get("missing") is None
        assert len(await store.calls(limit=7)) == 7
        sessions = {s.session_id: s for s in await store.sessions()}
        assert sessions["s1"].calls == 30 and sessions["s1"].errors == 1
        assert sessions["s1"].prompt_tokens == 90 and sessions["s1"].completion_tokens == 30
        assert sessions["child"].parent_session_id == "root"
        await store.aclose()
        # Reopening runs no migration twice and keeps everything.
        again = open_store(store_url)
        assert await again.count() == 121
        await again.aclose()

    asyncio.run(main())


def test_eval_runs_and_results_persist_and_upsert(store_url: str) -> None:
    async def write() -> None:
        store = open_store(store_url)
        await store.put_eval_run("run-1", {"suite": "builtin", "strategies": ["react"]})
        await store.put_eval_result("run-1", "react|m|t1", {"success": False})
        await store.put_eval_result("run-1", "react|m|t1", {"success": True})
        await store.put_eval_result("run-1", "react|m|t2", {"success": False})
        await store.aclose()

    async def read() -> tuple[dict | None, list[str], dict]:
        store = open_store(store_url)
        try:
            return await store.eval_run("run-1"), await store.eval_runs(), await store.eval_results("run-1")
        finally:
            await store.aclose()

    asyncio.run(write())
    spec, runs, results = asyncio.run(read())
    assert spec == {"suite": "builtin", "strategies": ["react"]}
    assert runs == ["run-1"]
    assert results == {"react|m|t1": {"success": True}, "react|m|t2": {"success": False}}
