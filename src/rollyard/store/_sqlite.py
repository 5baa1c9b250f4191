"""SQLite store: WAL mode, ``synchronous=FULL``, group commit.

Every ``append`` waits until its record's transaction is committed (so it survives a
kill -9 or power loss); concurrent appends are committed together in one transaction,
which is what keeps recording cheap under load."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ._records import CallRecord
from ._schema import MIGRATIONS, row_values
from ._sql import SQLCallStore


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


class SQLiteStore(SQLCallStore):
    """Call records in one SQLite file."""

    placeholder = "?"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = _connect(self.path)
        migrate(writer)
        self._start(writer, _connect(self.path), "rollyard-sqlite-writer")

    def _commit(self, records: list[CallRecord]) -> None:
        connection = self._writer_connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(self._insert_sql(), [row_values(r) for r in records])
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
