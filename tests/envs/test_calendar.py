"""The ``calendar`` world: each tool's behaviour and errors, seeding, snapshots and diffs."""

from __future__ import annotations

from typing import Any

import pytest

from rollyard.envs import make_world
from rollyard.envs._calendar import CalendarWorld
from tests.envs.world_calls import assert_tools_documented, call, error, ok

# Fixed events of the seed (ids are the same for every seed).
STANDUP_TODAY, STANDUP_TUE = 6, 7
SPRINT_PLANNING, DANA_1ON1, VENDOR_CALL, LUNCH_AND_LEARN = 19, 21, 24, 26
ARCH_FORUM, JONAS_LUNCH, RETRO, SALES_SYNC = 29, 33, 34, 35


@pytest.fixture
def world() -> CalendarWorld:
    return CalendarWorld(seed=0)


def event(world: CalendarWorld, event_id: int) -> dict[str, Any]:
    (row,) = [e for e in world.state()["events"] if e["id"] == event_id]
    return row


def rsvp(world: CalendarWorld, event_id: int, person: str) -> str | None:
    rows = [a for a in world.state()["attendees"] if (a["event_id"], a["person_id"]) == (event_id, person)]
    return rows[0]["rsvp"] if rows else None


# ---- the world as a whole ----


def test_registry_and_tools() -> None:
    world = make_world("calendar", seed=0)
    assert isinstance(world, CalendarWorld) and world.name == "calendar"
    assert world.toolset.names() == [
        "list_events",
        "get_event",
        "search_people",
        "list_rooms",
        "find_free_slots",
        "create_event",
        "update_event",
        "cancel_event",
        "invite",
        "uninvite",
        "respond_rsvp",
        "book_room",
    ]
    assert_tools_documented(world)


def test_seeding_is_deterministic_and_varies_by_seed() -> None:
    first, again, other = CalendarWorld(seed=0), CalendarWorld(seed=0), CalendarWorld(seed=5)
    assert first.state() == again.state()
    assert first.state() != other.state()
    for seed in range(5):
        events = CalendarWorld(seed=seed).state()["events"]
        assert 30 <= len(events) <= 60
        # The seeded meetings never involve Maya's team, so tasks about them hold for every seed.
        team = {"maya", "tom", "priya", "aiko", "sam", "noor"}
        extra = {e["id"] for e in events if e["id"] > 38}
        assert not any(e["organizer_id"] in team or e["room_id"] for e in events if e["id"] in extra)
    assert first.state()["events"][:38] == other.state()["events"][:38]


def test_reset_and_snapshot_restore_after_irreversible_actions(world: CalendarWorld) -> None:
    initial = world.state()
    snapshot = world.toolset.snapshot()
    ok(world, "cancel_event", event_id=RETRO, note="offsite")
    ok(world, "cancel_event", event_id=JONAS_LUNCH)
    assert "is cancelled" in error(world, "update_event", event_id=RETRO, title="Retro again")
    world.toolset.restore(snapshot)
    assert world.state() == initial
    assert ok(world, "update_event", event_id=RETRO, title="Retro again")["title"] == "Retro again"
    world.reset(0)
    assert world.state() == initial


# ---- reading ----


def test_list_events(world: CalendarWorld) -> None:
    tuesday = ok(world, "list_events", start_date="2026-03-03")
    assert [e["id"] for e in tuesday] == [STANDUP_TUE, DANA_1ON1, 22, 23, VENDOR_CALL]
    assert tuesday[1]["attendees"] == [{"person": "maya", "rsvp": "accepted", "optional": False}]
    aiko_thursday = ok(world, "list_events", start_date="2026-03-05", person="Aiko Tanaka")
    assert [e["title"] for e in aiko_thursday] == ["Daily standup", "Dentist", "Quarterly roadmap"]
    ok(world, "cancel_event", event_id=VENDOR_CALL)
    assert VENDOR_CALL not in [e["id"] for e in ok(world, "list_events", start_date="2026-03-03")]
    with_cancelled = ok(world, "list_events", start_date="2026-03-03", include_cancelled=True)
    assert [e["status"] for e in with_cancelled if e["id"] == VENDOR_CALL] == ["cancelled"]
    assert "before start_date" in error(world, "list_events", start_date="2026-03-05", end_date="2026-03-01")
    assert "not a date" in error(world, "list_events", start_date="next tuesday")
    assert "at most 31 days" in error(world, "list_events", start_date="2026-01-01", end_date="2026-03-01")
    assert "search_people" in error(world, "list_events", start_date="2026-03-03", person="Zed")


