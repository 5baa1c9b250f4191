"""BFCL's multi-turn categories: run calls against BFCL's simulated APIs and judge by state.

The simulated API classes (``GorillaFileSystem``, ``TradingBot``...) are BFCL's own source,
extracted from the ``bfcl-eval`` wheel and imported by file path. Model output is never
``eval``-ed: a call string must be a call of a plain name with literal arguments, each read
by ``ast.literal_eval``, and goes to the public method of that name on the instance that owns
it (the last involved class wins a clash, as in BFCL).

``check_multi_turn`` mirrors ``bfcl_eval/eval_checker/multi_turn_eval/multi_turn_checker.py``:
the ground truth is replayed turn by turn on one set of instances and the model's calls on
another; after every turn whose ground truth is not empty, the model must have made a call,
the instances' public attributes (names not starting with ``_``) must be equal, and every
result of the turn's ground-truth calls must be among the results of the model's calls so
far (as a multiset, in any order).
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib.util
import inspect
import json
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, TypeAlias

from ..tools import PassThroughArguments, Tool, Toolset
from ._bfcl_data import (
    CLASS_SOURCE_FILES,
    STATELESS_CLASSES,
    BFCLCase,
    BFCLCheck,
    BFCLDataError,
    ensure_bfcl,
)

ModelCall: TypeAlias = str | tuple[str, Mapping[str, Any]]
"""A call as a Python call string (``mv(source='a', destination='b')``) or (name, arguments)."""

_SOURCE_PACKAGE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
_FORBIDDEN = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})
"""Names BFCL's executor refuses to call."""
_ERROR_PREFIX = "Error during execution: "

_modules: dict[tuple[str, str], ModuleType] = {}
_root_ids: dict[str, int] = {}
_load_lock = threading.RLock()


class CallSyntaxError(ValueError):
    """A call string that is not a call of a plain name with literal arguments."""


def parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """``"f(1, x='a')"`` → ``("f", [1], {"x": "a"})``; anything else raises ``CallSyntaxError``."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise CallSyntaxError(f"not a call: {text!r} ({exc})") from exc
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise CallSyntaxError(f"not a call of a plain function name: {text!r}")
    try:
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise CallSyntaxError(f"**arguments are not allowed: {text!r}")
            kwargs[keyword.arg] = ast.literal_eval(keyword.value)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
        raise CallSyntaxError(f"arguments must be literals: {text!r} ({exc})") from exc
    return node.func.id, args, kwargs


# ---------------------------------------------------------------- BFCL's classes


def _source_dir(root: Path) -> Path:
    return root / "bfcl_eval" / "eval_checker" / "multi_turn_eval" / "func_source_code"


def _bfcl_imports(path: Path) -> list[str]:
    """The sibling source files ``path`` imports through BFCL's package path."""
    stems: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            if name.startswith(_SOURCE_PACKAGE + "."):
                stems.append(name.removeprefix(_SOURCE_PACKAGE + "."))
            elif name == "bfcl_eval" or name.startswith("bfcl_eval."):
                raise BFCLDataError(f"{path.name} imports {name}, which is not part of the extracted tree")
    return stems


@contextmanager
def _aliases(modules: Mapping[str, ModuleType]) -> Iterator[None]:
    """Make BFCL's package names resolve to our copies while one source file runs."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous


def _load_module(root: Path, stem: str) -> ModuleType:
    key = (str(root.resolve()), stem)
    with _load_lock:
        if key in _modules:
            return _modules[key]
        path = _source_dir(root) / f"{stem}.py"
        if not path.is_file():
            raise BFCLDataError(f"missing BFCL source file {path}")
        dependencies = {f"{_SOURCE_PACKAGE}.{dep}": _load_module(root, dep) for dep in _bfcl_imports(path)}
        name = f"_rollyard_bfcl_{_root_ids.setdefault(key[0], len(_root_ids))}_{stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise BFCLDataError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            with _aliases(dependencies):
                spec.loader.exec_module(module)
        except ModuleNotFoundError as exc:
            sys.modules.pop(name, None)
            needed = exc.name
            raise BFCLDataError(f"BFCL's {stem}.py needs the Python package {needed!r} (pip install {needed})") from exc
        except BaseException:
            sys.modules.pop(name, None)
            raise
        _modules[key] = module
        return module


def load_bfcl_class(root: Path, class_name: str) -> type:
    """One of BFCL's simulated API classes, imported from the extracted tree at ``root``."""
    if class_name not in CLASS_SOURCE_FILES:
        raise BFCLDataError(f"unknown BFCL class {class_name!r}")
    cls = getattr(_load_module(root, CLASS_SOURCE_FILES[class_name]), class_name, None)
    if not isinstance(cls, type):
        raise BFCLDataError(f"{CLASS_SOURCE_FILES[class_name]}.py defines no class {class_name}")
    return cls


def _render(value: Any) -> str:
    """A result as BFCL turns it into text."""
    if type(value) is str:
        return value
    if type(value) is dict:
        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- running


