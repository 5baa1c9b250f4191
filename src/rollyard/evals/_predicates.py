"""Rows and what a contract can say about one: predicates, where-clauses, field paths, diff entries.

Everything here works on a single row or value; ``_contracts`` builds assertions over many.

The operators and their treatment of odd values follow Agent-Diff's evaluation DSL, so its
published suites mean the same thing here:

- string operators (``contains``, ``starts_with``, ``regex``, ...) are false on a value that is
  not a string, except the ``contains`` family, which reads a JSON object or array as its compact
  JSON text;
- ordering operators (``gt`` ...) are false when the two values cannot be ordered (``None``, a
  number against a string);
- a missing field reads as ``None``: ``exists`` and ``is_null`` cannot tell the two apart;
- dates and datetimes compare as their ISO strings.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal, TypeAlias

TABLE_KEY: Final = "__table__"
"""The field of a diff row that names its entity."""


class ContractError(ValueError):
    """A contract that cannot be checked. ``path`` names the bad field: ``assertions[2].where.status``."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        """Where in the contract the problem is (empty for the contract as a whole)."""
        self.problem = problem
        """What is wrong there."""
        super().__init__(f"{path}: {problem}" if path else problem)


_ALIASES: Final[Mapping[str, str]] = {"neq": "ne", "not_eq": "ne"}
_ANY_OPERAND: Final = frozenset({"eq", "ne"})
_LIST_OPERAND: Final = frozenset({"in", "not_in", "has_any", "has_all"})
_TEXT_OPERAND: Final = frozenset(
    {"contains", "not_contains", "i_contains", "starts_with", "ends_with", "i_starts_with", "i_ends_with", "regex"}
)
_ORDER_OPERAND: Final = frozenset({"gt", "gte", "lt", "lte"})
_BOOL_OPERAND: Final = frozenset({"exists", "is_null", "not_null"})
OPERATORS: Final[frozenset[str]] = (
    _ANY_OPERAND | _LIST_OPERAND | _TEXT_OPERAND | _ORDER_OPERAND | _BOOL_OPERAND | frozenset(_ALIASES)
)
"""Every operator name a predicate may use (``and`` / ``or`` combine predicates)."""


@dataclass(frozen=True)
class Comparison:
    """One operator applied to a value: ``{"gte": 3}``."""

    op: str
    """Canonical operator name (``neq`` and ``not_eq`` are stored as ``ne``)."""
    operand: Any

    def matches(self, value: Any) -> bool:
        return _apply(self.op, self.operand, value)

    def describe(self, subject: str) -> str:
        return f"{subject} {self.op} {show(self.operand)}".lstrip()


@dataclass(frozen=True)
class AllOf:
    """Every part holds (several operators in one mapping, or ``{"and": [...]}``)."""

    parts: tuple[ValuePredicate, ...]

    def matches(self, value: Any) -> bool:
        return all(part.matches(value) for part in self.parts)

    def describe(self, subject: str) -> str:
        if not self.parts:
            return f"{subject} is any value"
        return " and ".join(part.describe(subject) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds (``{"or": [...]}``)."""

    parts: tuple[ValuePredicate, ...]

    def matches(self, value: Any) -> bool:
        return any(part.matches(value) for part in self.parts)

    def describe(self, subject: str) -> str:
        return "(" + " or ".join(part.describe(subject) for part in self.parts) + ")"


ValuePredicate: TypeAlias = Comparison | AllOf | AnyOf


@dataclass(frozen=True)
class FieldMatch:
    """A predicate on the value at a (dotted) field path of a row."""

    path: str
    predicate: ValuePredicate

    def matches(self, row: Mapping[str, Any]) -> bool:
        return self.predicate.matches(get_path(row, self.path))

    def describe(self) -> str:
        return self.predicate.describe(self.path)


@dataclass(frozen=True)
class WhereAll:
    """Every clause holds; the empty clause matches every row."""

    parts: tuple[Where, ...] = ()

    def matches(self, row: Mapping[str, Any]) -> bool:
        return all(part.matches(row) for part in self.parts)

    def describe(self) -> str:
        return " and ".join(part.describe() for part in self.parts)


@dataclass(frozen=True)
class WhereAny:
    """At least one clause holds."""

    parts: tuple[Where, ...]

    def matches(self, row: Mapping[str, Any]) -> bool:
        return any(part.matches(row) for part in self.parts)

    def describe(self) -> str:
        return "(" + " or ".join(part.describe() for part in self.parts) + ")"


Where: TypeAlias = FieldMatch | WhereAll | WhereAny