def test_get_event_and_search_people(world: CalendarWorld) -> None:
    retro = ok(world, "get_event", event_id=RETRO)
    assert (retro["room"], retro["location"], retro["organizer"], retro["calendar"]) == (
        "atlas",
        "Atlas",
        "maya",
        "platform",
    )
    assert sorted(a["rsvp"] for a in retro["attendees"]) == ["accepted"] * 4 + ["tentative"]
    assert "no event 999" in error(world, "get_event", event_id=999)
    platform = ok(world, "search_people", query="platform")
    assert [p["id"] for p in platform] == ["aiko", "maya", "noor", "priya", "sam", "tom"]
    assert [p["email"] for p in ok(world, "search_people", query="Noor")] == ["noor@northwind.io"]
    assert len(ok(world, "search_people")) == 11


def test_list_rooms(world: CalendarWorld) -> None:
    rooms = ok(world, "list_rooms")
    assert [(r["id"], r["capacity"]) for r in rooms] == [
        ("delta", 2),
        ("atlas", 4),
        ("borealis", 8),
        ("cosmos", 12),
        ("everest", 20),
    ]
    friday = ok(world, "list_rooms", start="2026-03-06T16:00", end="2026-03-06T17:00", min_capacity=6)
    assert [(r["id"], r["free"]) for r in friday] == [("borealis", False), ("cosmos", True), ("everest", True)]
    assert friday[0]["booked_by"] == f"Sales pipeline sync (event {SALES_SYNC})"
    assert "both start and end" in error(world, "list_rooms", start="2026-03-06T16:00")


def test_find_free_slots(world: CalendarWorld) -> None:
    wednesday = ok(world, "find_free_slots", people=["priya", "Tom"], start_date="2026-03-04", day_start="13:00")
    assert wednesday == [{"start": "2026-03-04T14:30", "end": "2026-03-04T18:00"}]
    lunch = ok(
        world,
        "find_free_slots",
        people=["tom", "priya", "aiko"],
        start_date="2026-03-05",
        end_date="2026-03-06",
        duration_minutes=60,
        day_start="11:30",
        day_end="14:00",
    )
    assert lunch == [{"start": "2026-03-06T13:00", "end": "2026-03-06T14:00"}]
    # Only windows long enough count (09:00-09:30 is too short for 45 minutes); weekends have none.
    today = ok(world, "find_free_slots", people=[], start_date="2026-03-02", duration_minutes=45)
    assert [(w["start"][11:], w["end"][11:]) for w in today] == [
        ("09:45", "11:00"),
        ("12:00", "14:00"),
        ("15:00", "18:00"),
    ]
    # Nothing before "now" (08:30).
    early = ok(world, "find_free_slots", people=[], start_date="2026-03-02", day_start="07:00", day_end="09:00")
    assert early == [{"start": "2026-03-02T08:30", "end": "2026-03-02T09:00"}]
    assert ok(world, "find_free_slots", people=[], start_date="2026-03-07", end_date="2026-03-08") == []
    # A declined invitation frees the time.
    ok(world, "respond_rsvp", event_id=DANA_1ON1, response="declined")
    tuesday = ok(world, "find_free_slots", people=[], start_date="2026-03-03", day_start="10:00", day_end="11:00")
    assert tuesday == [{"start": "2026-03-03T10:00", "end": "2026-03-03T11:00"}]
    assert "positive" in error(world, "find_free_slots", people=[], start_date="2026-03-03", duration_minutes=0)
    assert "not a time" in error(world, "find_free_slots", people=[], start_date="2026-03-03", day_start="9am")


# ---- changing ----


def test_create_event(world: CalendarWorld) -> None:
    created = ok(
        world,
        "create_event",
        title="API versioning sync",
        start="2026-03-04T14:30",
        end="2026-03-04 15:00",
        attendees=["Priya Raman", "tom@northwind.io", "me"],
        room="Atlas",
    )
    assert (created["id"], created["room"], created["location"], created["calendar"]) == (53, "atlas", "Atlas", "maya")
    assert [(a["person"], a["rsvp"]) for a in created["attendees"]] == [
        ("priya", "needs_action"),
        ("tom", "needs_action"),
    ]
    assert "warnings" not in created
    row = event(world, 53)
    assert (row["start"], row["end"], row["organizer_id"], row["status"]) == (
        "2026-03-04T14:30",
        "2026-03-04T15:00",
        "maya",
        "confirmed",
    )
    clash = ok(world, "create_event", title="Sync", start="2026-03-05T11:00", end="2026-03-05T11:30", attendees=["sam"])
    assert "sam is busy then (Architecture forum)" in clash["warnings"]
    team = ok(world, "create_event", title="T", start="2026-03-10T10:00", end="2026-03-10T10:30", calendar="platform")
    assert team["calendar"] == "platform"


