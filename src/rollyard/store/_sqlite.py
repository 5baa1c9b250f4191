"""SQLite store: WAL mode, ``synchronous=FULL``, group commit.

Every ``append`` waits until its record's transaction is committed (so it survives a
kill -9 or power loss); concurrent appends are committed together in one transaction,
which is what keeps recording cheap under load."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._base import Store
from ._records import CallRecord, SessionSummary
from ._schema import INSERT_COLUMNS, MIGRATIONS, SESSIONS_QUERY, row_values
from ._writer import GroupCommitWriter


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
            for statement in MIGRATIONS[index]["sqlite"]:
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
        self._writer_connection = _connect(self.path)
        migrate(self._writer_connection)
        self._reader = _connect(self.path)
        self._read_lock = threading.Lock()
        self._writer = GroupCommitWriter(self._commit, "rollyard-sqlite-writer")

    def _commit(self, records: list[CallRecord]) -> None:
        connection = self._writer_connection
        placeholders = ", ".join("?" for _ in INSERT_COLUMNS)
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                f"INSERT INTO calls ({', '.join(INSERT_COLUMNS)}) VALUES ({placeholders})",
                [row_values(r) for r in records],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    async def append(self, record: CallRecord) -> None:
        await self._writer.submit(record)

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
        rows = await asyncio.to_thread(self._query, SESSIONS_QUERY)
        return [SessionSummary(*row) for row in rows]

    async def count(self) -> int:
        rows = await asyncio.to_thread(self._query, "SELECT COUNT(*) FROM calls")
        return int(rows[0][0])

    async def aclose(self) -> None:
        if self._writer.closed:
            return
        await self._writer.close()
        self._writer_connection.close()
        self._reader.close()