def parse_predicate(raw: Any, path: str) -> ValuePredicate:
    """A predicate from its contract form: ``{"op": operand, ...}``, or a bare value meaning ``eq``."""
    if not isinstance(raw, Mapping):
        return Comparison("eq", raw)
    parts: list[ValuePredicate] = []
    for key, operand in raw.items():
        op = str(key)
        if op in ("and", "or"):
            items = _non_empty_list(operand, f"{path}.{op}", "predicates")
            subs = tuple(parse_predicate(item, f"{path}.{op}[{i}]") for i, item in enumerate(items))
            parts.append(AllOf(subs) if op == "and" else AnyOf(subs))
            continue
        if op not in OPERATORS:
            raise ContractError(path, f"unknown operator {op!r}{_suggest(op)}")
        canonical = _ALIASES.get(op, op)
        _check_operand(canonical, operand, f"{path}.{op}")
        parts.append(Comparison(canonical, operand))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def parse_where(raw: Any, path: str) -> Where:
    """A where-clause: ``{field: predicate, ..., "and": [clause, ...], "or": [clause, ...]}``."""
    if raw is None:
        return WhereAll()
    if not isinstance(raw, Mapping):
        raise ContractError(path, f"expected a mapping of field -> predicate, got {_kind(raw)}")
    parts: list[Where] = []
    for key, value in raw.items():
        if not isinstance(key, str) or not key:
            raise ContractError(path, f"field names are non-empty strings, got {key!r}")
        if key in ("and", "or"):
            items = _non_empty_list(value, f"{path}.{key}", "where-clauses")
            subs = tuple(parse_where(item, f"{path}.{key}[{i}]") for i, item in enumerate(items))
            parts.append(WhereAll(subs) if key == "and" else WhereAny(subs))
            continue
        parts.append(FieldMatch(key, parse_predicate(value, f"{path}.{key}")))
    return parts[0] if len(parts) == 1 else WhereAll(tuple(parts))


def get_path(row: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``user.id``, ``items.0.sku``), or ``None`` when it is missing.

    A column literally named with a dot wins over descending. JSON text met on the way down is
    decoded, since stores often keep JSON columns as strings.
    """
    if path in row:
        return row[path]
    current: Any = row
    for part in path.split("."):
        if isinstance(current, str) and current.startswith(("{", "[")):
            try:
                current = json.loads(current)
            except ValueError:
                return None
        if isinstance(current, Mapping):
            if part not in current:
                return None
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def is_within(path: str, fields: frozenset[str]) -> bool:
    """Whether ``path`` is one of ``fields`` or lies under one (``meta`` covers ``meta.etag``)."""
    return any(path == name or path.startswith(name + ".") for name in fields)


def changed_paths(before: Mapping[str, Any], after: Mapping[str, Any], ignored: frozenset[str]) -> list[str]:
    """The field paths whose values differ, leaving out ignored ones and the ``__table__`` tag.

    Nested mappings are compared field by field, so ``meta.status`` is named rather than
    ``meta``; a field missing on one side reads as ``None``.
    """
    found: list[str] = []

    def walk(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> None:
        for key in [*old, *(k for k in new if k not in old)]:
            path = f"{prefix}{key}"
            if (not prefix and key == TABLE_KEY) or is_within(path, ignored):
                continue
            was, now = old.get(key), new.get(key)
            if was == now:
                continue
            if isinstance(was, Mapping) and isinstance(now, Mapping):
                walk(was, now, path + ".")
            else:
                found.append(path)

    walk(before, after, "")
    return found


def show(value: Any, limit: int = 60) -> str:
    """A value as it reads in a reason: JSON, cut at ``limit`` characters."""
    text = json.dumps(_normalize(value), ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_operand(op: str, operand: Any, path: str) -> None:
    if op in _LIST_OPERAND and not isinstance(operand, list | tuple):
        raise ContractError(path, f"expects a list, got {_kind(operand)}")
    if op in _TEXT_OPERAND:
        if not isinstance(operand, str):
            raise ContractError(path, f"expects a string, got {_kind(operand)}")
        if op == "regex":
            try:
                re.compile(operand)
            except re.error as exc:
                raise ContractError(path, f"invalid regular expression: {exc}") from None
    if op in _ORDER_OPERAND and (isinstance(operand, bool) or not isinstance(operand, int | float | str | date)):
        raise ContractError(path, f"expects a number or a string, got {_kind(operand)}")
    if op in _BOOL_OPERAND and not isinstance(operand, bool):
        raise ContractError(path, f"expects true or false, got {_kind(operand)}")


def _apply(op: str, expected: Any, value: Any) -> bool:
    value, expected = _normalize(value), _normalize(expected)
    try:
        match op:
            case "eq":
                return bool(value == expected)
            case "ne":
                return bool(value != expected)
            case "in":
                return value in expected
            case "not_in":
                return value not in expected
            case "has_any":
                return isinstance(value, Sequence) and any(item in value for item in expected)
            case "has_all":
                return isinstance(value, Sequence) and all(item in value for item in expected)
            case "gt":
                return bool(value > expected)
            case "gte":
                return bool(value >= expected)
            case "lt":
                return bool(value < expected)
            case "lte":
                return bool(value <= expected)
            case "exists" | "not_null":
                return (value is not None) is expected
            case "is_null":
                return (value is None) is expected
            case _:
                return _apply_text(op, expected, value)
    except TypeError:
        # Values that cannot be compared or searched (None > 3, 1 in "abc") do not match.
        return False


def _apply_text(op: str, expected: str, value: Any) -> bool:
    if op in ("contains", "not_contains", "i_contains") and isinstance(value, Mapping | list):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    if not isinstance(value, str):
        return False
    match op:
        case "contains":
            return expected in value
        case "not_contains":
            return expected not in value
        case "i_contains":
            return expected.lower() in value.lower()
        case "starts_with":
            return value.startswith(expected)
        case "ends_with":
            return value.endswith(expected)
        case "i_starts_with":
            return value.lower().startswith(expected.lower())
        case "i_ends_with":
            return value.lower().endswith(expected.lower())
        case "regex":
            return re.search(expected, value) is not None
    raise AssertionError(f"unhandled operator {op!r}")  # parse_predicate admits only known operators


def _normalize(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _non_empty_list(value: Any, path: str, what: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple) or not value:
        raise ContractError(path, f"expects a non-empty list of {what}, got {_kind(value)}")
    return value


def _suggest(op: str) -> str:
    close = difflib.get_close_matches(op, sorted(OPERATORS), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "an empty list" if not value else "a list"
    return type(value).__name__


class DiffError(ValueError):
    """A diff not of Agent-Diff's shape; the message says where (``diff.updates[3]: ...``)."""


