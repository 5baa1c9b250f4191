"""BFCL's single-turn AST checker, rewritten: does a list of calls match the possible answers?

Semantics follow ``bfcl_eval/eval_checker/ast_eval/ast_checker.py`` (Python): the function
name must match (an API name such as ``math_factorial`` counts as ``math.factorial``); the
function's required parameters must be present; every parameter given must be both in the
function's doc and in the possible answer; each value must be of the documented type (an int
is accepted for a float, not the reverse; a bool is never a number) and among the acceptable
values, with strings compared after BFCL's normalisation (lower-cased; spaces and ``,./-_*^``
removed; ``'`` read as ``"``); a parameter left out must have ``""`` among its acceptable
values. Parallel categories pair each model call with a distinct expected call, in any
order; ``multiple`` categories expect the one right function. ``irrelevance`` cases pass with
no call; ``live_relevance`` cases pass with at least one.

When an expected value's type differs from the documented one (BFCL's "variable" answers,
such as an integer parameter whose answer is a string), a value of the answer's type is
compared to the answers exactly, as BFCL does.

Where we differ from BFCL, on purpose (checked against BFCL's own checker on every case's
reference calls and their mutants, where the verdicts agree but for the last point):

- dicts and lists are checked recursively at every depth, types included, so a float is
  refused for an integer inside a dict or a nested list too (BFCL compares inner values
  with ``==``, where ``22.0 == 22``), and an int is accepted for a float in a list;
- a Python tuple counts as a list for any array parameter (JSON calls never hold tuples);
- parallel calls are paired by a full matching; BFCL pairs greedily, so when one call fits
  several expected calls it can fail a correct order (see ``OVERLAP_QUIRKS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._bfcl_data import AST_CATEGORIES, MULTI_TURN_CATEGORIES, BFCLCase, BFCLCheck

_PUNCTUATION = re.compile(r"[ ,./\-_*^]")

_PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
}
"""BFCL type → Python type. ``any`` (and an absent type) accepts every type."""

_OK = BFCLCheck(True, "ok")


def normalize_string(text: str) -> str:
    """BFCL's string normalisation: so ``"April 1, 2024"`` matches ``"april 1 2024"``."""
    return _PUNCTUATION.sub("", text).lower().replace("'", '"')


def check_calls(case: BFCLCase, calls: Sequence[tuple[str, Mapping[str, Any]]]) -> BFCLCheck:
    """Judge a model's calls on a single-turn case, as BFCL's AST checker would.

    ``calls`` are ``(function name, arguments)`` pairs; names may be API names or BFCL's.
    """
    category = case.category
    if category in MULTI_TURN_CATEGORIES:
        raise ValueError(f"{case.id} is multi-turn: use check_multi_turn")
    if "irrelevance" in category:
        if calls:
            names = ", ".join(name for name, _ in calls)
            return BFCLCheck(False, f"expected no call, got {len(calls)}: {names}")
        return _OK
    if category == "live_relevance":
        return _OK if calls else BFCLCheck(False, "expected at least one call, got none")
    if category not in AST_CATEGORIES:
        raise ValueError(f"no AST checker for category {category!r}")
    expected = case.possible_answers
    named = [(case.bfcl_name(name), dict(arguments)) for name, arguments in calls]
    if len(named) != len(expected):
        return BFCLCheck(False, f"wrong number of calls: got {len(named)}, expected {len(expected)}")
    if "parallel" in category:
        return _check_unordered(case, named, expected)
    # simple and multiple: exactly one call, against the one expected function.
    return _verdict(_check_one(case, named[0], expected[0]))


