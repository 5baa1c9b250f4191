"""Fetching, verifying and loading the BFCL data, and converting its functions to tools."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from rollyard.evals._bfcl_data import (
    AST_CATEGORIES,
    BFCL_VERSION,
    MULTI_TURN_CATEGORIES,
    RELEVANCE_CATEGORIES,
    BFCLDataError,
    api_tool_name,
    bfcl_categories,
    bfcl_to_json_schema,
    default_cache_dir,
    ensure_bfcl,
    load_bfcl,
)
from rollyard.wire import ToolSpec

# ---------------------------------------------------------------- fetching


def _offline_pip(monkeypatch: pytest.MonkeyPatch, links: Path) -> None:
    """pip sees only the wheels in ``links``: no index, no config files."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.delenv("ROLLYARD_BFCL_DIR", raising=False)


def _fake_wheel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"bfcl_eval-{BFCL_VERSION}-py3-none-any.whl"
    info = f"bfcl_eval-{BFCL_VERSION}.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("bfcl_eval/__init__.py", "")
        archive.writestr("bfcl_eval/data/BFCL_v4_simple_python.json", "{}\n")
        archive.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: bfcl-eval\nVersion: {BFCL_VERSION}\n")
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    return wheel


def test_a_wheel_with_another_checksum_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _offline_pip(monkeypatch, _fake_wheel(tmp_path / "links").parent)
    with pytest.raises(BFCLDataError, match="sha256"):
        ensure_bfcl(tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_a_failing_pip_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    _offline_pip(monkeypatch, tmp_path / "empty")
    with pytest.raises(BFCLDataError, match=f"pip download bfcl-eval=={BFCL_VERSION} failed"):
        ensure_bfcl(tmp_path / "cache")


def test_a_complete_cache_is_reused_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    _offline_pip(monkeypatch, tmp_path / "empty")  # pip would fail if it ran
    cache = tmp_path / "cache"
    (cache / "bfcl_eval" / "data").mkdir(parents=True)
    (cache / ".rollyard-bfcl-complete").write_text("done\n")
    assert ensure_bfcl(cache) == cache
    assert ensure_bfcl(cache) == cache


def test_fetch_verify_extract(tmp_path: Path) -> None:
    """The real thing: pip downloads the pinned wheel (pip's cache helps), we check its sha256
    and keep only the data and the simulated APIs."""
    root = ensure_bfcl(tmp_path / "cache")
    assert root == tmp_path / "cache"
    assert ensure_bfcl(tmp_path / "cache") == root  # idempotent
    assert sorted(p.name for p in root.iterdir()) == [".rollyard-bfcl-complete", "bfcl_eval"]
    assert sorted(p.name for p in (root / "bfcl_eval").iterdir()) == ["data", "eval_checker"]
    assert sorted(p.name for p in (root / "bfcl_eval" / "eval_checker").iterdir()) == ["multi_turn_eval"]
    assert (root / "bfcl_eval" / "data" / "BFCL_v4_simple_python.json").is_file()
    source = root / "bfcl_eval" / "eval_checker" / "multi_turn_eval" / "func_source_code"
    assert (source / "gorilla_file_system.py").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["cache"]  # no scratch left behind


def test_a_folder_that_is_not_a_cache_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    _offline_pip(monkeypatch, tmp_path / "empty")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(BFCLDataError, match="is not a BFCL cache"):
        ensure_bfcl(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_env_override_and_cache_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLYARD_BFCL_DIR", str(tmp_path / "nothing-here"))
    with pytest.raises(BFCLDataError, match="no bfcl_eval/data"):
        ensure_bfcl()
    (tmp_path / "tree" / "bfcl_eval" / "data").mkdir(parents=True)
    monkeypatch.setenv("ROLLYARD_BFCL_DIR", str(tmp_path / "tree"))
    assert ensure_bfcl() == tmp_path / "tree"
    monkeypatch.setenv("ROLLYARD_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "bfcl" / BFCL_VERSION


# ---------------------------------------------------------------- loading


def test_categories_and_limits(bfcl_root: Path) -> None:
    assert bfcl_categories() == [*AST_CATEGORIES, *RELEVANCE_CATEGORIES, *MULTI_TURN_CATEGORIES]
    first = load_bfcl("simple_python", limit=3, root=bfcl_root)
    assert [c.id for c in first] == ["simple_python_0", "simple_python_1", "simple_python_2"]
    assert load_bfcl("live_simple", limit=0, root=bfcl_root) == []
    assert [c.id for c in load_bfcl("live_simple", limit=2, root=bfcl_root)] == [
        "live_simple_0-0-0",
        "live_simple_1-1-0",
    ]
    with pytest.raises(ValueError, match="unknown BFCL category"):
        load_bfcl("simple_java", root=bfcl_root)


def test_single_turn_case_fields(bfcl_root: Path) -> None:
    case = load_bfcl("simple_python", limit=1, root=bfcl_root)[0]
    assert case.category == "simple_python"
    assert case.turns == [[{"role": "user", "content": case.turns[0][0]["content"]}]]
    assert case.functions[0]["name"] == "calculate_triangle_area"
    assert case.possible_answers == [{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}]
    assert case.tools[0] == {
        "type": "function",
        "function": {
            "name": "calculate_triangle_area",
            "description": case.functions[0]["description"],
            "parameters": {
                "type": "object",
                "properties": {
                    "base": {"type": "integer", "description": "The base of the triangle."},
                    "height": {"type": "integer", "description": "The height of the triangle."},
                    "unit": {
                        "type": "string",
                        "description": "The unit of measure (defaults to 'units' if not specified)",
                    },
                },
                "required": ["base", "height"],
            },
        },
    }
    (spec,) = case.tool_specs()
    assert isinstance(spec, ToolSpec) and spec.name == "calculate_triangle_area"
    assert spec.parameters == case.tools[0]["function"]["parameters"]
    assert load_bfcl("irrelevance", limit=1, root=bfcl_root)[0].ground_truth is None


def test_schema_conversion() -> None:
    bfcl = {
        "type": "dict",
        "properties": {
            "x": {"type": "float", "description": "d"},
            "pair": {"type": "tuple", "items": {"type": "float"}},
            "data": {"type": "any"},
            "rows": {"type": "array", "items": {"type": "dict", "properties": {"n": {"type": "integer"}}}},
            "flag": {"type": "boolean", "default": False, "enum": [True, False]},
        },
        "required": ["x"],
    }
    assert bfcl_to_json_schema(bfcl) == {
        "type": "object",
        "properties": {
            "x": {"type": "number", "description": "d"},
            "pair": {"type": "array", "items": {"type": "number"}},
            "data": {},
            "rows": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
            "flag": {"type": "boolean", "default": False, "enum": [True, False]},
        },
        "required": ["x"],
    }
    with pytest.raises(BFCLDataError, match="unknown BFCL type"):
        bfcl_to_json_schema({"type": "HashMap"})
    assert api_tool_name("math.factorial") == "math_factorial"
    assert api_tool_name("a.b.c_d-e") == "a_b_c_d-e"


_JSON_TYPES = {"object", "number", "array", "integer", "boolean", "string"}
_API_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _types(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        if isinstance(schema.get("type"), str):
            found.add(schema["type"])
        for key in ("properties",):
            for sub in (schema.get(key) or {}).values():
                found |= _types(sub)
        for key in ("items", "additionalProperties"):
            found |= _types(schema.get(key))
    return found


def test_every_tool_is_legal_for_apis(bfcl_root: Path) -> None:
    dotted = 0
    for category in bfcl_categories():
        for case in load_bfcl(category, root=bfcl_root):
            for turn in {0, len(case.turns) - 1}:
                for tool in case.tools_at(turn):
                    function = tool["function"]
                    assert _API_NAME.match(function["name"]), (case.id, function["name"])
                    assert _types(function["parameters"]) <= _JSON_TYPES, case.id
                    assert function["parameters"]["type"] == "object"
            assert set(case.tool_names.values()) == {doc["name"] for doc in case.functions_at(len(case.turns))}
            dotted += sum(api != bfcl for api, bfcl in case.tool_names.items())
    assert dotted > 500  # many BFCL names have dots; all are mapped back


def test_multi_turn_case_fields(bfcl_root: Path) -> None:
    case = load_bfcl("multi_turn_miss_func", limit=1, root=bfcl_root)[0]
    assert case.involved_classes == ["TwitterAPI", "GorillaFileSystem"]
    assert set(case.initial_config or {}) == {"TwitterAPI", "GorillaFileSystem"}
    assert case.excluded_function == ["cp"]
    assert case.turn_calls[0] == [
        "cd(folder='document')",
        "mkdir(dir_name='temp')",
        "mv(source='final_report.pdf', destination='temp')",
    ]
    assert len(case.turns) == len(case.turn_calls) == 5
    names = {doc["name"] for doc in case.functions}
    assert "sort" not in names and {"cd", "post_tweet", "cp"} <= names
    assert "sort" in {doc["name"] for doc in case.functions_at(3)}
    with pytest.raises(ValueError):
        _ = case.possible_answers
