"""State-diff contracts: what an episode must have changed in its world, and nothing else.

A contract is a list of assertions over a diff of Agent-Diff's shape (``inserts``, ``updates``
with ``before``/``after``, ``deletes``; each row names its entity in ``__table__``), written in
Agent-Diff's evaluation DSL so its published suites check the same way here::

    {"strict": true, "closed_world": true,
     "ignore_fields": {"global": ["updated_at"]},
     "assertions": [
        {"diff_type": "added", "entity": "messages",
         "where": {"channel_id": 3, "text": {"contains": "hello"}}, "expected_count": 1},
        {"diff_type": "changed", "entity": "orders", "where": {"id": 7},
         "expected_changes": {"status": {"from": "new", "to": {"in": ["shipped", "done"]}}}}]}

``closed_world`` is ours: every change in the diff must then be accounted for by an assertion.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import yaml

from ._predicates import (
    Change,
    ContractError,
    DiffError,
    ValuePredicate,
    Where,
    WhereAll,
    changed_paths,
    get_path,
    is_within,
    listing,
    parse_predicate,
    parse_where,
    read_diff,
    show,
)
from ._yaml import load_yaml

__all__ = [
    "Assertion",
    "AssertionResult",
    "ChangeSpec",
    "Contract",
    "ContractError",
    "CountSpec",
    "DiffError",
    "DiffType",
    "Verdict",
    "check_contract",
    "load_mapping",
]

DiffType: TypeAlias = Literal["added", "removed", "changed", "unchanged"]
_DIFF_TYPES: Final[tuple[DiffType, ...]] = ("added", "removed", "changed", "unchanged")
_DIFF_TYPE_ALIASES: Final = {"deleted": "removed"}  # Agent-Diff's published Slack suite writes "deleted"
_INFO_KEYS: Final = ("version", "scenario", "task", "description")
_ASSERTION_KEYS: Final = ("diff_type", "entity", "where", "expected_count", "expected_changes", "strict", "ignore")
_ASSERTION_EXTRA_KEYS: Final = ("ignore_fields", "description")  # ignore_fields: newer Agent-Diff's spelling of ignore
_CLOSED_WORLD: Final = "closed world: every change is accounted for by an assertion"


@dataclass(frozen=True)
class CountSpec:
    """How many rows an assertion expects: exactly ``exact``, or within ``min``..``max``."""

    exact: int | None = None
    min: int | None = None
    max: int | None = None

    def allows(self, count: int) -> bool:
        if self.exact is not None:
            return count == self.exact
        return (self.min is None or count >= self.min) and (self.max is None or count <= self.max)

    def describe(self) -> str:
        """``1``, ``at least 1``, ``at most 2``, ``between 1 and 3``."""
        if self.exact is not None:
            return str(self.exact)
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        return f"at least {self.min}" if self.min is not None else f"at most {self.max}"


_AT_LEAST_ONE: Final = CountSpec(min=1)
_NO_ROWS: Final = CountSpec(exact=0)


@dataclass(frozen=True)
class ChangeSpec:
    """One entry of ``expected_changes``: the field must change, from and to values these predicates accept."""

    field: str
    before: ValuePredicate | None = None
    """The ``from`` predicate, on the value before."""
    after: ValuePredicate | None = None
    """The ``to`` predicate, on the value after."""

    def describe(self) -> str:
        sides = [f"{name} {p.describe('')}" for name, p in (("from", self.before), ("to", self.after)) if p is not None]
        return " ".join([self.field, *sides]) if sides else f"{self.field} changed"


@dataclass(frozen=True)
class Assertion:
    """One expectation about the diff: rows of ``entity`` of one kind of change, matching ``where``."""

    diff_type: DiffType
    entity: str
    where: Where = field(default_factory=WhereAll)
    expected_count: CountSpec | None = None
    """``None``: at least one row (``added``/``removed``/``changed``), none (``unchanged``)."""
    expected_changes: tuple[ChangeSpec, ...] = ()
    strict: bool | None = None
    """``None``: the contract's ``strict``."""
    ignore: frozenset[str] = frozenset()
    """Fields this assertion alone ignores, on top of the contract's ``ignore_fields``."""
    description: str | None = None

    @property
    def count(self) -> CountSpec:
        """The count in force, defaults applied."""
        if self.expected_count is not None:
            return self.expected_count
        return _NO_ROWS if self.diff_type == "unchanged" else _AT_LEAST_ONE

    def where_text(self) -> str:
        """`` where channel_id eq 3``, or nothing for an assertion on every row."""
        text = self.where.describe()
        return f" where {text}" if text else ""

    def summary(self) -> str:
        """``added messages where channel_id eq 3``: the assertion in one line."""
        changes = "; ".join(change.describe() for change in self.expected_changes)
        return f"{self.diff_type} {self.entity}{self.where_text()}" + (f" with {changes}" if changes else "")


