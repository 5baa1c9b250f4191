"""The store interface and its URL-based factory."""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any

from ._records import CallRecord, SessionSummary


class Store(abc.ABC):
    """Durable storage of ``CallRecord``s. ``append`` returns only once the record is
    committed to disk: the gateway releases a response after that, never before."""

    @abc.abstractmethod
    async def append(self, record: CallRecord) -> None: ...

    @abc.abstractmethod
    async def get(self, call_id: str) -> CallRecord | None: ...

    @abc.abstractmethod
    async def calls(self, session_id: str | None = None, *, limit: int | None = None) -> list[CallRecord]:
        """Records in the order they were written; of one session, or of all."""

    @abc.abstractmethod
    async def sessions(self) -> list[SessionSummary]: ...

    @abc.abstractmethod
    async def count(self) -> int: ...

    @abc.abstractmethod
    async def aclose(self) -> None: ...

    # Evaluation runs (``rollyard eval``): the run's spec and one result per case.

    @abc.abstractmethod
    async def put_eval_run(self, run_id: str, spec: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    async def eval_run(self, run_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def eval_runs(self) -> list[str]:
        """Run ids, oldest first."""

    @abc.abstractmethod
    async def put_eval_result(self, run_id: str, key: str, result: dict[str, Any]) -> None:
        """Durable once it returns (a later ``--resume`` skips ``key``)."""

    @abc.abstractmethod
    async def eval_results(self, run_id: str) -> dict[str, dict[str, Any]]: ...


def default_db_path() -> Path:
    """A file under the user's data dir (``$XDG_DATA_HOME/rollyard/calls.db``)."""
    import os

    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "rollyard" / "calls.db"


def open_store(url: str | None = None) -> Store:
    """``sqlite:///path`` (default: the user data dir) or ``postgresql://...``."""
    from ._sqlite import SQLiteStore

    if url is None:
        return SQLiteStore(default_db_path())
    if url.startswith("sqlite:///"):
        return SQLiteStore(Path(url.removeprefix("sqlite:///")))
    if url.startswith("sqlite://"):
        return SQLiteStore(Path(url.removeprefix("sqlite://")))
    if url.startswith(("postgresql://", "postgres://")):
        from ._postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://...")
