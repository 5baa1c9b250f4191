"""BFCL (Berkeley Function Calling Leaderboard) data: fetch, verify, load.

The data ships inside the ``bfcl-eval`` wheel on PyPI. We use the wheel as data only: it is
downloaded with ``pip download --no-deps`` (never installed; its pinned dependencies are
heavy), checked against a pinned sha256, and only ``bfcl_eval/data/**`` and the multi-turn
simulated APIs (``bfcl_eval/eval_checker/multi_turn_eval/func_source_code/**``) are
extracted into a cache folder.

>>> cases = load_bfcl("simple_python", limit=3)  # doctest: +SKIP
>>> cases[0].tools[0]["function"]["name"]  # doctest: +SKIP
'calculate_triangle_area'
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeAlias

from ..wire import ToolSpec

BFCL_VERSION = "2026.3.23"
"""The ``bfcl-eval`` release whose data we load."""

BFCL_WHEEL_SHA256 = "3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a"
"""sha256 of ``bfcl_eval-2026.3.23-py3-none-any.whl`` as published on PyPI."""

BFCL_DIR_ENV = "ROLLYARD_BFCL_DIR"
"""Points at an already-extracted tree (the folder holding ``bfcl_eval/``): no download."""

CACHE_ENV = "ROLLYARD_CACHE"
"""rollyard's cache root (default ``~/.cache/rollyard``); BFCL goes in ``bfcl/<version>/``."""

_EXTRACT_PREFIXES = ("bfcl_eval/data/", "bfcl_eval/eval_checker/multi_turn_eval/func_source_code/")
_MARKER = ".rollyard-bfcl-complete"

AST_CATEGORIES: tuple[str, ...] = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
)
"""Single-turn categories judged by the AST checker against possible answers."""

RELEVANCE_CATEGORIES: tuple[str, ...] = ("irrelevance", "live_irrelevance", "live_relevance")
"""Single-turn categories judged only by whether a call was made (no ground truth)."""

MULTI_TURN_CATEGORIES: tuple[str, ...] = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
"""Multi-turn categories judged by replaying calls against BFCL's simulated APIs."""

# From bfcl_eval/constants/executable_backend_config.py: which source file holds each class
# and which function-doc file describes it. Only the multi-turn classes are listed; the
# memory and web-search classes belong to BFCL's agentic categories, which we do not load.
CLASS_SOURCE_FILES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
CLASS_DOC_FILES: dict[str, str] = {name: f"{stem}.json" for name, stem in CLASS_SOURCE_FILES.items()}
STATELESS_CLASSES: frozenset[str] = frozenset({"MathAPI"})
"""Classes BFCL never calls ``_load_scenario`` on."""

HOLDOUT_TURN_MESSAGE = "I have updated some more functions you can choose from. What about now?"
"""What BFCL says (function-calling mode) in a miss_func turn that adds the withheld functions;
the data file leaves that turn empty."""

PossibleAnswers: TypeAlias = list[dict[str, dict[str, list[Any]]]]
"""Single-turn ground truth: one ``{function: {parameter: [acceptable values]}}`` per expected
call. ``""`` among the acceptable values means the parameter may be left out."""

TurnCalls: TypeAlias = list[list[str]]
"""Multi-turn ground truth: per turn, the calls as Python call strings (``cd(folder='a')``)."""


class BFCLDataError(RuntimeError):
    """The BFCL data cannot be fetched, verified, found or read."""


@dataclass(frozen=True)
class BFCLCheck:
    """A checker's verdict on one case."""

    passed: bool
    reason: str
    """Why it failed (``"ok"`` when it passed)."""


# ---------------------------------------------------------------- fetching


def default_cache_dir() -> Path:
    """``$ROLLYARD_CACHE/bfcl/<version>``, or ``~/.cache/rollyard/bfcl/<version>``."""
    root = os.environ.get(CACHE_ENV)
    base = Path(root) if root else Path.home() / ".cache" / "rollyard"
    return base / "bfcl" / BFCL_VERSION


def _check_tree(root: Path, source: str) -> Path:
    if not (root / "bfcl_eval" / "data").is_dir():
        raise BFCLDataError(f"{source} {root} holds no bfcl_eval/data folder (expected an extracted bfcl-eval wheel)")
    return root