@dataclass(frozen=True)
class Contract:
    """A parsed, validated contract. Build it with :meth:`from_dict` or :meth:`load`."""

    assertions: tuple[Assertion, ...]
    strict: bool = False
    """``changed`` assertions allow only the fields in their ``expected_changes`` to change."""
    closed_world: bool = False
    """Every insert, non-ignored update and delete must be matched by some assertion."""
    ignore_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """``"global"`` and entity names -> fields left out of change detection."""
    info: Mapping[str, str] = field(default_factory=dict)
    """Informational keys kept as given: ``version``, ``scenario``, ``task``, ``description``."""

    def ignored(self, entity: str, extra: frozenset[str] = frozenset()) -> frozenset[str]:
        """The fields ignored for ``entity``: global, the entity's own, and ``extra``."""
        return self.ignore_fields.get("global", frozenset()) | self.ignore_fields.get(entity, frozenset()) | extra

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contract:
        """Validate a contract's plain form; :class:`ContractError` names the first bad field."""
        if not isinstance(data, Mapping):
            raise ContractError("", f"a contract is a mapping with an 'assertions' list, got {type(data).__name__}")
        unknown = sorted(str(k) for k in data if k not in {"strict", "closed_world", "ignore_fields", "assertions"})
        for key in unknown:
            if key == "aggregates":
                raise ContractError(key, "aggregates are not supported; express them as expected_count ranges")
            if key not in _INFO_KEYS:
                raise ContractError(key, "unknown field (expected strict, closed_world, ignore_fields, assertions)")
            if isinstance(data[key], bool) or not isinstance(data[key], str | int | float):
                raise ContractError(key, "expected a string")
        if "assertions" not in data:
            raise ContractError("assertions", "missing (a list of assertions)")
        raw_assertions = data["assertions"]
        if not isinstance(raw_assertions, list):
            raise ContractError("assertions", "expected a list of assertions")
        contract = cls(
            assertions=(),
            strict=_bool(data, "strict", "strict", False),
            closed_world=_bool(data, "closed_world", "closed_world", False),
            ignore_fields=_ignore_fields(data.get("ignore_fields")),
            info={key: str(data[key]) for key in _INFO_KEYS if key in data},
        )
        assertions = tuple(_assertion(raw, f"assertions[{i}]", contract) for i, raw in enumerate(raw_assertions))
        return replace(contract, assertions=assertions)

    @classmethod
    def load(cls, path: str | Path) -> Contract:
        """Read a contract from a ``.json``, ``.yaml`` or ``.yml`` file."""
        return cls.from_dict(load_mapping(path, "contract"))