def test_create_event_errors(world: CalendarWorld) -> None:
    assert "in the past" in error(world, "create_event", title="x", start="2026-03-01T10:00", end="2026-03-01T11:00")
    assert "end after it starts" in error(
        world, "create_event", title="x", start="2026-03-04T10:00", end="2026-03-04T09:00"
    )
    assert "not a date-time" in error(world, "create_event", title="x", start="tomorrow", end="2026-03-04T09:00")
    assert "timezone" in error(world, "create_event", title="x", start="2026-03-04T10:00+01:00", end="2026-03-04T11:00")
    busy = error(world, "create_event", title="x", start="2026-03-06T16:30", end="2026-03-06T17:30", room="borealis")
    assert "Borealis is booked then (Sales pipeline sync" in busy
    small = error(
        world,
        "create_event",
        title="x",
        start="2026-03-10T10:00",
        end="2026-03-10T11:00",
        attendees=["tom", "sam"],
        room="delta",
    )
    assert "Delta seats 2; this meeting has 3 people" in small
    assert "nobody called" in error(
        world, "create_event", title="x", start="2026-03-10T10:00", end="2026-03-10T11:00", attendees=["Zed"]
    )
    assert "matches several people" in error(
        world, "create_event", title="x", start="2026-03-10T10:00", end="2026-03-10T11:00", attendees=["a"]
    )
    assert "your calendars only (maya, platform)" in error(
        world, "create_event", title="x", start="2026-03-10T10:00", end="2026-03-10T11:00", calendar="dana"
    )
    assert "your calendars only" in error(
        world, "create_event", title="x", start="2026-03-10T10:00", end="2026-03-10T11:00", calendar="x"
    )


def test_update_event(world: CalendarWorld) -> None:
    moved = ok(world, "update_event", event_id=VENDOR_CALL, start="2026-03-06T11:00")
    assert (moved["start"], moved["end"]) == ("2026-03-06T11:00", "2026-03-06T11:30")  # the length is kept
    row = event(world, VENDOR_CALL)
    assert row["updated_at"] == "2026-03-02T08:30"
    ok(world, "update_event", event_id=VENDOR_CALL, end="2026-03-06T12:00", location="Room 4", description="Agenda")
    row = event(world, VENDOR_CALL)
    assert (row["end"], row["location"], row["description"]) == ("2026-03-06T12:00", "Room 4", "Agenda")
    clash = ok(world, "update_event", event_id=VENDOR_CALL, start="2026-03-05T15:00")
    assert "maya is busy then (Quarterly roadmap)" in clash["warnings"]
    assert "only the organizer (Elena Petrova)" in error(world, "update_event", event_id=25, title="x")
    assert "nothing to change" in error(world, "update_event", event_id=RETRO, title="Team retro")
    assert "in the past" in error(world, "update_event", event_id=RETRO, start="2026-02-27T16:00")
    # A room goes with the event: moving it onto a time the room is taken fails.
    ok(world, "book_room", event_id=JONAS_LUNCH, room="delta")
    assert "Delta is booked then" in error(world, "update_event", event_id=JONAS_LUNCH, start="2026-03-11T15:00")


def test_cancel_event_is_final(world: CalendarWorld) -> None:
    assert "cancelled event 34" in ok(world, "cancel_event", event_id=RETRO, note="  Offsite  ")
    row = event(world, RETRO)
    assert (row["status"], row["cancel_note"]) == ("cancelled", "Offsite")
    assert "is cancelled" in error(world, "cancel_event", event_id=RETRO)
    assert "is cancelled" in error(world, "invite", event_id=RETRO, people=["noor"])
    assert "only the organizer (Tom Becker)" in error(world, "cancel_event", event_id=ARCH_FORUM)
    # A cancelled event no longer holds its room.
    free = ok(world, "list_rooms", start="2026-03-06T16:00", end="2026-03-06T17:00", min_capacity=4)
    assert [r["free"] for r in free if r["id"] == "atlas"] == [True]