def ensure_bfcl(cache_dir: str | Path | None = None) -> Path:
    """The folder holding the extracted ``bfcl_eval/`` tree, fetched on first use.

    With no ``cache_dir``, ``$ROLLYARD_BFCL_DIR`` (an already-extracted tree) wins, then the
    default cache. Idempotent: a complete extraction is reused as is. Raises
    ``BFCLDataError`` when pip fails or the wheel's sha256 is not the pinned one.
    """
    if cache_dir is None:
        override = os.environ.get(BFCL_DIR_ENV)
        if override:
            return _check_tree(Path(override).expanduser(), f"${BFCL_DIR_ENV}")
        cache_dir = default_cache_dir()
    target = Path(cache_dir).expanduser()
    if (target / _MARKER).is_file():
        return _check_tree(target, "the BFCL cache")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        # Extraction is atomic (a rename), so this is not ours: never delete it.
        raise BFCLDataError(
            f"{target} exists and is not a BFCL cache (for an already-extracted tree, set ${BFCL_DIR_ENV})"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bfcl-", dir=target.parent) as scratch:
        wheel = _download_wheel(Path(scratch) / "wheel")
        staging = Path(scratch) / "tree"
        _extract(wheel, staging)
        (staging / _MARKER).write_text(f"{BFCL_VERSION} {BFCL_WHEEL_SHA256}\n", encoding="utf-8")
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()  # an empty folder made by the user: take its place
        try:
            staging.rename(target)
        except OSError:
            if not (target / _MARKER).is_file():  # not another process winning the race
                raise
    return _check_tree(target, "the BFCL cache")


def _download_wheel(dest: Path) -> Path:
    dest.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"bfcl-eval=={BFCL_VERSION}",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(dest),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BFCLDataError(f"could not run pip to download bfcl-eval=={BFCL_VERSION}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise BFCLDataError(f"pip download bfcl-eval=={BFCL_VERSION} failed (exit {done.returncode}):\n{tail}")
    wheels = sorted(dest.glob("bfcl_eval-*.whl"))
    if len(wheels) != 1:
        raise BFCLDataError(f"pip download left {[p.name for p in dest.iterdir()]} in {dest}, not one bfcl_eval wheel")
    digest = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
    if digest != BFCL_WHEEL_SHA256:
        raise BFCLDataError(
            f"{wheels[0].name} has sha256 {digest}, not the pinned {BFCL_WHEEL_SHA256}: refusing to use it"
        )
    return wheels[0]


def _extract(wheel: Path, staging: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            name = member.filename
            if member.is_dir() or not name.startswith(_EXTRACT_PREFIXES):
                continue
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts:
                raise BFCLDataError(f"unsafe path {name!r} in {wheel.name}")
            out = staging.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst)


# ---------------------------------------------------------------- schemas and names

_BFCL_TO_JSON_TYPE = {
    "dict": "object",
    "object": "object",
    "float": "number",
    "number": "number",
    "tuple": "array",
    "array": "array",
    "integer": "integer",
    "boolean": "boolean",
    "string": "string",
}


def bfcl_to_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A BFCL parameter schema as JSON schema: ``dict``→object, ``float``→number,
    ``tuple``→array, ``any``→no type constraint; other keys are kept as given."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            if value == "any":
                continue
            if value not in _BFCL_TO_JSON_TYPE:
                raise BFCLDataError(f"unknown BFCL type {value!r}")
            out["type"] = _BFCL_TO_JSON_TYPE[value]
        elif key == "properties" and isinstance(value, Mapping):
            out[key] = {name: bfcl_to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            out[key] = bfcl_to_json_schema(value)
        else:
            out[key] = copy.deepcopy(value)
    return out


_ILLEGAL_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def api_tool_name(name: str) -> str:
    """A BFCL function name as APIs accept it (``^[A-Za-z0-9_-]{1,64}$``): ``math.factorial``
    becomes ``math_factorial``, as BFCL's own handlers do."""
    return _ILLEGAL_NAME_CHARS.sub("_", name)


def _tool(doc: Mapping[str, Any], api_name: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": api_name,
            "description": doc.get("description", ""),
            "parameters": bfcl_to_json_schema(doc.get("parameters") or {"type": "dict", "properties": {}}),
        },
    }


# ---------------------------------------------------------------- cases


@dataclass
class BFCLCase:
    """One BFCL test case, with its functions both as BFCL gives them and as API tools."""

    id: str
    category: str
    turns: list[list[dict[str, str]]]
    """Per turn, the chat messages (``{"role", "content"}``) the model is sent. A miss_func
    turn that BFCL's data leaves empty holds ``HOLDOUT_TURN_MESSAGE``, as BFCL sends it."""
    functions: list[dict[str, Any]]
    """BFCL function docs offered from the first turn, as given."""
    tools: list[dict[str, Any]]
    """``functions`` as OpenAI-style tools (``{"type": "function", "function": {...}}``)."""
    ground_truth: PossibleAnswers | TurnCalls | None
    """Possible answers (single-turn), calls per turn (multi-turn), or None (relevance)."""
    tool_names: dict[str, str] = field(default_factory=dict)
    """API tool name → BFCL function name, for every function the case can offer."""
    initial_config: dict[str, Any] | None = None
    """Multi-turn: each involved class's scenario, passed to its ``_load_scenario``."""
    involved_classes: list[str] | None = None
    """Multi-turn: the simulated API classes the case runs against, in BFCL's order."""
    missed_function: dict[int, list[dict[str, Any]]] | None = None
    """miss_func: turn index → docs of the functions withheld until that turn."""
    excluded_function: list[str] | None = None
    """Multi-turn: names BFCL's data marks as excluded (informational; BFCL still offers them)."""
    data_root: Path | None = field(default=None, repr=False)
    """The extracted tree the case came from (the multi-turn runner imports its classes)."""

    @property
    def is_multi_turn(self) -> bool:
        return self.category in MULTI_TURN_CATEGORIES

    @property
    def possible_answers(self) -> PossibleAnswers:
        """The single-turn ground truth (raises for relevance and multi-turn cases)."""
        if self.is_multi_turn or self.ground_truth is None:
            raise ValueError(f"{self.id} has no possible answers (category {self.category})")
        return self.ground_truth  # type: ignore[return-value]

    @property
    def turn_calls(self) -> TurnCalls:
        """The multi-turn ground truth: per turn, the expected call strings."""
        if not self.is_multi_turn or self.ground_truth is None:
            raise ValueError(f"{self.id} is not a multi-turn case")
        return self.ground_truth  # type: ignore[return-value]

    def bfcl_name(self, name: str) -> str:
        """The BFCL function name behind an API tool name (other names come back unchanged)."""
        return self.tool_names.get(name, name)

    def functions_at(self, turn: int = 0) -> list[dict[str, Any]]:
        """The function docs offered at ``turn``: withheld ones join at their turn."""
        docs = list(self.functions)
        for added_at, added in sorted((self.missed_function or {}).items()):
            if added_at <= turn:
                docs.extend(added)
        return docs

    def tools_at(self, turn: int = 0) -> list[dict[str, Any]]:
        """``functions_at(turn)`` as OpenAI-style tools."""
        api = {bfcl: api for api, bfcl in self.tool_names.items()}
        return [_tool(doc, api[doc["name"]]) for doc in self.functions_at(turn)]

    def tool_specs(self, turn: int = 0) -> list[ToolSpec]:
        """The tools offered at ``turn`` as rollyard's canonical ``ToolSpec``."""
        functions = [tool["function"] for tool in self.tools_at(turn)]
        return [ToolSpec(name=f["name"], description=f["description"], parameters=f["parameters"]) for f in functions]


def bfcl_categories() -> list[str]:
    """The categories ``load_bfcl`` reads (BFCL's file names without ``BFCL_v4_``).

    BFCL's Java/JavaScript, memory, web-search and format-sensitivity categories are not
    offered: their checkers need machinery we do not carry."""
    return [*AST_CATEGORIES, *RELEVANCE_CATEGORIES, *MULTI_TURN_CATEGORIES]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BFCLDataError(f"missing BFCL data file {path}")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise BFCLDataError(f"{path}:{number}: not JSON: {exc}") from exc
    return rows


@functools.lru_cache(maxsize=64)
def _cached_jsonl(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(_read_jsonl(path))


def _rows(path: Path) -> list[dict[str, Any]]:
    return copy.deepcopy(list(_cached_jsonl(path)))


def load_bfcl(category: str, limit: int | None = None, *, root: str | Path | None = None) -> list[BFCLCase]:
    """The first ``limit`` cases of ``category`` (all when None), in file order.

    ``root`` is an extracted tree (default: ``ensure_bfcl()``)."""
    if category not in bfcl_categories():
        raise ValueError(f"unknown BFCL category {category!r}; known: {', '.join(bfcl_categories())}")
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0")
    base = Path(root) if root is not None else ensure_bfcl()
    data = base / "bfcl_eval" / "data"
    rows = list(_cached_jsonl(data / f"BFCL_v4_{category}.json"))[:limit]
    answers: dict[str, Any] = {}
    if category not in RELEVANCE_CATEGORIES:
        for row in _cached_jsonl(data / "possible_answer" / f"BFCL_v4_{category}.json"):
            answers[row["id"]] = row["ground_truth"]
    cases: list[BFCLCase] = []
    for raw in rows:
        row = copy.deepcopy(raw)
        if category not in RELEVANCE_CATEGORIES and row["id"] not in answers:
            raise BFCLDataError(f"{row['id']} has no possible answer in BFCL_v4_{category}.json")
        truth = copy.deepcopy(answers.get(row["id"]))
        if category in MULTI_TURN_CATEGORIES:
            cases.append(_multi_turn_case(row, category, truth, data, base))
        else:
            cases.append(_single_turn_case(row, category, truth, base))
    return cases


def _name_map(case_id: str, docs: list[dict[str, Any]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for doc in docs:
        api = api_tool_name(doc["name"])
        if names.get(api, doc["name"]) != doc["name"]:
            raise BFCLDataError(f"{case_id}: {names[api]!r} and {doc['name']!r} share the API name {api!r}")
        names[api] = doc["name"]
    return names


def _single_turn_case(row: dict[str, Any], category: str, truth: Any, root: Path) -> BFCLCase:
    docs: list[dict[str, Any]] = row["function"]
    names = _name_map(row["id"], docs)
    api = {bfcl: api for api, bfcl in names.items()}
    return BFCLCase(
        id=row["id"],
        category=category,
        turns=row["question"],
        functions=docs,
        tools=[_tool(doc, api[doc["name"]]) for doc in docs],
        ground_truth=truth,
        tool_names=names,
        data_root=root,
    )


def _multi_turn_case(row: dict[str, Any], category: str, truth: Any, data: Path, root: Path) -> BFCLCase:
    classes: list[str] = row["involved_classes"]
    docs: list[dict[str, Any]] = []
    for name in classes:
        if name not in CLASS_DOC_FILES:
            raise BFCLDataError(f"{row['id']}: unknown involved class {name!r}")
        docs.extend(_rows(data / "multi_turn_func_doc" / CLASS_DOC_FILES[name]))
    names = _name_map(row["id"], docs)
    missed: dict[int, list[dict[str, Any]]] | None = None
    if "missed_function" in row:
        missed = {}
        for turn_key, withheld in row["missed_function"].items():
            turn = int(turn_key)
            missed[turn] = []
            for fname in withheld:
                found = [i for i, doc in enumerate(docs) if doc["name"] == fname]
                if not found:
                    raise BFCLDataError(f"{row['id']}: missed function {fname!r} is in no involved class")
                missed[turn].append(docs.pop(found[0]))
    turns: list[list[dict[str, str]]] = row["question"]
    for turn in missed or {}:
        if turn < len(turns) and not turns[turn]:
            turns[turn] = [{"role": "user", "content": HOLDOUT_TURN_MESSAGE}]
    api = {bfcl: api for api, bfcl in names.items()}
    return BFCLCase(
        id=row["id"],
        category=category,
        turns=turns,
        functions=docs,
        tools=[_tool(doc, api[doc["name"]]) for doc in docs],
        ground_truth=truth,
        tool_names=names,
        initial_config=row.get("initial_config", {}),
        involved_classes=classes,
        missed_function=missed,
        excluded_function=row.get("excluded_function"),
        data_root=root,
    )
