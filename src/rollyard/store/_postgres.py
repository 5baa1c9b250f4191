"""Postgres store (``postgresql://...``): the same table and group commit as SQLite,
through psycopg 3."""

from __future__ import annotations

from typing import Any

from ._records import CallRecord
from ._schema import MIGRATIONS, row_values
from ._sql import SQLCallStore


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


class PostgresStore(SQLCallStore):
    """Call records in a Postgres database."""

    placeholder = "%s"

    def __init__(self, url: str) -> None:
        self.url = url
        writer = _connect(url)
        migrate(writer)
        reader = _connect(url)
        reader.autocommit = True
        self._start(writer, reader, "rollyard-postgres-writer")

    def _commit(self, records: list[CallRecord]) -> None:
        with self._writer_connection.transaction(), self._writer_connection.cursor() as cursor:
            cursor.executemany(self._insert_sql(), [row_values(r) for r in records])
