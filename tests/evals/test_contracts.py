"""State-diff contracts: Agent-Diff's evaluation DSL, checked against diffs of its shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rollyard.evals._contracts import (
    AssertionResult,
    Contract,
    ContractError,
    DiffError,
    Verdict,
    check_contract,
)

Row = dict[str, Any]


def diff(
    inserts: Sequence[Row] = (), updates: Sequence[tuple[Row, Row]] = (), deletes: Sequence[Row] = ()
) -> dict[str, Any]:
    """A diff in rollyard's StateDiff shape: every row tagged with its entity."""
    return {
        "inserts": list(inserts),
        "updates": [{"before": before, "after": after} for before, after in updates],
        "deletes": list(deletes),
    }


def row(entity: str, **fields: Any) -> Row:
    return {"__table__": entity, **fields}


def one(assertion: dict[str, Any], **contract: Any) -> dict[str, Any]:
    return {"assertions": [assertion], **contract}


def check_one(assertion: dict[str, Any], the_diff: dict[str, Any], **contract: Any) -> AssertionResult:
    return check_contract(one(assertion, **contract), the_diff).results[0]


# --- operators ---------------------------------------------------------------------------------

OPERATOR_CASES = [
    # (predicate, a value it accepts, a value it rejects)
    ({"eq": 3}, 3, 4),
    ({"neq": "done"}, "open", "done"),
    ({"ne": "done"}, "open", "done"),
    ({"not_eq": "done"}, "open", "done"),
    ({"in": ["a", "b"]}, "b", "c"),
    ({"not_in": ["a", "b"]}, "c", "a"),
    ({"contains": "ell"}, "hello", "help"),
    ({"not_contains": "ell"}, "help", "hello"),
    ({"i_contains": "HELLO"}, "say Hello there", "say hi"),
    ({"starts_with": "re"}, "report", "prepare"),
    ({"ends_with": ".pdf"}, "q3.pdf", "q3.pdf.txt"),
    ({"i_starts_with": "RE"}, "Report", "prepare"),
    ({"i_ends_with": ".PDF"}, "q3.pdf", "q3.txt"),
    ({"regex": r"^C\d{3}$"}, "C123", "C12"),
    ({"gt": 5}, 6, 5),
    ({"gte": 5}, 5, 4),
    ({"lt": 5}, 4, 5),
    ({"lte": 5}, 5, 6),
    ({"gt": "2024-01-01"}, "2024-06-01", "2023-12-31"),
    ({"exists": True}, 0, None),
    ({"exists": False}, None, "x"),
    ({"is_null": True}, None, ""),
    ({"is_null": False}, "", None),
    ({"not_null": True}, False, None),
    ({"has_any": ["urgent", "p0"]}, ["p0", "ui"], ["ui"]),
    ({"has_all": ["a", "b"]}, ["b", "c", "a"], ["a", "c"]),
    ({"and": [{"gte": 1}, {"lte": 3}]}, 2, 4),
    ({"or": [{"eq": "a"}, {"starts_with": "x"}]}, "xyz", "b"),
    ({"gte": 1, "lte": 3}, 3, 0),  # several operators in one predicate: all must hold
    ("plain", "plain", "other"),  # a bare value means eq
]


@pytest.mark.parametrize(("predicate", "good", "bad"), OPERATOR_CASES, ids=lambda v: json.dumps(v)[:30])
def test_each_operator_accepts_and_rejects(predicate: Any, good: Any, bad: Any) -> None:
    assertion = {"diff_type": "added", "entity": "items", "where": {"v": predicate}, "expected_count": 1}
    accepted = check_one(assertion, diff([row("items", id=1, v=good)]))
    rejected = check_one(assertion, diff([row("items", id=1, v=bad)]))
    assert accepted.passed, accepted.reason
    assert not rejected.passed
    assert rejected.matched == 0


