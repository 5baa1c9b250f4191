"""Postgres store (``postgresql://...``): the same table and group commit as SQLite,
through psycopg 3."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from typing import Any

from ._base import Store
from ._records import CallRecord, SessionSummary
from ._schema import INSERT_COLUMNS, MIGRATIONS, SESSIONS_QUERY, row_values
from ._writer import GroupCommitWriter


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=False)


def migrate(connection: Any) -> int:
    """Bring the schema up to date (under an advisory lock: gateways may start together)."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(4242001)")
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = connection.execute("SELECT version FROM schema_version").fetchone()
        version = int(row[0]) if row else 0
        if row is None:
            connection.execute("INSERT INTO schema_version VALUES (0)")
        for index in range(version, len(MIGRATIONS)):
            for statement in MIGRATIONS[index]["postgres"]:
                connection.execute(statement)
            connection.execute("UPDATE schema_version SET version = %s", (index + 1,))
    return len(MIGRATIONS)


class PostgresStore(Store):
    """Call records in a Postgres database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._writer_connection = _connect(url)
        migrate(self._writer_connection)
        self._reader = _connect(url)
        self._reader.autocommit = True
        self._read_lock = threading.Lock()
        self._writer = GroupCommitWriter(self._commit, "rollyard-postgres-writer")

    def _commit(self, records: list[CallRecord]) -> None:
        placeholders = ", ".join("%s" for _ in INSERT_COLUMNS)
        with self._writer_connection.transaction(), self._writer_connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO calls ({', '.join(INSERT_COLUMNS)}) VALUES ({placeholders})",
                [row_values(r) for r in records],
            )

    async def append(self, record: CallRecord) -> None:
        await self._writer.submit(record)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return list(self._reader.execute(sql, params).fetchall())

    async def get(self, call_id: str) -> CallRecord | None:
        rows = await asyncio.to_thread(self._query, "SELECT record FROM calls WHERE id = %s", (call_id,))
        return CallRecord.from_json(json.loads(rows[0][0])) if rows else None

    async def calls(self, session_id: str | None = None, *, limit: int | None = None) -> list[CallRecord]:
        sql = "SELECT record FROM calls"
        params: list[Any] = []
        if session_id is not None:
            sql += " WHERE session_id = %s"
            params.append(session_id)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        rows = await asyncio.to_thread(self._query, sql, params)
        return [CallRecord.from_json(json.loads(row[0])) for row in rows]

    async def sessions(self) -> list[SessionSummary]:
        rows = await asyncio.to_thread(self._query, SESSIONS_QUERY)
        return [SessionSummary(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5], r[6], int(r[7]), int(r[8])) for r in rows]

    async def count(self) -> int:
        rows = await asyncio.to_thread(self._query, "SELECT COUNT(*) FROM calls")
        return int(rows[0][0])

    async def aclose(self) -> None:
        if self._writer.closed:
            return
        await self._writer.close()
        self._writer_connection.close()
        self._reader.close()
