"""The environment interface, and tool worlds whose state lives in SQLite.

An environment owns state; its tools act on that state; evaluation compares the state
before and after (``diff``). ``snapshot`` / ``restore`` let tree search put the world
back between branches, which matters because worlds have irreversible actions.
"""

from __future__ import annotations

import abc
import json
import random
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from ..tools import Tool, Toolset
from ._diff import State, StateDiff, diff_states


class ToolError(Exception):
    """What a world tool raises when a call cannot be done: the model sees the message."""


class Environment(abc.ABC):
    """A stateful tool world."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @abc.abstractmethod
    def reset(self, seed: int = 0) -> None:
        """Back to the seeded initial state (the same seed gives the same state)."""

    @property
    @abc.abstractmethod
    def toolset(self) -> Toolset:
        """The tools acting on this world; their snapshot/restore are the world's."""

    @abc.abstractmethod
    def snapshot(self) -> Any: ...

    @abc.abstractmethod
    def restore(self, snapshot: Any) -> None: ...

    @abc.abstractmethod
    def state(self) -> State:
        """Every entity's rows, as plain values."""

    @abc.abstractmethod
    def keys(self) -> dict[str, list[str]]:
        """Each entity's primary-key columns (how rows are matched across states)."""

    def diff(self, before: State, after: State) -> StateDiff:
        return diff_states(before, after, self.keys())

    def close(self) -> None:  # noqa: B027 - optional hook
        """Free what the world holds."""


class _WorldToolset(Toolset):
    def __init__(self, env: Environment, tools: list[Tool]) -> None:
        super().__init__(tools)
        self._env = env

    def snapshot(self) -> Any:
        return self._env.snapshot()

    def restore(self, state: Any) -> None:
        self._env.restore(state)


def world_tool(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method of a ``SQLiteWorld`` as one of its tools (docstring = description)."""
    function.__rollyard_world_tool__ = True  # type: ignore[attr-defined]
    return function


class SQLiteWorld(Environment):
    """A world whose whole state is one in-memory SQLite database.

    Subclasses give ``schema`` (DDL), ``seed_rows`` (the seeded rows) and methods marked
    ``@world_tool``. Tools run in worker threads, so the connection is shared behind a lock.
    JSON-valued columns are declared with type ``JSON`` and come back decoded in ``state``.
    """

    schema: ClassVar[str]

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        self._keys: dict[str, list[str]] = {}
        self._json_columns: dict[str, set[str]] = {}
        self._toolset: Toolset | None = None
        self.seed = seed
        self.reset(seed)

    # ---- subclass hooks ----

    @abc.abstractmethod
    def seed_rows(self, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
        """Rows per table for this seed, inserted in the order given."""

    # ---- Environment ----

    def reset(self, seed: int = 0) -> None:
        self.seed = seed
        with self._lock:
            tables = [r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            self._db.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                self._db.execute(f'DROP TABLE "{table}"')
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(self.schema)
            self._read_layout()
            with self.transaction() as db:
                for table, rows in self.seed_rows(random.Random(seed)).items():
                    for row in rows:
                        self._insert(db, table, row)

    @property
    def toolset(self) -> Toolset:
        if self._toolset is None:
            # Class attributes, not getmembers: that would evaluate this very property.
            names = [
                name
                for klass in reversed(type(self).__mro__)
                for name, value in vars(klass).items()
                if getattr(value, "__rollyard_world_tool__", False)
            ]
            tools = [Tool.from_function(getattr(self, name), timeout_s=10.0) for name in dict.fromkeys(names)]
            self._toolset = _WorldToolset(self, tools)
        return self._toolset

    def snapshot(self) -> bytes:
        with self._lock:
            return self._db.serialize()

    def restore(self, snapshot: Any) -> None:
        if not isinstance(snapshot, bytes):
            raise TypeError("a SQLite world restores from the bytes its snapshot() returned")
        with self._lock:
            self._db.deserialize(snapshot)
            self._db.execute("PRAGMA foreign_keys = ON")

    def state(self) -> State:
        with self._lock:
            state: State = {}
            for table, key in self._keys.items():
                order = ", ".join(f'"{c}"' for c in key) or "rowid"
                rows = self._db.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
                state[table] = [self._decode(table, dict(row)) for row in rows]
            return state

    def keys(self) -> dict[str, list[str]]:
        return {table: list(key) for table, key in self._keys.items()}

    def close(self) -> None:
        self._db.close()

    # ---- helpers for tools ----

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: a tool that fails halfway leaves no partial state."""
        with self._lock:
            if self._db.in_transaction:  # nested: the outer transaction decides
                yield self._db
                return
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        table = self._table_of(sql)
        return [self._decode(table, dict(r)) if table else dict(r) for r in rows]

    def one(self, sql: str, *params: Any, missing: str) -> dict[str, Any]:
        """The single row ``sql`` selects, or a ``ToolError`` saying ``missing``."""
        rows = self.query(sql, *params)
        if not rows:
            raise ToolError(missing)
        return rows[0]

    def insert(self, table: str, row: dict[str, Any]) -> int:
        with self.transaction() as db:
            return self._insert(db, table, row)

    def _insert(self, db: sqlite3.Connection, table: str, row: dict[str, Any]) -> int:
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        values = [self._encode(table, c, v) for c, v in row.items()]
        cursor = db.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)
        return int(cursor.lastrowid or 0)

    def update(self, db: sqlite3.Connection, table: str, key: dict[str, Any], changes: dict[str, Any]) -> None:
        sets = ", ".join(f'"{c}" = ?' for c in changes)
        where = " AND ".join(f'"{c}" = ?' for c in key)
        values = [self._encode(table, c, v) for c, v in changes.items()] + list(key.values())
        db.execute(f'UPDATE "{table}" SET {sets} WHERE {where}', values)

    # ---- layout ----

    def _read_layout(self) -> None:
        self._keys.clear()
        self._json_columns.clear()
        tables = [r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            if table.startswith("sqlite_"):
                continue
            info = self._db.execute(f'PRAGMA table_info("{table}")').fetchall()
            pk = sorted((r["pk"], r["name"]) for r in info if r["pk"])
            self._keys[table] = [name for _, name in pk]
            self._json_columns[table] = {r["name"] for r in info if str(r["type"]).upper() == "JSON"}

    def _table_of(self, sql: str) -> str | None:
        words = sql.replace('"', " ").split()
        lowered = [w.lower() for w in words]
        if "from" in lowered:
            name = words[lowered.index("from") + 1]
            return name if name in self._keys else None
        return None

    def _encode(self, table: str, column: str, value: Any) -> Any:
        if column in self._json_columns.get(table, ()):
            return json.dumps(value)
        return value

    def _decode(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        for column in self._json_columns.get(table, ()):
            if isinstance(row.get(column), str):
                row[column] = json.loads(row[column])
        return row