@pytest.mark.parametrize(
    ("predicate", "value", "expected"),
    [
        ({"contains": "1"}, 123, False),  # string operators never match a number
        ({"not_contains": "x"}, 123, False),  # ... not even the negative ones (Agent-Diff's rule)
        ({"starts_with": "N"}, None, False),
        ({"regex": r"\d"}, 5, False),
        ({"contains": '"p0"'}, ["p0", "ui"], True),  # JSON values are searched as compact JSON text
        ({"i_contains": '"STATE":"OPEN"'}, {"state": "open"}, True),
        ({"gt": 5}, None, False),  # values that cannot be ordered do not match
        ({"lt": 5}, "text", False),
        ({"has_any": ["a", "x"]}, "abc", True),  # a string is a sequence of characters
        ({"has_all": ["a"]}, 7, False),
        ({"eq": 1}, 1.0, True),
    ],
)
def test_non_string_values_follow_agent_diff(predicate: dict[str, Any], value: Any, expected: bool) -> None:
    result = check_one({"diff_type": "added", "entity": "t", "where": {"v": predicate}}, diff([row("t", v=value)]))
    assert result.passed is expected


def test_a_missing_field_reads_as_null() -> None:
    assertion = {"diff_type": "added", "entity": "t", "where": {"closed_at": {"is_null": True}}}
    assert check_one(assertion, diff([row("t", id=1)])).passed
    assertion = {"diff_type": "added", "entity": "t", "where": {"closed_at": {"exists": True}}}
    assert not check_one(assertion, diff([row("t", id=1)])).passed


# --- where: combinators and paths --------------------------------------------------------------


def test_where_and_or_nest() -> None:
    where = {
        "and": [
            {"status": {"neq": "archived"}},
            {"or": [{"channel_id": 1}, {"and": [{"channel_id": 2}, {"pinned": True}]}]},
        ]
    }
    assertion = {"diff_type": "added", "entity": "messages", "where": where, "expected_count": 2}
    rows = [
        row("messages", id=1, status="new", channel_id=1, pinned=False),  # first branch of the or
        row("messages", id=2, status="new", channel_id=2, pinned=True),  # the nested and
        row("messages", id=3, status="new", channel_id=2, pinned=False),  # nested and fails
        row("messages", id=4, status="archived", channel_id=1, pinned=True),  # outer and fails
    ]
    result = check_one(assertion, diff(rows))
    assert result.passed, result.reason
    assert result.matched == 2
    assert "channel_id eq 1" in result.description and " or " in result.description


def test_dotted_paths_reach_into_nested_values() -> None:
    rows = [
        row("events", id=1, payload={"user": {"id": "U1"}, "tags": ["a", "b"]}),
        row("events", id=2, payload='{"user": {"id": "U2"}}'),  # JSON kept as text
    ]
    by_dict = {"diff_type": "added", "entity": "events", "where": {"payload.user.id": "U1"}, "expected_count": 1}
    by_text = {"diff_type": "added", "entity": "events", "where": {"payload.user.id": "U2"}, "expected_count": 1}
    by_index = {"diff_type": "added", "entity": "events", "where": {"payload.tags.1": "b"}, "expected_count": 1}
    missing = {"diff_type": "added", "entity": "events", "where": {"payload.user.name": {"exists": True}}}
    assert check_one(by_dict, diff(rows)).passed
    assert check_one(by_text, diff(rows)).passed
    assert check_one(by_index, diff(rows)).passed
    assert not check_one(missing, diff(rows)).passed


# --- each diff_type ----------------------------------------------------------------------------


def test_added_passes_and_names_what_it_missed() -> None:
    assertion = {"diff_type": "added", "entity": "messages", "where": {"channel_id": {"eq": 3}}, "expected_count": 1}
    assert check_one(assertion, diff([row("messages", id=1, channel_id=3)])).passed
    failed = check_one(assertion, diff([row("messages", id=1, channel_id=4)]))
    assert not failed.passed
    assert failed.reason.startswith("expected 1 added row in messages where channel_id eq 3, found 0")
    assert "id=1" in failed.reason  # the near miss is named


def test_added_in_another_entity_does_not_count() -> None:
    assertion = {"diff_type": "added", "entity": "messages"}
    result = check_one(assertion, diff([row("reactions", id=1)]))
    assert not result.passed
    assert "the diff has no added rows in messages" in result.reason


