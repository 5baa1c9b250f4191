"""Every request captured from a real harness (shared/fixtures/harness-captures):
re-renders to the same body in its own dialect, and converts to each other dialect
and back without losing tools, calls, results, ids or reasoning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rollyard.wire import CODECS, DIALECTS, ConversionReport, Dialect, codec
from tests.wire.semantics import summary

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "harness-captures"
DIALECT_BY_PATH: dict[str, Dialect] = {
    "/v1/chat/completions": "chat",
    "/v1/responses": "responses",
    "/v1/messages": "anthropic",
}


def _captures() -> list[tuple[str, Dialect, dict[str, Any]]]:
    found = []
    for path in sorted(FIXTURES.glob("*/*/*.json")):
        capture = json.loads(path.read_text())
        if capture["method"] != "POST":
            continue
        dialect = DIALECT_BY_PATH[capture["path"].split("?")[0]]
        found.append((str(path.relative_to(FIXTURES)), dialect, capture["body"]))
    return found


CAPTURES = _captures()


def test_fixtures_are_present() -> None:
    assert FIXTURES.is_dir(), f"harness captures not found at {FIXTURES}"
    assert {d for _, d, _ in CAPTURES} == set(DIALECTS)


@pytest.mark.parametrize(("name", "dialect", "body"), CAPTURES, ids=[c[0] for c in CAPTURES])
def test_rerenders_to_the_same_body(name: str, dialect: Dialect, body: dict[str, Any]) -> None:
    source = codec(dialect)
    assert source.render_request(source.parse_request(body)) == body


@pytest.mark.parametrize(("name", "dialect", "body"), CAPTURES, ids=[c[0] for c in CAPTURES])
def test_converts_to_each_dialect_and_back(name: str, dialect: Dialect, body: dict[str, Any]) -> None:
    source = codec(dialect)
    original = source.parse_request(body)
    for target_dialect in DIALECTS:
        if target_dialect == dialect:
            continue
        target = CODECS[target_dialect]
        report = ConversionReport()
        foreign = target.render_request(original, report=report)
        json.dumps(foreign)  # a real JSON body
        via_target = target.parse_request(foreign)
        back = source.render_request(via_target)
        assert summary(source.parse_request(back)) == summary(original), f"{dialect} -> {target_dialect} -> back"
        # Lossless conversions carry the source's own fields back too.
        assert back == body, f"{dialect} -> {target_dialect} -> {dialect} is not the original body"


@pytest.mark.parametrize(("name", "dialect", "body"), CAPTURES, ids=[c[0] for c in CAPTURES])
def test_upstream_renders_report_what_they_cannot_carry(name: str, dialect: Dialect, body: dict[str, Any]) -> None:
    original = codec(dialect).parse_request(body)
    for target_dialect in DIALECTS:
        if target_dialect == dialect:
            continue
        report = ConversionReport()
        foreign = CODECS[target_dialect].render_request(original, lossless=False, report=report)
        assert "_rollyard" not in json.dumps(foreign)
        kinds = {t.kind for t in original.tools}
        if kinds - {"function"} and target_dialect != "responses":
            assert report.warnings, "non-function tools were dropped without a warning"
