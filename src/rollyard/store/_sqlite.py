"""SQLite store: WAL mode, one writer thread with group commit.

Every ``append`` waits until its record's transaction is committed with
``synchronous=FULL`` (so it survives a kill -9 or power loss); concurrent appends are
committed together in one transaction, which is what keeps recording cheap under load."""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._base import Store
from ._records import CallRecord, SessionSummary

# Each entry migrates the schema from version i to i + 1; never edit a shipped one.
MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE calls (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL,
        parent_session_id TEXT,
        harness TEXT,
        api TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        record TEXT NOT NULL
    );
    CREATE INDEX calls_by_session ON calls (session_id, seq);
    """,
)

_BATCH_MAX = 256


def _tokens(record: CallRecord) -> tuple[int, int]:
    usage = record.usage or {}
    prompt = len(record.prompt_token_ids) if record.prompt_token_ids is not None else int(usage.get("input_tokens", 0))
    completion = (
        len(record.completion_token_ids)
        if record.completion_token_ids is not None
        else int(usage.get("output_tokens", 0))
    )
    return prompt, completion


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the version now in force."""
    connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = connection.execute("SELECT version FROM schema_version").fetchone()
    version = int(row[0]) if row else 0
    if row is None:
        connection.execute("INSERT INTO schema_version VALUES (0)")
    for index in range(version, len(MIGRATIONS)):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[index].split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute("UPDATE schema_version SET version = ?", (index + 1,))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


class SQLiteStore(Store):
    """Call records in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _connect(self.path)
        migrate(self._writer)
        self._reader = _connect(self.path)
        self._read_lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[CallRecord, asyncio.AbstractEventLoop, asyncio.Future[None]] | None]
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_loop, name="rollyard-sqlite-writer", daemon=True)
        self._thread.start()
        self._closed = False

    # ---- writing ----

    async def append(self, record: CallRecord) -> None:
        if self._closed:
            raise RuntimeError("store is closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((record, loop, done))
        await done

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < _BATCH_MAX:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(more)
            error: BaseException | None = None
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                self._writer.executemany(
                    "INSERT INTO calls (id, session_id, parent_session_id, harness, api, status, created_at,"
                    " prompt_tokens, completion_tokens, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            r.id,
                            r.session_id,
                            r.parent_session_id,
                            r.harness,
                            r.api,
                            r.status,
                            r.created_at,
                            *_tokens(r),
                            r.dumps(),
                        )
                        for r, _, _ in batch
                    ],
                )
                self._writer.execute("COMMIT")
            except BaseException as exc:  # report to every waiter; never lose silently
                error = exc
                try:
                    self._writer.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            for _, loop, future in batch:
                loop.call_soon_threadsafe(_settle, future, error)

    # ---- reading ----

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    async def get(self, call_id: str) -> CallRecord | None:
        rows = await asyncio.to_thread(self._query, "SELECT record FROM calls WHERE id = ?", (call_id,))
        return CallRecord.from_json(json.loads(rows[0][0])) if rows else None

    async def calls(self, session_id: str | None = None, *, limit: int | None = None) -> list[CallRecord]:
        sql = "SELECT record FROM calls"
        params: list[Any] = []
        if session_id is not None:
            sql += " WHERE session_id = ?"
            params.append(session_id)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = await asyncio.to_thread(self._query, sql, params)
        return [CallRecord.from_json(json.loads(row[0])) for row in rows]

    async def sessions(self) -> list[SessionSummary]:
        rows = await asyncio.to_thread(
            self._query,
            "SELECT session_id, MAX(parent_session_id), MAX(harness), COUNT(*),"
            " SUM(status = 'error'), MIN(created_at), MAX(created_at), SUM(prompt_tokens), SUM(completion_tokens)"
            " FROM calls GROUP BY session_id ORDER BY MIN(seq)",
        )
        return [SessionSummary(*row) for row in rows]

    async def count(self) -> int:
        rows = await asyncio.to_thread(self._query, "SELECT COUNT(*) FROM calls")
        return int(rows[0][0])

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._writer.close()
        self._reader.close()


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