def test_removed() -> None:
    assertion = {"diff_type": "removed", "entity": "channel_members", "where": {"user_id": "U2"}}
    assert check_one(assertion, diff(deletes=[row("channel_members", user_id="U2", channel_id="C1")])).passed
    assert not check_one(assertion, diff(inserts=[row("channel_members", user_id="U2", channel_id="C1")])).passed


def test_deleted_is_read_as_removed() -> None:
    # Agent-Diff's published Slack suite spells one assertion "deleted".
    contract = Contract.from_dict(one({"diff_type": "deleted", "entity": "messages"}))
    assert contract.assertions[0].diff_type == "removed"


def test_changed_matches_on_the_row_before_or_after() -> None:
    update = (row("orders", id=7, status="new"), row("orders", id=7, status="shipped"))
    for where in ({"status": "new"}, {"status": "shipped"}):
        assertion = {"diff_type": "changed", "entity": "orders", "where": where}
        assert check_one(assertion, diff(updates=[update])).passed


def test_unchanged_defaults_to_no_change_at_all() -> None:
    assertion = {"diff_type": "unchanged", "entity": "users", "where": {"role": "admin"}}
    assert check_one(assertion, diff(inserts=[row("users", id=2, role="member")])).passed
    touched = diff(
        inserts=[row("users", id=3, role="admin")],
        updates=[(row("users", id=1, role="admin", name="a"), row("users", id=1, role="admin", name="b"))],
        deletes=[row("users", id=4, role="admin")],
    )
    result = check_one(assertion, touched)
    assert not result.passed
    assert result.matched == 3
    assert result.reason.startswith('expected no change to users where role eq "admin", found 3')
    assert "added id=3" in result.reason and "changed id=1" in result.reason and "removed id=4" in result.reason


def test_unchanged_with_a_count() -> None:
    assertion = {"diff_type": "unchanged", "entity": "users", "expected_count": {"max": 1}}
    assert check_one(assertion, diff([row("users", id=1)])).passed
    assert not check_one(assertion, diff([row("users", id=1), row("users", id=2)])).passed


# --- expected_count ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected_count", "rows", "passed"),
    [
        (None, 0, False),  # default: at least one
        (None, 1, True),
        (None, 3, True),
        (2, 2, True),
        (2, 3, False),
        (0, 0, True),
        (0, 1, False),
        ({"min": 2}, 1, False),
        ({"min": 2}, 5, True),
        ({"max": 2}, 2, True),
        ({"max": 2}, 3, False),
        ({"min": 1, "max": 2}, 0, False),
        ({"min": 1, "max": 2}, 2, True),
    ],
)
def test_expected_count(expected_count: Any, rows: int, passed: bool) -> None:
    assertion: dict[str, Any] = {"diff_type": "added", "entity": "comments"}
    if expected_count is not None:
        assertion["expected_count"] = expected_count
    result = check_one(assertion, diff([row("comments", id=i) for i in range(rows)]))
    assert result.passed is passed, result.reason
    assert result.matched == rows


def test_too_many_rows_are_named() -> None:
    result = check_one(
        {"diff_type": "added", "entity": "comments", "expected_count": 1},
        diff([row("comments", id=1), row("comments", id=2)]),
    )
    assert result.reason == "expected 1 added row in comments, found 2: id=1, id=2"


# --- expected_changes --------------------------------------------------------------------------


def order_update(before: str, after: str, **extra_after: Any) -> tuple[Row, Row]:
    return row("orders", id=7, status=before, total=10), row(
        "orders", id=7, status=after, **{"total": 10, **extra_after}
    )


def test_expected_changes_from_and_to() -> None:
    assertion = {
        "diff_type": "changed",
        "entity": "orders",
        "where": {"id": 7},
        "expected_changes": {"status": {"from": "new", "to": {"in": ["shipped", "delivered"]}}},
    }
    assert check_one(assertion, diff(updates=[order_update("new", "shipped")])).passed
    wrong_to = check_one(assertion, diff(updates=[order_update("new", "cancelled")]))
    assert not wrong_to.passed
    assert 'id=7: status changed to "cancelled", expected to in ["shipped", "delivered"]' in wrong_to.reason
    wrong_from = check_one(assertion, diff(updates=[order_update("paid", "shipped")]))
    assert 'status changed from "paid", expected from eq "new"' in wrong_from.reason


