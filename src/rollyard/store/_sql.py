"""What the SQLite and Postgres stores share: group-committed appends and the reads,
over one table (``_schema.py``). Subclasses supply connections and the placeholder."""

from __future__ import annotations

import asyncio
import json
import threading
import time
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

    # ---- evaluation runs (small, rare writes: straight through the autocommit reader) ----

    def _write(self, sql: str, params: Sequence[Any]) -> None:
        with self._read_lock:
            self._reader.execute(sql.replace("?", self.placeholder), params)

    async def put_eval_run(self, run_id: str, spec: dict[str, Any]) -> None:
        sql = (
            "INSERT INTO eval_runs (run_id, created_at, spec) VALUES (?, ?, ?)"
            " ON CONFLICT (run_id) DO UPDATE SET spec = excluded.spec"
        )
        await asyncio.to_thread(self._write, sql, (run_id, time.time(), json.dumps(spec)))

    async def eval_run(self, run_id: str) -> dict[str, Any] | None:
        rows = await asyncio.to_thread(self._query, "SELECT spec FROM eval_runs WHERE run_id = ?", (run_id,))
        return dict(json.loads(rows[0][0])) if rows else None

    async def eval_runs(self) -> list[str]:
        rows = await asyncio.to_thread(self._query, "SELECT run_id FROM eval_runs ORDER BY created_at")
        return [str(r[0]) for r in rows]

    async def put_eval_result(self, run_id: str, key: str, result: dict[str, Any]) -> None:
        sql = (
            "INSERT INTO eval_results (run_id, result_key, created_at, result) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (run_id, result_key) DO UPDATE SET result = excluded.result"
        )
        await asyncio.to_thread(self._write, sql, (run_id, key, time.time(), json.dumps(result, default=str)))

    async def eval_results(self, run_id: str) -> dict[str, dict[str, Any]]:
        sql = "SELECT result_key, result FROM eval_results WHERE run_id = ? ORDER BY created_at"
        rows = await asyncio.to_thread(self._query, sql, (run_id,))
        return {str(r[0]): json.loads(r[1]) for r in rows}

    async def aclose(self) -> None:
        if self._writer.closed:
            return
        await self._writer.close()
        self._writer_connection.close()
        self._reader.close()