@dataclass(frozen=True)
class Change:
    """One entry of a diff: an inserted, updated or deleted row of an entity."""

    ident: int
    """Position among all the diff's entries, inserts first, then updates, then deletes."""
    kind: Literal["added", "removed", "changed"]
    entity: str
    before: Mapping[str, Any]
    """The row before (empty for an insert)."""
    after: Mapping[str, Any]
    """The row after (empty for a delete)."""

    @property
    def row(self) -> Mapping[str, Any]:
        """The row that exists: after, except for a delete."""
        return self.before if self.kind == "removed" else self.after

    def label(self) -> str:
        """``id=7``: how the row is named in a reason (its key if it has one, else its first fields)."""
        singular = self.entity[:-1] if self.entity.endswith("s") else self.entity
        for key in ("id", f"{singular}_id", f"{self.entity}_id", "key", "uuid", "name"):
            if key in self.row:
                return f"{key}={show(self.row[key], 40)}"
        fields = [k for k in self.row if k != TABLE_KEY][:3]
        return "{" + ", ".join(f"{k}={show(self.row[k], 30)}" for k in fields) + "}"

    def describe(self, paths: Sequence[str]) -> str:
        """``added messages id=5 (channel_id=3, text="hi")``, ``changed orders id=7: status "a" -> "b"``."""
        label = self.label()
        if self.kind == "changed":
            shown = [f"{p} {show(get_path(self.before, p), 30)} -> {show(get_path(self.after, p), 30)}" for p in paths]
            return f"changed {self.entity} {label}: {listing(shown, 4)}"
        rest = [k for k in self.row if k != TABLE_KEY and not label.startswith(f"{k}=")][:4]
        detail = ", ".join(f"{k}={show(self.row[k], 30)}" for k in rest)
        return f"{self.kind} {self.entity} {label}" + (f" ({detail})" if detail and not label.startswith("{") else "")


def read_diff(diff: Mapping[str, Any]) -> list[Change]:
    """The entries of a diff of Agent-Diff's shape; :class:`DiffError` when it is not one."""
    if not isinstance(diff, Mapping):
        raise DiffError(f"diff: expected a mapping of inserts, updates and deletes, got {type(diff).__name__}")
    for key in diff:
        if key not in ("inserts", "updates", "deletes"):
            raise DiffError(f"diff.{key}: unknown key (a diff has inserts, updates and deletes)")
    changes: list[Change] = []
    kinds: tuple[tuple[str, Literal["added", "removed", "changed"]], ...] = (
        ("inserts", "added"),
        ("updates", "changed"),
        ("deletes", "removed"),
    )
    for key, kind in kinds:
        items = diff.get(key)
        if items is None:
            continue
        if not isinstance(items, list | tuple):
            raise DiffError(f"diff.{key}: expected a list of rows")
        for i, item in enumerate(items):
            where = f"diff.{key}[{i}]"
            if not isinstance(item, Mapping):
                raise DiffError(f"{where}: expected a row (a mapping), got {type(item).__name__}")
            before: Any
            after: Any
            if kind == "changed":
                before, after = item.get("before"), item.get("after")
                if not isinstance(before, Mapping) or not isinstance(after, Mapping):
                    raise DiffError(f"{where}: an update is {{'before': row, 'after': row}}")
                # Agent-Diff tags the update itself; rollyard's StateDiff tags both rows.
                entity = item.get(TABLE_KEY) or after.get(TABLE_KEY) or before.get(TABLE_KEY)
            else:
                before, after = ({}, item) if kind == "added" else (item, {})
                entity = item.get(TABLE_KEY)
            if not isinstance(entity, str) or not entity:
                raise DiffError(f"{where}: the row names no entity in '{TABLE_KEY}'")
            changes.append(Change(len(changes), kind, entity, before, after))
    return changes


def listing(items: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` and ``(+2 more)`` past ``limit``."""
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")