def test_a_missing_change_is_named() -> None:
    assertion = {
        "diff_type": "changed",
        "entity": "orders",
        "where": {"id": 7},
        "expected_changes": {"status": {"to": "shipped"}},
    }
    before, after = row("orders", id=7, status="new", note=""), row("orders", id=7, status="new", note="called")
    result = check_one(assertion, diff(updates=[(before, after)]))
    assert not result.passed
    assert (
        'expected at least 1 changed row in orders where id eq 7 with status to eq "shipped", found 0' in result.reason
    )
    assert 'id=7: status did not change (still "new")' in result.reason


def test_a_bare_value_in_expected_changes_is_the_new_value() -> None:
    assertion = {"diff_type": "changed", "entity": "channels", "expected_changes": {"is_archived": True}}
    archived = (row("channels", id="C4", is_archived=False), row("channels", id="C4", is_archived=True))
    assert check_one(assertion, diff(updates=[archived])).passed
    assert not check_one(assertion, diff(updates=[(archived[1], archived[0])])).passed


def test_expected_changes_on_a_nested_field() -> None:
    before = row("issues", id=1, meta={"state": "open", "etag": "a"})
    after = row("issues", id=1, meta={"state": "closed", "etag": "b"})
    assertion = {"diff_type": "changed", "entity": "issues", "expected_changes": {"meta.state": {"to": "closed"}}}
    assert check_one(assertion, diff(updates=[(before, after)])).passed
    strict = check_one(assertion, diff(updates=[(before, after)]), strict=True)
    assert "not allowed by strict: meta.etag" in strict.reason


# --- strict ------------------------------------------------------------------------------------


def test_strict_allows_only_the_expected_fields_to_change() -> None:
    assertion = {"diff_type": "changed", "entity": "orders", "expected_changes": {"status": {"to": "shipped"}}}
    sloppy = diff(updates=[order_update("new", "shipped", total=99)])
    assert check_one(assertion, sloppy).passed  # strict is off by default
    result = check_one(assertion, sloppy, strict=True)
    assert not result.passed
    assert result.reason.startswith("changed rows in orders changed fields not allowed by strict: total")
    assert check_one(assertion, diff(updates=[order_update("new", "shipped")]), strict=True).passed


def test_strict_per_assertion_overrides_the_contract() -> None:
    sloppy = diff(updates=[order_update("new", "shipped", total=99)])
    base = {"diff_type": "changed", "entity": "orders", "expected_changes": {"status": {"to": "shipped"}}}
    assert not check_one({**base, "strict": True}, sloppy).passed
    assert check_one({**base, "strict": False}, sloppy, strict=True).passed


def test_strict_without_expected_changes_allows_no_change() -> None:
    result = check_one(
        {"diff_type": "changed", "entity": "orders"}, diff(updates=[order_update("new", "x")]), strict=True
    )
    assert "not allowed by strict: status (allowed: none" in result.reason


# --- ignore fields -----------------------------------------------------------------------------


def stamped(entity: str, **after: Any) -> tuple[Row, Row]:
    return row(entity, id=1, status="new", updated_at=1), row(
        entity, id=1, **{"status": "new", "updated_at": 2, **after}
    )


@pytest.mark.parametrize(
    "contract_ignores",
    [{"global": ["updated_at"]}, {"orders": ["updated_at"]}],
    ids=["global", "entity"],
)
def test_ignored_fields_are_left_out_of_change_detection(contract_ignores: dict[str, list[str]]) -> None:
    assertion = {"diff_type": "changed", "entity": "orders", "expected_changes": {"status": {"to": "done"}}}
    the_diff = diff(updates=[stamped("orders", status="done")])
    assert not check_one(assertion, the_diff, strict=True).passed
    assert check_one(assertion, the_diff, strict=True, ignore_fields=contract_ignores).passed