def reference_calls(case: BFCLCase) -> list[tuple[str, dict[str, Any]]]:
    """The expected calls built from the first acceptable value of every parameter (and,
    inside dicts, of every key), leaving out those whose first acceptable value is ``""``.

    Names are the API tool names a model would use. For a sound case these pass
    ``check_calls``; relevance cases have none."""
    if case.ground_truth is None:
        return []
    api = {bfcl: name for name, bfcl in case.tool_names.items()}
    calls: list[tuple[str, dict[str, Any]]] = []
    for answer in case.possible_answers:
        ((name, parameters),) = answer.items()
        calls.append((api.get(name, name), _first_values(parameters)))
    return calls


_OMIT = object()


def _first(values: Any) -> Any:
    if not isinstance(values, list):
        return _materialize(values)
    if not values or (isinstance(values[0], str) and values[0] == ""):
        return _OMIT
    return _materialize(values[0])


def _first_values(acceptable: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in acceptable.items():
        value = _first(values)
        if value is not _OMIT:
            out[key] = value
    return out


def _materialize(candidate: Any) -> Any:
    if isinstance(candidate, dict):
        return _first_values(candidate)
    if isinstance(candidate, list):
        return [_materialize(item) for item in candidate]
    return candidate


def _verdict(problem: str | None) -> BFCLCheck:
    return _OK if problem is None else BFCLCheck(False, problem)


def _doc(case: BFCLCase, name: str) -> Mapping[str, Any] | None:
    for doc in case.functions:
        if doc["name"] == name:
            return doc
    return None


def _check_one(case: BFCLCase, call: tuple[str, dict[str, Any]], answer: Mapping[str, Any]) -> str | None:
    """Why ``call`` does not match one expected call (None: it does)."""
    ((expected_name, acceptable),) = answer.items()
    name, arguments = call
    if name != expected_name:
        return f"wrong function name: got {name}, expected {expected_name}"
    doc = _doc(case, expected_name)
    if doc is None:
        return f"the expected function {expected_name} is not among the case's functions"
    parameters = doc.get("parameters") or {}
    properties: Mapping[str, Any] = parameters.get("properties") or {}
    for required in parameters.get("required") or []:
        if required not in arguments:
            return f"missing required parameter {required!r}"
    for param, value in arguments.items():
        if param not in properties or param not in acceptable:
            return f"unexpected parameter {param!r}"
        problem = _check_value(param, value, acceptable[param], properties[param])
        if problem is not None:
            return problem
    for param, values in acceptable.items():
        if param not in arguments and not _optional(values):
            return f"missing required parameter {param!r} (the possible answer gives no default)"
    return None


def _check_unordered(case: BFCLCase, calls: list[tuple[str, dict[str, Any]]], expected: list[Any]) -> BFCLCheck:
    problems = [[_check_one(case, call, answer) for answer in expected] for call in calls]
    pairing = _perfect_matching([[p is None for p in row] for row in problems])
    if pairing is not None:
        return _OK
    for j, answer in enumerate(expected):
        if all(problems[i][j] is not None for i in range(len(calls))):
            (name,) = answer
            same_name = [i for i, (called, _) in enumerate(calls) if called == name]
            detail = problems[same_name[0]][j] if same_name else f"no call to {name}"
            return BFCLCheck(False, f"no call matches expected call {j} ({name}): {detail}")
    return BFCLCheck(False, "the calls cannot be paired one-to-one with the expected calls")


def _perfect_matching(ok: list[list[bool]]) -> list[int] | None:
    """A pairing of every row (model call) with a distinct column (expected call), or None."""
    owner: list[int | None] = [None] * (len(ok[0]) if ok else 0)

    def assign(row: int, seen: set[int]) -> bool:
        for col, fits in enumerate(ok[row]):
            if fits and col not in seen:
                seen.add(col)
                holder = owner[col]
                if holder is None or assign(holder, seen):
                    owner[col] = row
                    return True
        return False

    for row in range(len(ok)):
        if not assign(row, set()):
            return None
    return [row for row in owner if row is not None]


# ---------------------------------------------------------------- values


def _optional(values: Any) -> bool:
    return isinstance(values, list) and "" in values


def _candidates(values: Any) -> list[Any]:
    listed = values if isinstance(values, list) else [values]
    return [v for v in listed if not (isinstance(v, str) and v == "")]


def _type_name(value: Any) -> str:
    return type(value).__name__


def _coerce(value: Any, expected: type | None) -> Any:
    if isinstance(value, tuple):
        value = list(value)
    if expected is float and type(value) is int:
        return float(value)
    return value


def _expected_type(schema: Mapping[str, Any]) -> type | None:
    kind = schema.get("type")
    return _PYTHON_TYPES.get(kind) if isinstance(kind, str) else None


def _check_value(path: str, value: Any, acceptable: Any, schema: Mapping[str, Any]) -> str | None:
    """Why ``value`` is not among ``acceptable`` (BFCL's list of acceptable values)."""
    candidates = _candidates(acceptable)
    if not candidates:
        return f"parameter {path!r} should be left out (its possible answer is only the default), got {value!r}"
    expected = _expected_type(schema)
    value = _coerce(value, expected)
    answer_type = type(candidates[0])
    if expected is not None and type(value) is not expected:
        if answer_type is not expected and type(value) is answer_type:
            # BFCL's "variable" answers: compare as given, without normalisation.
            if value in candidates:
                return None
            return f"parameter {path!r} value {value!r} not among acceptable {candidates!r}"
        return f"parameter {path!r} has wrong type: expected {schema.get('type')}, got {_type_name(value)} ({value!r})"
    problems = [_mismatch(path, value, candidate, schema) for candidate in candidates]
    if any(problem is None for problem in problems):
        return None
    if len(candidates) == 1 and isinstance(value, dict | list) and problems[0]:
        return problems[0]  # the one expected container: say where inside it differs
    return f"parameter {path!r} value {value!r} not among acceptable {candidates!r}"


def _dict_problem(path: str, value: dict[str, Any], candidate: dict[str, Any], schema: Mapping[str, Any]) -> str | None:
    """A dict against one expected dict, whose values are lists of acceptable values."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    for key, sub in value.items():
        if key not in candidate:
            return f"parameter {path!r} has unexpected key {key!r}"
        problem = _check_value(f"{path}.{key}", sub, candidate[key], properties.get(key) or {})
        if problem is not None:
            return problem
    for key, values in candidate.items():
        if key not in value and not _optional(values):
            return f"parameter {path!r} is missing key {key!r}"
    return None


def _mismatch(path: str, value: Any, candidate: Any, schema: Mapping[str, Any]) -> str | None:
    """Why ``value`` differs from one literal ``candidate`` (dicts inside hold acceptable lists)."""
    expected = _expected_type(schema)
    value = _coerce(value, expected)
    differs = f"parameter {path!r} value {value!r} is not {candidate!r}"
    if expected is not None and type(value) is not expected and type(value) is not type(candidate):
        return f"parameter {path!r} has wrong type: expected {schema.get('type')}, got {_type_name(value)} ({value!r})"
    if isinstance(value, str):
        same = isinstance(candidate, str) and normalize_string(value) == normalize_string(candidate)
        return None if same else differs
    if isinstance(value, bool) or isinstance(candidate, bool):
        return None if type(value) is type(candidate) and value == candidate else differs
    if isinstance(value, dict):
        return _dict_problem(path, value, candidate, schema) if isinstance(candidate, dict) else differs
    if isinstance(value, list):
        if not isinstance(candidate, list) or len(value) != len(candidate):
            return differs
        items: Mapping[str, Any] = schema.get("items") or {}
        for index, (item, expected_item) in enumerate(zip(value, candidate, strict=True)):
            problem = _mismatch(f"{path}[{index}]", item, expected_item, items)
            if problem is not None:
                return problem
        return None
    if isinstance(value, int | float):
        return None if isinstance(candidate, int | float) and value == candidate else differs
    return None if value == candidate else differs
