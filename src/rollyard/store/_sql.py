"""What the SQLite and Postgres stores share: group-committed appends and the reads,
over one table (``_schema.py``). Subclasses supply connections and the placeholder."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from typing import Any

from ._base import Store
from ._records import CallRecord, SessionSummary
from ._schema import INSERT_COLUMNS, SESSIONS_QUERY
from ._writer import GroupCommitWriter


class SQLCallStore(Store):
    """A store over a DB-API connection pair: one writer (on the group-commit thread)
    and one reader."""

    placeholder = "?"

    def _start(self, writer_connection: Any, reader: Any, name: str) -> None:
        self._writer_connection = writer_connection
        self._reader = reader
        self._read_lock = threading.Lock()
        self._writer = GroupCommitWriter(self._commit, name)

    def _insert_sql(self) -> str:
        marks = ", ".join(self.placeholder for _ in INSERT_COLUMNS)
        return f"INSERT INTO calls ({', '.join(INSERT_COLUMNS)}) VALUES ({marks})"

    def _commit(self, records: list[CallRecord]) -> None:
        raise NotImplementedError

    async def append(self, record: CallRecord) -> None:
        await self._writer.submit(record)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return list(self._reader.execute(sql.replace("?", self.placeholder), params).fetchall())

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