def test_entity_ignores_apply_to_their_entity_only() -> None:
    assertion = {"diff_type": "changed", "entity": "orders", "expected_changes": {"status": {"to": "done"}}}
    the_diff = diff(updates=[stamped("orders", status="done")])
    assert not check_one(assertion, the_diff, strict=True, ignore_fields={"carts": ["updated_at"]}).passed


def test_assertion_ignore_adds_to_the_contract_ignores() -> None:
    assertion = {
        "diff_type": "changed",
        "entity": "orders",
        "ignore": ["updated_at"],
        "expected_changes": {"status": {"to": "done"}},
    }
    assert check_one(assertion, diff(updates=[stamped("orders", status="done")]), strict=True).passed


def test_an_update_of_ignored_fields_only_is_no_change() -> None:
    touch_only = diff(updates=[stamped("orders")])
    unchanged = {"diff_type": "unchanged", "entity": "orders"}
    assert not check_one(unchanged, touch_only).passed
    assert check_one(unchanged, touch_only, ignore_fields={"global": ["updated_at"]}).passed
    changed = {"diff_type": "changed", "entity": "orders"}
    assert check_one(changed, touch_only).passed
    assert not check_one(changed, touch_only, ignore_fields={"global": ["updated_at"]}).passed
    verdict = check_contract(
        {"closed_world": True, "ignore_fields": {"global": ["updated_at"]}, "assertions": []}, touch_only
    )
    assert verdict.passed and verdict.unexplained == []


# --- closed world ------------------------------------------------------------------------------


def test_closed_world_names_the_extra_side_effect() -> None:
    contract = {
        "closed_world": True,
        "assertions": [{"diff_type": "added", "entity": "messages", "where": {"channel_id": 3}, "expected_count": 1}],
    }
    clean = diff([row("messages", id=10, channel_id=3, text="hi")])
    assert check_contract(contract, clean).passed
    messy = diff(
        [row("messages", id=10, channel_id=3, text="hi"), row("messages", id=11, channel_id=9, text="oops")],
        updates=[(row("users", id=2, email="a@x"), row("users", id=2, email="b@x"))],
        deletes=[row("files", file_id="F1", name="q3.pdf")],
    )
    verdict = check_contract(contract, messy)
    assert not verdict.passed
    assert verdict.results[0].passed  # the assertion itself holds
    assert verdict.unexplained == [
        'added messages id=11 (channel_id=9, text="oops")',
        'changed users id=2: email "a@x" -> "b@x"',
        'removed files file_id="F1" (name="q3.pdf")',
    ]
    failure = verdict.failures[-1]
    assert failure["assertion"] == "closed_world"
    assert failure["reason"].startswith("3 unexplained changes: added messages id=11")
    assert verdict.score == pytest.approx(1 / 2)


def test_closed_world_is_off_by_default() -> None:
    contract = {"assertions": [{"diff_type": "added", "entity": "messages"}]}
    verdict = check_contract(contract, diff([row("messages", id=1), row("audit", id=2)]))
    assert verdict.passed and verdict.unexplained == [] and verdict.score == 1.0


def test_a_row_that_fails_its_assertion_is_not_explained() -> None:
    contract = {
        "closed_world": True,
        "assertions": [{"diff_type": "changed", "entity": "orders", "expected_changes": {"status": {"to": "done"}}}],
    }
    verdict = check_contract(contract, diff(updates=[order_update("new", "lost")]))
    assert verdict.unexplained == ['changed orders id=7: status "new" -> "lost"']


def test_an_empty_closed_world_contract_means_nothing_may_change() -> None:
    contract = {"closed_world": True, "assertions": []}
    assert check_contract(contract, diff()).passed
    assert not check_contract(contract, diff([row("t", id=1)])).passed


# --- verdict -----------------------------------------------------------------------------------


def test_score_is_the_fraction_of_assertions_that_passed() -> None:
    contract = {
        "assertions": [
            {"diff_type": "added", "entity": "a"},
            {"diff_type": "added", "entity": "b"},
            {"diff_type": "added", "entity": "c"},
            {"diff_type": "unchanged", "entity": "d"},
        ]
    }
    verdict = check_contract(contract, diff([row("a", id=1), row("e", id=1)]))
    assert not verdict.passed
    assert verdict.score == pytest.approx(2 / 4)
    assert [f["assertion"] for f in verdict.failures] == [1, 2]
    assert [r.passed for r in verdict.results] == [True, False, False, True]
    with_closed_world = check_contract({**contract, "closed_world": True}, diff([row("a", id=1), row("e", id=1)]))
    assert with_closed_world.score == pytest.approx(2 / 5)  # e's insert is unexplained