def test_invite_and_uninvite(world: CalendarWorld) -> None:
    result = ok(world, "invite", event_id=VENDOR_CALL, people=["sam", "tom"], optional=True)
    assert result == {"event_id": VENDOR_CALL, "invited": ["sam"], "already_invited": ["tom"]}
    (sam,) = [a for a in world.state()["attendees"] if (a["event_id"], a["person_id"]) == (VENDOR_CALL, "sam")]
    assert (sam["rsvp"], sam["optional"]) == ("needs_action", 1)
    busy = ok(world, "invite", event_id=RETRO, people=["ravi"])
    assert busy["warnings"] == ["ravi is busy then (Sales pipeline sync)"]
    assert "organize this event already" in error(world, "invite", event_id=RETRO, people=["maya"])
    assert "at least one" in error(world, "invite", event_id=RETRO, people=[])
    assert "only the organizer" in error(world, "invite", event_id=LUNCH_AND_LEARN, people=["sam"])
    assert "removed Sam Okafor" in ok(world, "uninvite", event_id=VENDOR_CALL, person="sam")
    assert rsvp(world, VENDOR_CALL, "sam") is None
    assert "not invited" in error(world, "uninvite", event_id=VENDOR_CALL, person="sam")


def test_respond_rsvp(world: CalendarWorld) -> None:
    assert ok(world, "respond_rsvp", event_id=LUNCH_AND_LEARN, response="declined").startswith("declined")
    assert rsvp(world, LUNCH_AND_LEARN, "maya") == "declined"
    before = world.state()
    ok(world, "respond_rsvp", event_id=LUNCH_AND_LEARN, response="declined")
    assert world.state() == before
    assert "you organize" in error(world, "respond_rsvp", event_id=RETRO, response="accepted")
    assert "not invited" in error(world, "respond_rsvp", event_id=SALES_SYNC, response="accepted")
    assert call(world, "respond_rsvp", event_id=ARCH_FORUM, response="maybe").status == "invalid_arguments"


def test_book_room(world: CalendarWorld) -> None:
    booked = ok(world, "book_room", event_id=RETRO, room="Cosmos")
    assert (booked["room"], booked["location"]) == ("cosmos", "Cosmos")
    assert "already in Cosmos" in error(world, "book_room", event_id=RETRO, room="cosmos")
    assert "Borealis is booked then" in error(world, "book_room", event_id=RETRO, room="borealis")
    assert "Delta seats 2; this meeting has 6 people" in error(world, "book_room", event_id=RETRO, room="delta")
    assert "no room" in error(world, "book_room", event_id=RETRO, room="Narnia")
    assert "only the organizer" in error(world, "book_room", event_id=ARCH_FORUM, room="everest")


# ---- diffs ----


def test_diff_shape_for_each_kind_of_change(world: CalendarWorld) -> None:
    before = world.state()
    ok(world, "create_event", title="Focus", start="2026-03-06T14:00", end="2026-03-06T16:00", attendees=["noor"])
    ok(world, "cancel_event", event_id=JONAS_LUNCH, note="Sick")
    ok(world, "respond_rsvp", event_id=LUNCH_AND_LEARN, response="accepted")
    ok(world, "uninvite", event_id=VENDOR_CALL, person="tom")
    diff = world.diff(before, world.state())
    assert diff.summary() == "attendees +1 ~1 -1, events +1 ~1"
    tables = sorted(row["__table__"] for row in diff.inserts)
    assert tables == ["attendees", "events"]
    changed = {u["after"]["__table__"]: u for u in diff.updates}
    assert (changed["events"]["before"]["status"], changed["events"]["after"]["status"]) == ("confirmed", "cancelled")
    assert changed["attendees"]["after"] == {
        "__table__": "attendees",
        "event_id": LUNCH_AND_LEARN,
        "person_id": "maya",
        "rsvp": "accepted",
        "optional": 0,
    }
    assert diff.deletes == [
        {"__table__": "attendees", "event_id": VENDOR_CALL, "person_id": "tom", "rsvp": "accepted", "optional": 0}
    ]


def test_a_failing_tool_changes_nothing(world: CalendarWorld) -> None:
    before = world.state()
    failing: list[tuple[str, dict[str, Any]]] = [
        (
            "create_event",
            {"title": "x", "start": "2026-03-10T10:00", "end": "2026-03-10T11:00", "attendees": ["tom", "zed"]},
        ),
        ("update_event", {"event_id": RETRO, "start": "2026-03-06T16:30", "end": "2026-03-06T16:00"}),
        ("cancel_event", {"event_id": 999}),
        ("invite", {"event_id": RETRO, "people": ["noor", "zed"]}),
        ("book_room", {"event_id": RETRO, "room": "delta"}),
        ("respond_rsvp", {"event_id": RETRO, "response": "declined"}),
    ]
    for tool, args in failing:
        assert call(world, tool, **args).status == "error", tool
    assert world.state() == before
