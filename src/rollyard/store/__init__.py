"""Durable ``CallRecord`` storage: SQLite (WAL, group commit) by default, Postgres by URL."""

from ._base import Store, default_db_path, open_store
from ._postgres import PostgresStore
from ._records import ApiDialect, CallRecord, CallStatus, CallTimings, SessionSummary, TokenSourceName, new_call_id
from ._schema import MIGRATIONS
from ._sqlite import SQLiteStore

__all__ = [
    "MIGRATIONS",
    "ApiDialect",
    "CallRecord",
    "CallStatus",
    "CallTimings",
    "PostgresStore",
    "SQLiteStore",
    "SessionSummary",
    "Store",
    "TokenSourceName",
    "default_db_path",
    "new_call_id",
    "open_store",
]