def test_verdict_to_dict() -> None:
    contract = {
        "assertions": [
            {"diff_type": "added", "entity": "messages", "description": "posts the reply"},
            {"diff_type": "removed", "entity": "messages"},
        ]
    }
    verdict = check_contract(contract, diff([row("messages", id=1)]))
    assert isinstance(verdict, Verdict)
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["passed"] is False and data["score"] == 0.5
    assert data["failures"] == [
        {
            "assertion": 1,
            "description": "removed messages",
            "entity": "messages",
            "diff_type": "removed",
            "reason": "expected at least 1 removed row in messages, found 0; the diff has no removed rows in messages",
        }
    ]
    first = data["assertions"][0]
    assert first["description"] == "posts the reply" and first["passed"] is True and first["matched"] == 1


# --- Agent-Diff's published shape --------------------------------------------------------------

# A test in the shape of Agent-Diff's Slack bench: its assertions are a contract as they stand.
SLACK_TEST = {
    "id": "test_1",
    "prompt": "Send a 'hello' message to the general channel",
    "assertions": [
        {
            "diff_type": "added",
            "entity": "messages",
            "where": {"channel_id": {"eq": "C01ABCD1234"}, "message_text": {"contains": "hello"}},
            "expected_count": 1,
        },
        {
            "diff_type": "changed",
            "entity": "channels",
            "where": {"channel_id": {"eq": "C01ABCD1234"}},
            "expected_changes": {"topic_text": {"to": {"contains": "Weekly standup"}}},
        },
    ],
}

# Agent-Diff's own differ tags updates at the top and leaves the before/after rows untagged.
AGENT_DIFF_DIFF = {
    "inserts": [
        {
            "__table__": "messages",
            "message_id": "1700000000.000100",
            "channel_id": "C01ABCD1234",
            "user_id": "U01AGENBOT9",
            "message_text": "hello everyone",
            "created_at": "2025-01-01T10:00:00",
        }
    ],
    "updates": [
        {
            "__table__": "channels",
            "before": {"channel_id": "C01ABCD1234", "topic_text": "General", "updated_at": "2025-01-01T09:00:00"},
            "after": {
                "channel_id": "C01ABCD1234",
                "topic_text": "Weekly standup notes",
                "updated_at": "2025-01-01T10:00:00",
            },
        }
    ],
    "deletes": [],
}


def test_agent_diff_suite_test_checks_against_agent_diff_diff() -> None:
    spec = {"ignore_fields": {"global": ["created_at", "updated_at"]}, "assertions": SLACK_TEST["assertions"]}
    verdict = check_contract(spec, AGENT_DIFF_DIFF)
    assert verdict.passed, verdict.failures
    strict = check_contract({**spec, "strict": True, "closed_world": True}, AGENT_DIFF_DIFF)
    assert strict.passed, strict.failures
    wrong_channel = json.loads(json.dumps(AGENT_DIFF_DIFF))
    wrong_channel["inserts"][0]["channel_id"] = "C02EFGH5678"
    failed = check_contract(spec, wrong_channel)
    assert failed.score == 0.5
    assert failed.failures[0]["reason"].startswith(
        'expected 1 added row in messages where channel_id eq "C01ABCD1234" and message_text contains "hello", found 0'
    )
    assert 'message_id="1700000000.000100"' in failed.failures[0]["reason"]


