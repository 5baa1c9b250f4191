"""State as plain rows per entity, and the diff between two states.

The diff shape is Agent-Diff's (``inserts`` / ``updates`` with before and after /
``deletes``, each row naming its entity in ``__table__``), so contracts written for its
published suites read our diffs unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]
State = dict[str, list[Row]]
"""Entity (table) name -> its rows, each a plain dict of column values."""

TABLE_KEY = "__table__"


@dataclass(frozen=True)
class StateDiff:
    inserts: list[Row] = field(default_factory=list)
    updates: list[dict[str, Row]] = field(default_factory=list)
    """Each ``{"before": row, "after": row}``."""
    deletes: list[Row] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.updates or self.deletes)

    def to_dict(self) -> dict[str, Any]:
        return {"inserts": self.inserts, "updates": self.updates, "deletes": self.deletes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StateDiff:
        return cls(list(data.get("inserts", [])), list(data.get("updates", [])), list(data.get("deletes", [])))

    def summary(self) -> str:
        """``messages +2, orders ~1, carts -1``: a one-line account of what changed."""
        counts: dict[str, list[int]] = {}
        for index, rows in enumerate((self.inserts, [u["after"] for u in self.updates], self.deletes)):
            for row in rows:
                counts.setdefault(str(row.get(TABLE_KEY, "?")), [0, 0, 0])[index] += 1
        parts = []
        for entity, (added, changed, removed) in sorted(counts.items()):
            marks = [f"+{added}" if added else "", f"~{changed}" if changed else "", f"-{removed}" if removed else ""]
            parts.append(f"{entity} {' '.join(m for m in marks if m)}")
        return ", ".join(parts) or "no change"


def diff_states(before: State, after: State, keys: Mapping[str, Sequence[str]]) -> StateDiff:
    """Rows matched by primary key (``keys[entity]``; the whole row when an entity has none)."""
    inserts: list[Row] = []
    updates: list[dict[str, Row]] = []
    deletes: list[Row] = []
    for entity in sorted(set(before) | set(after)):
        key_columns = list(keys.get(entity, ()))

        def key_of(row: Row, columns: list[str] = key_columns) -> tuple[Any, ...]:
            if columns:
                return tuple(row.get(c) for c in columns)
            return tuple(sorted((k, repr(v)) for k, v in row.items()))

        old = {key_of(row): row for row in before.get(entity, [])}
        new = {key_of(row): row for row in after.get(entity, [])}
        for key, row in new.items():
            if key not in old:
                inserts.append({TABLE_KEY: entity, **row})
            elif old[key] != row:
                updates.append({"before": {TABLE_KEY: entity, **old[key]}, "after": {TABLE_KEY: entity, **row}})
        deletes.extend({TABLE_KEY: entity, **row} for key, row in old.items() if key not in new)
    return StateDiff(inserts, updates, deletes)