def load_mapping(path: str | Path, what: str) -> Mapping[str, Any]:
    """A JSON or YAML file holding one mapping; :class:`ContractError` when it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise ContractError("", f"cannot read {what} {path}: expected a .json, .yaml or .yml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError("", f"cannot read {what} {path}: {exc}") from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ContractError("", f"{what} {path} is not valid JSON: {exc}") from None
    else:
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            raise ContractError("", f"{what} {path} is not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise ContractError("", f"{what} {path} must hold a mapping, got {type(data).__name__}")
    return data


def _assertion(raw: Any, path: str, contract: Contract) -> Assertion:
    if not isinstance(raw, Mapping):
        raise ContractError(path, "an assertion is a mapping with diff_type and entity")
    for key in raw:
        if key not in _ASSERTION_KEYS and key not in _ASSERTION_EXTRA_KEYS:
            known = ", ".join(_ASSERTION_KEYS)
            raise ContractError(f"{path}.{key}", f"unknown field (expected one of {known}, description)")
    kind = _diff_type(raw.get("diff_type"), f"{path}.diff_type")
    entity = raw.get("entity")
    if not isinstance(entity, str) or not entity:
        raise ContractError(f"{path}.entity", "expected the entity (table) name as a non-empty string")
    strict: bool | None = None
    if "strict" in raw:
        strict = _bool(raw, "strict", f"{path}.strict", False)
        if kind != "changed":
            # Agent-Diff's strict restricts which fields a changed row may change; elsewhere it means nothing.
            raise ContractError(f"{path}.strict", f"strict applies to diff_type 'changed' only, not {kind!r}")
    ignore = _field_list(raw.get("ignore"), f"{path}.ignore") | _field_list(
        raw.get("ignore_fields"), f"{path}.ignore_fields"
    )
    changes: tuple[ChangeSpec, ...] = ()
    if "expected_changes" in raw:
        if kind != "changed":
            raise ContractError(f"{path}.expected_changes", f"applies to diff_type 'changed' only, not {kind!r}")
        changes = _changes(raw["expected_changes"], f"{path}.expected_changes", contract.ignored(entity, ignore))
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise ContractError(f"{path}.description", "expected a string")
    return Assertion(
        diff_type=kind,
        entity=entity,
        where=parse_where(raw.get("where"), f"{path}.where"),
        expected_count=_count(raw["expected_count"], f"{path}.expected_count") if "expected_count" in raw else None,
        expected_changes=changes,
        strict=strict,
        ignore=ignore,
        description=description,
    )


def _diff_type(raw: Any, path: str) -> DiffType:
    name = _DIFF_TYPE_ALIASES.get(raw, raw) if isinstance(raw, str) else raw
    for kind in _DIFF_TYPES:
        if name == kind:
            return kind
    raise ContractError(path, f"expected one of {', '.join(_DIFF_TYPES)}, got {raw!r}")


def _changes(raw: Any, path: str, ignored: frozenset[str]) -> tuple[ChangeSpec, ...]:
    if not isinstance(raw, Mapping):
        raise ContractError(path, 'expected a mapping of field -> {"from": predicate, "to": predicate}')
    changes = []
    for name, spec in raw.items():
        here = f"{path}.{name}"
        if not isinstance(name, str) or not name:
            raise ContractError(path, f"field names are non-empty strings, got {name!r}")
        if is_within(name, ignored):
            raise ContractError(here, "this field is ignored (ignore_fields or ignore): no change of it is seen")
        if not isinstance(spec, Mapping):  # a bare value: the value it must change to
            changes.append(ChangeSpec(name, after=parse_predicate(spec, f"{here}.to")))
            continue
        for key in set(spec) - {"from", "to"}:
            hint = 'write {"to": {"eq": ...}} to test the new value'
            raise ContractError(f"{here}.{key}", f'expected only "from" and "to" here; {hint}')
        before = parse_predicate(spec["from"], f"{here}.from") if "from" in spec else None
        after = parse_predicate(spec["to"], f"{here}.to") if "to" in spec else None
        changes.append(ChangeSpec(name, before, after))
    return tuple(changes)


def _count(raw: Any, path: str) -> CountSpec:
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            raise ContractError(path, f"expected a count of 0 or more, got {raw}")
        return CountSpec(exact=raw)
    if not isinstance(raw, Mapping) or not raw or set(raw) - {"min", "max"}:
        raise ContractError(path, 'expected an integer or {"min": n, "max": m} (either or both)')
    bounds: dict[str, int] = {}
    for key, value in raw.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ContractError(f"{path}.{key}", f"expected an integer of 0 or more, got {value!r}")
        bounds[key] = value
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        raise ContractError(path, f"min {bounds['min']} is greater than max {bounds['max']}")
    return CountSpec(min=bounds.get("min"), max=bounds.get("max"))


def _ignore_fields(raw: Any) -> dict[str, frozenset[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ContractError("ignore_fields", 'expected a mapping: {"global": [...], "<entity>": [...]}')
    return {str(key): _field_list(value, f"ignore_fields.{key}") for key, value in raw.items()}


def _field_list(raw: Any, path: str) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list | tuple):
        raise ContractError(path, "expected a list of field names")
    for i, name in enumerate(raw):
        if not isinstance(name, str) or not name:
            raise ContractError(f"{path}[{i}]", f"expected a non-empty field name, got {name!r}")
    return frozenset(raw)


def _bool(data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ContractError(path, f"expected true or false, got {value!r}")
    return value


# --- checking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssertionResult:
    """How one assertion fared against a diff."""

    index: int
    """Position in the contract's ``assertions`` (from 0, as in ``assertions[2]``)."""
    description: str
    """The assertion's ``description``, or its one-line summary."""
    passed: bool
    reason: str
    """Why it failed, naming what was expected and what was found; what was found when it passed."""
    matched: int
    """Rows that satisfied it (for ``unchanged``: rows that changed against it)."""
    entity: str = ""
    diff_type: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    """A contract checked against a diff."""

    passed: bool
    """Every assertion passed, and the closed world held when the contract asked for it."""
    score: float
    """Fraction of checks that passed: the assertions, plus one for the closed world when enabled."""
    results: list[AssertionResult]
    unexplained: list[str] = field(default_factory=list)
    """Closed world: each change no assertion accounts for, as ``added messages id=5 (...)``."""
    closed_world: bool = False

    @property
    def failures(self) -> list[dict[str, Any]]:
        """One dict per failed check: ``assertion`` (its index, or ``"closed_world"``), ``description``, ``reason``."""
        failed: list[dict[str, Any]] = [
            {"assertion": r.index, "description": r.description, "entity": r.entity, "diff_type": r.diff_type}
            | {"reason": r.reason}
            for r in self.results
            if not r.passed
        ]
        if self.unexplained:
            many = "s" if len(self.unexplained) != 1 else ""
            reason = f"{len(self.unexplained)} unexplained change{many}: " + "; ".join(self.unexplained)
            failed.append({"assertion": "closed_world", "description": _CLOSED_WORLD, "reason": reason})
        return failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "score": self.score,
            "failures": self.failures,
            "assertions": [r.to_dict() for r in self.results],
            "unexplained": list(self.unexplained),
        }