def test_a_rollyard_state_diff_is_checked_as_is() -> None:
    from rollyard.envs._diff import diff_states

    before = {"orders": [{"id": 1, "status": "new"}], "carts": [{"id": 5, "user": 1}]}
    after = {"orders": [{"id": 1, "status": "paid"}], "carts": []}
    state_diff = diff_states(before, after, {"orders": ["id"], "carts": ["id"]}).to_dict()
    contract = {
        "strict": True,
        "closed_world": True,
        "assertions": [
            {
                "diff_type": "changed",
                "entity": "orders",
                "where": {"id": 1},
                "expected_changes": {"status": {"to": "paid"}},
            },
            {"diff_type": "removed", "entity": "carts", "where": {"user": 1}},
        ],
    }
    assert check_contract(contract, state_diff).passed


# --- loading and malformed contracts -----------------------------------------------------------


def test_load_json_and_yaml(tmp_path: Path) -> None:
    contract = one({"diff_type": "added", "entity": "messages", "where": {"channel_id": 3}}, closed_world=True)
    (tmp_path / "c.json").write_text(json.dumps(contract))
    (tmp_path / "c.yaml").write_text(
        "version: 0.1\nclosed_world: true\nassertions:\n  - diff_type: added\n    entity: messages\n    where: {channel_id: 3}\n"
    )
    (tmp_path / "c.yml").write_text((tmp_path / "c.yaml").read_text())
    loaded = [Contract.load(tmp_path / name) for name in ("c.json", "c.yaml", "c.yml")]
    assert loaded[1] == loaded[2]
    assert loaded[1].info == {"version": "0.1"}
    assert loaded[0] == Contract.from_dict(contract) == replace(loaded[1], info={})
    assert loaded[0].closed_world and loaded[0].assertions[0].entity == "messages"


def test_unquoted_yaml_dates_and_times_stay_the_text_written(tmp_path: Path) -> None:
    # World rows hold ISO text; PyYAML alone would make these date/datetime objects
    # that never equal a row's value.
    (tmp_path / "c.yaml").write_text(
        "assertions:\n  - diff_type: added\n    entity: events\n"
        "    where: {day: 2026-03-04, starts: 2026-03-04 09:00:00, ends: {lt: 2026-03-04T10:30:00}}\n"
    )
    contract = Contract.load(tmp_path / "c.yaml")
    good = row("events", day="2026-03-04", starts="2026-03-04 09:00:00", ends="2026-03-04T10:00:00")
    assert check_contract(contract, diff(inserts=[good])).passed
    late = {**good, "ends": "2026-03-04T11:00:00"}
    assert not check_contract(contract, diff(inserts=[late])).passed


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.txt", "{}", "expected a .json, .yaml or .yml file"),
        ("c.json", "{nope", "is not valid JSON"),
        ("c.yaml", "a: [1, 2", "is not valid YAML"),
        ("c.yaml", "- 1\n- 2\n", "must hold a mapping, got list"),
    ],
)
def test_load_rejects_unreadable_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ContractError, match=message):
        Contract.load(tmp_path / name)
    with pytest.raises(ContractError, match="cannot read contract"):
        Contract.load(tmp_path / "missing.json")


def added(**extra: Any) -> dict[str, Any]:
    return {"diff_type": "added", "entity": "messages", **extra}