class MultiTurnRun:
    """A multi-turn case's simulated APIs, loaded as BFCL loads them, and a log of the calls.

    Drive it call by call (``execute``), turn by turn (``end_turn``), or hand an agent
    ``toolset()``; then ``check()`` judges the logged calls with ``check_multi_turn``.
    """

    def __init__(self, case: BFCLCase, *, root: str | Path | None = None) -> None:
        if not case.is_multi_turn or case.involved_classes is None:
            raise ValueError(f"{case.id} is not a multi-turn case")
        base = Path(root) if root is not None else case.data_root or ensure_bfcl()
        self.case = case
        self.turn = 0
        self.calls: list[list[ModelCall]] = [[]]
        """Per turn, every call executed, as given."""
        self.results: list[list[str]] = [[]]
        """Per turn, the result text of each call in ``calls``."""
        self.instances: dict[str, Any] = {}
        """Class name → the instance of BFCL's class that this run's calls go to."""
        self._methods: dict[str, Callable[..., Any]] = {}
        long_context = "long_context" in case.category or "composite" in case.category
        config = case.initial_config or {}
        for class_name in case.involved_classes:
            instance = load_bfcl_class(base, class_name)()
            if class_name not in STATELESS_CLASSES:
                instance._load_scenario(copy.deepcopy(config.get(class_name, {})), long_context=long_context)
            self.instances[class_name] = instance
            for name, method in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not name.startswith("_"):
                    self._methods[name] = method

    def execute(self, call: ModelCall) -> str:
        """Run one call on this run's instances; the result (or the error) as text, like BFCL."""
        logged: ModelCall
        if isinstance(call, str):
            logged = call
            try:
                name, args, kwargs = parse_call(call)
            except CallSyntaxError as exc:
                return self._log(logged, f"{_ERROR_PREFIX}{exc}")
        else:
            name, arguments = call
            kwargs = copy.deepcopy(dict(arguments))
            logged = (name, copy.deepcopy(kwargs))
            name, args = self.case.bfcl_name(name), []
        return self._log(logged, self._dispatch(name, args, kwargs))

    def _dispatch(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> str:
        if name in _FORBIDDEN:
            return f"{_ERROR_PREFIX}Function call {name} is not allowed."
        method = self._methods.get(name)
        if method is None:
            return f"{_ERROR_PREFIX}name '{name}' is not defined"
        try:
            value = method(*args, **kwargs)
        except Exception as exc:
            return f"{_ERROR_PREFIX}{exc}"
        return _render(value)

    def _log(self, call: ModelCall, result: str) -> str:
        self.calls[-1].append(call)
        self.results[-1].append(result)
        return result

    def end_turn(self) -> None:
        """Close the current turn: later calls belong to the next one."""
        self.turn += 1
        self.calls.append([])
        self.results.append([])

    def state(self) -> dict[str, dict[str, Any]]:
        """Each instance's public attributes (what BFCL's state check compares)."""
        return {name: _public(instance) for name, instance in self.instances.items()}

    def toolset(self, turn: int | None = None) -> Toolset:
        """The functions offered at ``turn`` (default: the current one) as tools that run here.

        Withheld functions (miss_func) appear from the turn BFCL adds them. Results, errors
        included, come back as text, as BFCL shows them to the model."""
        at = self.turn if turn is None else turn
        tools = []
        for spec in self.case.tools_at(at):
            function = spec["function"]
            tools.append(
                Tool(
                    name=function["name"],
                    description=function["description"] or function["name"],
                    function=functools.partial(self._tool_call, function["name"]),
                    arguments_model=PassThroughArguments,
                    json_schema=function["parameters"],
                )
            )
        return Toolset(tools)

    def _tool_call(self, name: str, /, **arguments: Any) -> str:
        return self.execute((name, arguments))

    def check(self) -> BFCLCheck:
        """Judge the calls logged so far (one list per turn) with ``check_multi_turn``.

        Empty turns opened after the case's last one (an ``end_turn`` after the final turn)
        are ignored; calls made in them are not."""
        calls = list(self.calls)
        while len(calls) > len(self.case.turns) and not calls[-1]:
            calls.pop()
        return check_multi_turn(self.case, calls)


def _public(instance: Any) -> dict[str, Any]:
    return {key: value for key, value in vars(instance).items() if not key.startswith("_")}


def _state_difference(model: MultiTurnRun, truth: MultiTurnRun) -> str | None:
    for class_name, expected in truth.instances.items():
        actual = model.instances[class_name]
        differing = [
            attr
            for attr, value in vars(expected).items()
            if not attr.startswith("_") and getattr(actual, attr, None) != value
        ]
        if differing:
            return f"{class_name} state differs from the ground truth's in {', '.join(differing)}"
    return None


def _missing(expected: list[str], produced: list[str]) -> list[str]:
    """The expected results not found in ``produced`` (a multiset: each result used once)."""
    pool = list(produced)
    missing: list[str] = []
    for item in expected:
        if item in pool:
            pool.remove(item)
        else:
            missing.append(item)
    return missing


def check_multi_turn(case: BFCLCase, model_calls_per_turn: Sequence[Sequence[ModelCall]]) -> BFCLCheck:
    """Judge a model's calls on a multi-turn case, one list of calls per turn, as BFCL does."""
    expected = case.turn_calls
    if len(model_calls_per_turn) != len(expected):
        return BFCLCheck(False, f"got calls for {len(model_calls_per_turn)} turns, expected {len(expected)}")
    model, truth = MultiTurnRun(case), MultiTurnRun(case)
    produced: list[str] = []
    for turn, (truth_calls, calls) in enumerate(zip(expected, model_calls_per_turn, strict=True)):
        if turn:
            model.end_turn()
            truth.end_turn()
        produced.extend(model.execute(call) for call in calls)
        truth_results = [truth.execute(call) for call in truth_calls]
        if not truth_calls:
            continue  # BFCL does not judge turns where the right answer is to call nothing
        if not calls:
            return BFCLCheck(False, f"turn {turn}: no call made, expected {_short(truth_calls)}")
        difference = _state_difference(model, truth)
        if difference is not None:
            return BFCLCheck(False, f"turn {turn}: {difference}")
        missing = _missing(truth_results, produced)
        if missing:
            return BFCLCheck(
                False, f"turn {turn}: results of the expected calls missing from the model's: {_short(missing)}"
            )
    return BFCLCheck(True, "ok")