def check_contract(contract: Contract | Mapping[str, Any], diff: Mapping[str, Any]) -> Verdict:
    """Check a diff (``{"inserts", "updates", "deletes"}``) against a contract.

    Raises :class:`ContractError` for a malformed contract and :class:`DiffError` for a diff
    that is not of Agent-Diff's shape; a contract that simply fails is a failing verdict.
    """
    spec = contract if isinstance(contract, Contract) else Contract.from_dict(contract)
    changes = read_diff(diff)
    explained: set[int] = set()
    results = [_evaluate(i, a, spec, changes, explained) for i, a in enumerate(spec.assertions)]
    unexplained: list[str] = []
    if spec.closed_world:
        for change in changes:
            paths = changed_paths(change.before, change.after, spec.ignored(change.entity))
            if change.ident not in explained and (change.kind != "changed" or paths):
                unexplained.append(change.describe(paths))
    checks = len(results) + spec.closed_world
    passed = sum(r.passed for r in results) + (spec.closed_world and not unexplained)
    return Verdict(passed == checks, passed / checks if checks else 1.0, results, unexplained, spec.closed_world)


def _evaluate(index: int, a: Assertion, spec: Contract, changes: list[Change], explained: set[int]) -> AssertionResult:
    def result(passed: bool, reason: str, matched: int) -> AssertionResult:
        return AssertionResult(index, a.description or a.summary(), passed, reason, matched, a.entity, a.diff_type)

    ignored = spec.ignored(a.entity, a.ignore)
    pool = [c for c in changes if c.entity == a.entity]

    def hits(c: Change) -> bool:  # an update is the assertion's when its row before or after matches
        return a.where.matches(c.after) or a.where.matches(c.before) if c.kind == "changed" else a.where.matches(c.row)

    if a.diff_type == "unchanged":
        touched = [c for c in pool if hits(c) and (c.kind != "changed" or changed_paths(c.before, c.after, ignored))]
        if a.expected_count is None:
            expected = f"no change to {a.entity}{a.where_text()}"
        else:
            expected = f"{a.count.describe()} {_rows(a.count)} of {a.entity}{a.where_text()} added, changed or removed"
        found = f"found {len(touched)}" + (
            ": " + listing([f"{c.kind} {c.label()}" for c in touched]) if touched else ""
        )
        ok = a.count.allows(len(touched))
        return result(ok, found if ok else f"expected {expected}, {found}", len(touched))

    kind = a.diff_type
    candidates = [c for c in pool if c.kind == kind and hits(c)]
    matched: list[Change] = []
    misses: list[str] = []
    not_allowed: dict[str, None] = {}  # ordered set of fields strict forbids
    strict_rows: list[str] = []
    allowed = frozenset(change.field for change in a.expected_changes)
    strict = a.strict if a.strict is not None else spec.strict
    for c in candidates:
        if kind != "changed":
            matched.append(c)
            continue
        paths = changed_paths(c.before, c.after, ignored)
        if not paths:
            continue  # only ignored fields changed: no change at all
        extra = [p for p in paths if not is_within(p, allowed)] if strict else []
        if extra:
            not_allowed.update(dict.fromkeys(extra))
            strict_rows.append(c.label())
            continue
        miss = _missed_change(a, c)
        if miss is None:
            matched.append(c)
        else:
            misses.append(f"{c.label()}: {miss}")
    explained.update(c.ident for c in matched)

    reasons: list[str] = []
    if not_allowed:
        reasons.append(
            f"changed rows in {a.entity} changed fields not allowed by strict: {', '.join(not_allowed)} "
            f"(allowed: {', '.join(sorted(allowed)) or 'none'}; rows: {listing(strict_rows)})"
        )
    changes_text = " with " + "; ".join(c.describe() for c in a.expected_changes) if a.expected_changes else ""
    what = f"{kind} {_rows(a.count)} in {a.entity}{a.where_text()}{changes_text}"
    count_ok = a.count.allows(len(matched))
    if not count_ok:
        reason = f"expected {a.count.describe()} {what}, found {len(matched)}"
        most = a.count.exact if a.count.exact is not None else a.count.max
        taken = {c.ident for c in candidates}
        others = [c.label() for c in pool if c.kind == kind and c.ident not in taken]
        if most is not None and len(matched) > most:
            reason += ": " + listing([c.label() for c in matched])
        elif misses:
            reason += "; " + listing(misses)
        elif others:
            reason += f"; {len(others)} other {kind} {'row' if len(others) == 1 else 'rows'} in {a.entity}: "
            reason += listing(others)
        elif not strict_rows and not matched:
            reason += f"; the diff has no {kind} rows in {a.entity}"
        reasons.append(reason)
    if reasons:
        return result(False, "; ".join(reasons), len(matched))
    return result(True, f"found {len(matched)} {kind} {'row' if len(matched) == 1 else 'rows'}", len(matched))


def _missed_change(a: Assertion, c: Change) -> str | None:
    """Why an update fails the assertion's expected changes, or ``None`` when it satisfies them."""
    for change in a.expected_changes:
        old, new = get_path(c.before, change.field), get_path(c.after, change.field)
        if old == new:
            return f"{change.field} did not change (still {show(old, 40)})"
        if change.before is not None and not change.before.matches(old):
            return f"{change.field} changed from {show(old, 40)}, expected from {change.before.describe('')}"
        if change.after is not None and not change.after.matches(new):
            return f"{change.field} changed to {show(new, 40)}, expected to {change.after.describe('')}"
    return None


def _rows(count: CountSpec) -> str:
    last = count.exact if count.exact is not None else (count.max if count.max is not None else count.min)
    return "row" if last == 1 else "rows"