MALFORMED = [
    (
        {"assertions": [added(), added(), added(where={"status": {"equals": 1}})]},
        "assertions[2].where.status: unknown operator 'equals'",
    ),
    (
        {"assertions": [added(where={"text": {"contians": "x"}})]},
        "unknown operator 'contians' (did you mean 'contains'?)",
    ),
    ({}, "assertions: missing"),
    ({"assertions": {}}, "assertions: expected a list"),
    ({"assertions": [], "strictness": True}, "strictness: unknown field"),
    ({"assertions": [], "aggregates": []}, "aggregates: aggregates are not supported"),
    ({"assertions": [], "strict": "yes"}, "strict: expected true or false"),
    ({"assertions": [{"entity": "m"}]}, "assertions[0].diff_type: expected one of added, removed, changed, unchanged"),
    ({"assertions": [{"diff_type": "created", "entity": "m"}]}, "assertions[0].diff_type"),
    ({"assertions": [{"diff_type": "added"}]}, "assertions[0].entity: expected the entity"),
    ({"assertions": [added(expected_count=-1)]}, "assertions[0].expected_count: expected a count of 0 or more"),
    (
        {"assertions": [added(expected_count={"min": 3, "max": 1})]},
        "assertions[0].expected_count: min 3 is greater than max 1",
    ),
    ({"assertions": [added(expected_count={"least": 1})]}, "assertions[0].expected_count: expected an integer or"),
    ({"assertions": [added(expected_count={"min": 1.5})]}, "assertions[0].expected_count.min: expected an integer"),
    ({"assertions": [added(expected_count=True)]}, "assertions[0].expected_count"),
    ({"assertions": [added(where=["a"])]}, "assertions[0].where: expected a mapping"),
    ({"assertions": [added(where={"id": {"in": 3}})]}, "assertions[0].where.id.in: expects a list, got a number"),
    ({"assertions": [added(where={"t": {"regex": "("}})]}, "assertions[0].where.t.regex: invalid regular expression"),
    ({"assertions": [added(where={"n": {"gt": True}})]}, "assertions[0].where.n.gt: expects a number or a string"),
    ({"assertions": [added(where={"n": {"exists": "yes"}})]}, "assertions[0].where.n.exists: expects true or false"),
    ({"assertions": [added(where={"or": []})]}, "assertions[0].where.or: expects a non-empty list"),
    (
        {"assertions": [added(where={"and": [{"a": 1}, {"b": {"nope": 1}}]})]},
        "assertions[0].where.and[1].b: unknown operator 'nope'",
    ),
    (
        {"assertions": [added(expected_changes={"a": {"to": 1}})]},
        "assertions[0].expected_changes: applies to diff_type 'changed' only",
    ),
    ({"assertions": [added(strict=True)]}, "assertions[0].strict: strict applies to diff_type 'changed' only"),
    ({"assertions": [added(ignore="updated_at")]}, "assertions[0].ignore: expected a list of field names"),
    ({"assertions": [added(colour="red")]}, "assertions[0].colour: unknown field"),
    ({"assertions": [], "ignore_fields": {"global": [""]}}, "ignore_fields.global[0]: expected a non-empty field name"),
    (
        {"assertions": [{"diff_type": "changed", "entity": "o", "expected_changes": {"status": {"eq": "x"}}}]},
        'assertions[0].expected_changes.status.eq: expected only "from" and "to"',
    ),
    (
        {
            "assertions": [
                {"diff_type": "changed", "entity": "o", "expected_changes": {"s": {"to": {"eq": 1, "bad": 2}}}}
            ]
        },
        "assertions[0].expected_changes.s.to: unknown operator 'bad'",
    ),
    (
        {
            "ignore_fields": {"global": ["updated_at"]},
            "assertions": [{"diff_type": "changed", "entity": "o", "expected_changes": {"updated_at": {"to": 2}}}],
        },
        "assertions[0].expected_changes.updated_at: this field is ignored",
    ),
]


@pytest.mark.parametrize(("contract", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_contracts_name_the_bad_field(contract: dict[str, Any], message: str) -> None:
    with pytest.raises(ContractError) as caught:
        Contract.from_dict(contract)
    assert message in str(caught.value)
    assert str(caught.value).startswith(caught.value.path)


def test_check_contract_rejects_a_malformed_contract() -> None:
    with pytest.raises(ContractError, match=r"assertions\[0\]\.entity"):
        check_contract({"assertions": [{"diff_type": "added"}]}, diff())


@pytest.mark.parametrize(
    ("the_diff", "message"),
    [
        ([], "diff: expected a mapping"),
        ({"inserts": [], "changes": []}, "diff.changes: unknown key"),
        ({"inserts": {}}, "diff.inserts: expected a list"),
        ({"inserts": ["row"]}, r"diff.inserts\[0\]: expected a row"),
        ({"inserts": [{"id": 1}]}, r"diff.inserts\[0\]: the row names no entity"),
        ({"updates": [{"before": {"__table__": "t"}}]}, r"diff.updates\[0\]: an update is"),
        ({"deletes": [{"__table__": 3}]}, r"diff.deletes\[0\]: the row names no entity"),
    ],
)
def test_malformed_diffs_are_named(the_diff: Any, message: str) -> None:
    with pytest.raises(DiffError, match=message):
        check_contract({"assertions": []}, the_diff)
