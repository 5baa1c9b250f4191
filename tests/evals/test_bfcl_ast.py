"""The single-turn AST checker over every shipped Python and live case: the calls built from
the first acceptable values pass, and mutants of them fail."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from rollyard.evals._bfcl_ast import check_calls, normalize_string, reference_calls
from rollyard.evals._bfcl_data import AST_CATEGORIES, RELEVANCE_CATEGORIES, BFCLCase, load_bfcl
from rollyard.evals._bfcl_quirks import OVERLAP_QUIRKS, REFERENCE_QUIRKS

Call = tuple[str, dict[str, Any]]

EXPECTED_COUNTS = {
    "simple_python": 400,
    "multiple": 200,
    "parallel": 200,
    "parallel_multiple": 200,
    "live_simple": 258,
    "live_multiple": 1053,
    "live_parallel": 16,
    "live_parallel_multiple": 24,
    "irrelevance": 240,
    "live_irrelevance": 884,
    "live_relevance": 16,
}


@pytest.fixture(scope="module")
def ast_cases(bfcl_root: Path) -> dict[str, list[BFCLCase]]:
    return {category: load_bfcl(category, root=bfcl_root) for category in AST_CATEGORIES}


def _case(cases: dict[str, list[BFCLCase]], case_id: str) -> BFCLCase:
    return next(c for category in cases.values() for c in category if c.id == case_id)


def test_every_case_is_checked(ast_cases: dict[str, list[BFCLCase]], bfcl_root: Path) -> None:
    counts = {category: len(cases) for category, cases in ast_cases.items()}
    counts |= {category: len(load_bfcl(category, root=bfcl_root)) for category in RELEVANCE_CATEGORIES}
    assert counts == EXPECTED_COUNTS


def test_reference_calls_pass_except_the_listed_quirks(ast_cases: dict[str, list[BFCLCase]]) -> None:
    failing = {}
    for cases in ast_cases.values():
        for case in cases:
            verdict = check_calls(case, reference_calls(case))
            if not verdict.passed:
                failing[case.id] = verdict.reason
    assert set(failing) == set(REFERENCE_QUIRKS), failing


# ---------------------------------------------------------------- mutants


def _doc(case: BFCLCase, name: str) -> dict[str, Any]:
    return next(doc for doc in case.functions if doc["name"] == case.bfcl_name(name))


def _acceptable(case: BFCLCase, index: int) -> dict[str, list[Any]]:
    return next(iter(case.possible_answers[index].values()))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return normalize_string(a) == normalize_string(b)
    return type(a) is type(b) and a == b


def _wrong_value(value: Any, acceptable: list[Any]) -> Any:
    """A value of the same type that is not acceptable (None: no such simple mutation)."""
    if isinstance(value, bool):
        candidate: Any = not value
    elif isinstance(value, str):
        candidate = "zq9" + value
    elif isinstance(value, int | float):
        candidate = value + 7919
    elif isinstance(value, list) and value:
        candidate = [*value, value[-1]]
    elif isinstance(value, dict):
        candidate = {**value, "zq9_extra": 1}
    else:
        return None
    return None if any(_same(candidate, a) for a in acceptable) else candidate


_WRONG_TYPES: dict[str, Any] = {
    "integer": "7",
    "float": "7.5",
    "string": 12345,
    "boolean": "true",
    "array": "zq9",
    "tuple": "zq9",
    "dict": "zq9",
}


def _mutants(case: BFCLCase, calls: list[Call]) -> dict[str, list[Call]]:
    out: dict[str, list[Call]] = {}
    name, _ = calls[0]
    out["wrong name"] = [(name + "_zq9", calls[0][1]), *calls[1:]]
    out["extra call"] = [*calls, calls[0]]
    for i, (name, arguments) in enumerate(calls):
        doc = _doc(case, name)
        acceptable = _acceptable(case, i)
        required = set(doc["parameters"].get("required", []))
        properties = doc["parameters"]["properties"]
        for param, value in arguments.items():
            values = acceptable[param]
            if "dropped required parameter" not in out and (param in required or "" not in values):
                out["dropped required parameter"] = _replace(calls, i, param, _DROP)
            wrong = _wrong_value(value, values)
            if "wrong value" not in out and wrong is not None:
                out["wrong value"] = _replace(calls, i, param, wrong)
            kind = properties[param].get("type")
            wrong_type = _WRONG_TYPES.get(kind)
            if "wrong type" not in out and wrong_type is not None:
                if not any(type(a) is type(wrong_type) for a in values):
                    out["wrong type"] = _replace(calls, i, param, wrong_type)
            if "float for integer" not in out and kind == "integer" and type(value) is int:
                if not any(type(a) is float for a in values):
                    out["float for integer"] = _replace(calls, i, param, value + 0.0)
    return out


_DROP = object()


def _replace(calls: list[Call], index: int, param: str, value: Any) -> list[Call]:
    """``calls`` with one argument of call ``index`` set to ``value`` (or dropped)."""
    name, arguments = calls[index]
    args = copy.deepcopy(arguments)
    if value is _DROP:
        del args[param]
    else:
        args[param] = value
    return [*calls[:index], (name, args), *calls[index + 1 :]]


@pytest.mark.parametrize("category", AST_CATEGORIES)
def test_mutants_fail(ast_cases: dict[str, list[BFCLCase]], category: str) -> None:
    passed_wrongly = []
    applied: dict[str, int] = {}
    for case in ast_cases[category]:
        if case.id in REFERENCE_QUIRKS:
            continue
        for label, calls in _mutants(case, reference_calls(case)).items():
            applied[label] = applied.get(label, 0) + 1
            if check_calls(case, calls).passed:
                passed_wrongly.append((case.id, label, calls))
    assert not passed_wrongly
    # Every kind of mutant was tried somewhere in the category.
    assert {"wrong name", "extra call", "dropped required parameter", "wrong value", "wrong type"} <= set(applied)


@pytest.mark.parametrize("category", [c for c in AST_CATEGORIES if "parallel" in c])
def test_parallel_calls_match_in_any_order(ast_cases: dict[str, list[BFCLCase]], category: str) -> None:
    for case in ast_cases[category]:
        if case.id not in REFERENCE_QUIRKS:
            assert check_calls(case, reference_calls(case)[::-1]).passed, case.id


def test_overlapping_expected_calls_are_the_listed_quirks(ast_cases: dict[str, list[BFCLCase]]) -> None:
    """A call that fits several *different* expected calls (identical expected calls are fine)."""
    overlapping = set()
    for category in AST_CATEGORIES:
        if "parallel" not in category:
            continue
        for case in ast_cases[category]:
            answers = case.possible_answers
            for call in reference_calls(case):
                fits = [a for a in answers if check_calls(_single(case, a), [call]).passed]
                if any(a != fits[0] for a in fits):
                    overlapping.add(case.id)
    assert overlapping == set(OVERLAP_QUIRKS)
    case = _case(ast_cases, "parallel_116")
    name, args = reference_calls(case)[0]
    assert args["genotype"] == "AA"
    assert check_calls(case, [(name, args)] * 3).passed  # BFCL's normalisation cannot tell them apart
    case = _case(ast_cases, "parallel_178")
    assert check_calls(case, reference_calls(case)[::-1]).passed  # BFCL's greedy pairing fails this order


def _single(case: BFCLCase, answer: dict[str, Any]) -> BFCLCase:
    """The case with one expected call, to ask whether a call fits it."""
    return dataclasses.replace(case, ground_truth=[answer])


def test_listed_quirks_that_a_different_answer_fixes(ast_cases: dict[str, list[BFCLCase]]) -> None:
    fixes = {
        "simple_python_200": ("fuel_efficiency", 25.0),
        "live_multiple_144-56-0": ("perPage", 100),
        "live_multiple_834-178-9": ("track", "Borbena"),
    }
    for case_id, (param, value) in fixes.items():
        case = _case(ast_cases, case_id)
        calls = reference_calls(case)
        calls[0][1][param] = value
        assert check_calls(case, calls).passed, case_id
    case = _case(ast_cases, "parallel_multiple_26")
    calls = [(name, {k: v for k, v in args.items() if k != "type"}) for name, args in reference_calls(case)]
    assert check_calls(case, calls).passed


# ---------------------------------------------------------------- semantics, on known cases


def test_reasons_name_what_is_wrong(ast_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(ast_cases, "simple_python_0")  # calculate_triangle_area(base=10, height=5, unit?)
    assert check_calls(case, [("calculate_triangle_area", {"base": 10, "height": 5})]).passed
    got = check_calls(case, [("triangle_area", {"base": 10, "height": 5})])
    assert got.reason == "wrong function name: got triangle_area, expected calculate_triangle_area"
    got = check_calls(case, [("calculate_triangle_area", {"base": 10})])
    assert got.reason == "missing required parameter 'height'"
    got = check_calls(case, [("calculate_triangle_area", {"base": 3, "height": 5})])
    assert got.reason == "parameter 'base' value 3 not among acceptable [10]"
    got = check_calls(case, [("calculate_triangle_area", {"base": 10, "height": 5, "color": "red"})])
    assert got.reason == "unexpected parameter 'color'"
    got = check_calls(case, [("calculate_triangle_area", {"base": 10, "height": 5, "unit": "cm"})])
    assert not got.passed and "'unit'" in got.reason
    got = check_calls(case, [("calculate_triangle_area", {"base": "10", "height": 5})])
    assert got.reason == "parameter 'base' has wrong type: expected integer, got str ('10')"
    got = check_calls(case, [("calculate_triangle_area", {"base": True, "height": 5})])
    assert not got.passed  # a bool is not an integer


def test_api_names_and_bfcl_names_both_match(ast_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(ast_cases, "simple_python_1")  # math.factorial
    assert case.tool_names == {"math_factorial": "math.factorial"}
    assert check_calls(case, [("math_factorial", {"number": 5})]).passed
    assert check_calls(case, [("math.factorial", {"number": 5})]).passed
    assert not check_calls(case, [("math_factorial", {"number": 6})]).passed


def test_string_normalisation_and_int_for_float(ast_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(ast_cases, "simple_python_200")
    # fuel_type "gas": case and the punctuation BFCL strips do not matter.
    base = {"distance": 12000, "fuel_efficiency": 25.0}
    assert check_calls(case, [("calculate_emissions", {**base, "fuel_type": "G-A_S."})]).passed
    assert not check_calls(case, [("calculate_emissions", {**base, "fuel_type": "gasoline"})]).passed
    # fuel_efficiency is a float: 25 is accepted for 25.0; distance is an integer: 12000.0 is not.
    assert check_calls(case, [("calculate_emissions", {**base, "fuel_type": "gas", "fuel_efficiency": 25})]).passed
    got = check_calls(case, [("calculate_emissions", {**base, "fuel_type": "gas", "distance": 12000.0})])
    assert "wrong type" in got.reason


def test_nested_dicts_and_lists(ast_cases: dict[str, list[BFCLCase]]) -> None:
    case = _case(ast_cases, "simple_python_96")  # conditions: list of {field, operation, value}
    ((name, args),) = reference_calls(case)
    assert check_calls(case, [(name, args)]).passed
    swapped = copy.deepcopy(args)
    swapped["conditions"].reverse()
    assert not check_calls(case, [(name, swapped)]).passed  # list order matters
    wrong = copy.deepcopy(args)
    wrong["conditions"][1]["value"] = "doctor"
    assert "conditions[1].value" in check_calls(case, [(name, wrong)]).reason
    extra = copy.deepcopy(args)
    extra["conditions"][0]["note"] = "x"
    assert not check_calls(case, [(name, extra)]).passed


def test_parallel_calls_pair_one_to_one(ast_cases: dict[str, list[BFCLCase]]) -> None:
    case = next(c for c in ast_cases["parallel"] if len({str(x) for x in reference_calls(c)}) == 2)
    first, second = reference_calls(case)
    assert check_calls(case, [second, first]).passed
    got = check_calls(case, [first, first])  # two calls may not both claim the same expected call
    assert not got.passed and "no call matches expected call" in got.reason


def test_multiple_picks_the_one_right_function(ast_cases: dict[str, list[BFCLCase]]) -> None:
    case = next(c for c in ast_cases["multiple"] if len(c.functions) > 1)
    ((name, args),) = reference_calls(case)
    other = next(doc["name"] for doc in case.functions if doc["name"] != case.bfcl_name(name))
    assert check_calls(case, [(name, args)]).passed
    assert check_calls(case, [(other, args)]).reason.startswith("wrong function name")


def test_relevance_categories(bfcl_root: Path) -> None:
    for category in ("irrelevance", "live_irrelevance"):
        for case in load_bfcl(category, root=bfcl_root):
            assert case.ground_truth is None
            assert check_calls(case, []).passed
            # A few live_irrelevance cases offer no function at all; any call is still wrong.
            any_call = (case.tools[0]["function"]["name"] if case.tools else "anything", {})
            assert check_calls(case, [any_call]).reason.startswith("expected no call")
    for case in load_bfcl("live_relevance", root=bfcl_root):
        assert case.ground_truth is None
        assert check_calls(case, [(case.tools[0]["function"]["name"], {})]).passed
        assert check_calls(case, []).reason == "expected at least one call, got none"
