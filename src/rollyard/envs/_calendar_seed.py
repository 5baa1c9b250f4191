"""The seeded calendars of the ``calendar`` world: three weeks around Monday 2026-03-02.

The fixed events (Maya's team, her meetings, the rooms they use) are the same for every seed
and are inserted first, so their ids are stable; tasks depend on them. The seed adds meetings
among people outside Maya's team (never in a room, never with the Platform team), after them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

ME = "maya"
TODAY = "2026-03-02"
NOW = "2026-03-02T08:30"
"""The world's fixed "now" (a Monday morning): nothing may be scheduled before it."""

PEOPLE = [
    ("maya", "Maya Chen", "Platform", "Engineering lead"),
    ("tom", "Tom Becker", "Platform", "Senior engineer"),
    ("priya", "Priya Raman", "Platform", "Engineer"),
    ("aiko", "Aiko Tanaka", "Platform", "Engineer"),
    ("sam", "Sam Okafor", "Platform", "Engineer"),
    ("noor", "Noor Haddad", "Platform", "Engineer (joins 2026-03-02)"),
    ("dana", "Dana Whitfield", "Engineering", "Director of engineering"),
    ("elena", "Elena Petrova", "Design", "Product designer"),
    ("ravi", "Ravi Kumar", "Sales", "Account executive"),
    ("luis", "Luis Ortega", "Finance", "Controller"),
    ("jonas", "Jonas Weber", "Data", "Data engineer"),
]

ROOMS = [
    ("atlas", "Atlas", 4, 2, ["screen"]),
    ("borealis", "Borealis", 8, 2, ["screen", "whiteboard"]),
    ("cosmos", "Cosmos", 12, 3, ["screen", "whiteboard", "video"]),
    ("delta", "Delta", 2, 3, ["phone booth"]),
    ("everest", "Everest", 20, 1, ["projector", "video"]),
]

TEAM = ["tom", "priya", "aiko", "sam"]
YES, ASKED, MAYBE = "accepted", "needs_action", "tentative"
_FIRST = date(2026, 2, 23)
_WEEKDAYS = [d for d in (_FIRST + timedelta(days=n) for n in range(19)) if d.weekday() < 5]

Spec = tuple[str, str, str, str, str, dict[str, str], str | None, str, str | None]
"""(day, start, end, title, organizer, {attendee: rsvp}, room, location, calendar)"""


def _ev(
    when: str,
    title: str,
    organizer: str,
    invited: dict[str, str],
    room: str | None = None,
    location: str = "",
    calendar: str | None = None,
) -> Spec:
    """``when`` is ``2026-03-04 12:30-13:30``."""
    day, hours = when.split()
    start, end = hours.split("-")
    return (day, start, end, title, organizer, invited, room, location, calendar)


_TEAM_YES = dict.fromkeys(TEAM, YES)
_FIXED: list[Spec] = [
    # ids 1-15: the daily standups, Feb 23-27, Mar 2-6, Mar 9-13
    *[_ev(f"{d} 09:30-09:45", "Daily standup", ME, _TEAM_YES, None, "Team area", "platform") for d in _WEEKDAYS],
    _ev("2026-02-24 10:00-10:30", "1:1 Maya / Dana", "dana", {ME: YES}, location="Dana's office"),
    _ev("2026-02-25 13:00-14:00", "Billing cut-over runbook review", ME, {"tom": YES, "priya": YES}, "atlas"),
    _ev("2026-02-27 16:00-17:00", "Team retro", ME, _TEAM_YES, "borealis", calendar="platform"),
    _ev("2026-03-02 11:00-12:00", "Sprint planning", ME, _TEAM_YES, "cosmos", calendar="platform"),
    _ev("2026-03-02 14:00-15:00", "Hiring sync", "dana", {ME: YES, "aiko": YES}, location="Zoom"),
    _ev("2026-03-03 10:00-10:30", "1:1 Maya / Dana", "dana", {ME: YES}, location="Dana's office"),
    _ev("2026-03-03 11:00-12:00", "Infra budget review", "luis", {ME: ASKED, "dana": YES}, "borealis"),
    _ev("2026-03-03 14:00-15:00", "Interview: backend candidate", "aiko", {ME: YES}, "atlas"),
    _ev("2026-03-03 16:00-16:30", "Vendor call: Acme", ME, {"tom": YES}, location="Zoom"),
    _ev("2026-03-04 10:00-11:00", "Design review: onboarding flow", "elena", {ME: ASKED, "priya": YES}, "borealis"),
    _ev(
        "2026-03-04 12:30-13:30",
        "Lunch & learn: SQLite internals",
        "jonas",
        {ME: ASKED, "tom": YES, "priya": MAYBE},
        "everest",
    ),
    _ev("2026-03-04 13:00-14:00", "Release checklist", "priya", {}),
    _ev("2026-03-04 14:00-14:30", "Customer call: Globex", "ravi", {"tom": YES}, location="Zoom"),
    _ev("2026-03-05 11:00-12:00", "Architecture forum", "tom", {ME: MAYBE, "priya": YES, "sam": YES}, "cosmos"),
    _ev("2026-03-05 12:00-13:30", "Dentist", "aiko", {}),
    _ev(
        "2026-03-05 15:00-16:30",
        "Quarterly roadmap",
        "dana",
        {ME: YES, **_TEAM_YES, "elena": YES, "ravi": YES},
        "everest",
    ),
    _ev("2026-03-06 10:00-10:45", "Friday demo", "priya", {ME: ASKED, "tom": YES, "aiko": YES, "sam": YES}, "cosmos"),
    _ev("2026-03-06 12:00-13:00", "Lunch with Jonas", ME, {"jonas": YES}, location="Café Lumen"),
    _ev("2026-03-06 16:00-17:00", "Team retro", ME, {**_TEAM_YES, "elena": MAYBE}, "atlas", calendar="platform"),
    _ev("2026-03-06 16:00-17:00", "Sales pipeline sync", "ravi", {"luis": YES}, "borealis"),
    _ev("2026-03-09 10:00-12:00", "Billing migration cut-over", ME, {"tom": YES, "priya": YES}, "borealis"),
    _ev("2026-03-11 15:00-15:45", "Mentoring: Jonas / Maya", ME, {"jonas": YES}, "delta"),
    _ev("2026-03-12 13:00-14:00", "Security training", "dana", {ME: ASKED, **dict.fromkeys(TEAM, ASKED)}, "everest"),
]

_OTHERS = ["dana", "elena", "ravi", "luis", "jonas"]
_FILLER_TITLES = [
    "Budget check-in",
    "Pipeline review",
    "Design critique",
    "Forecast sync",
    "Vendor onboarding",
    "Coffee chat",
    "Quarter close prep",
    "Data quality review",
]


def seed_rows(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """People, rooms, calendars, events (fixed ones first) and attendees for one seed."""
    names = {pid: name for pid, name, _, _ in PEOPLE}
    people = [
        {"id": pid, "name": name, "email": f"{pid}@northwind.io", "team": team, "title": title}
        for pid, name, team, title in PEOPLE
    ]
    rooms = [
        {"id": rid, "name": name, "capacity": capacity, "floor": floor, "features": features}
        for rid, name, capacity, floor, features in ROOMS
    ]
    calendars = [{"id": pid, "name": f"{names[pid]}'s calendar", "owner_id": pid} for pid in names]
    calendars.append({"id": "platform", "name": "Platform team", "owner_id": ME})
    room_names = {rid: name for rid, name, *_ in ROOMS}
    events: list[dict[str, Any]] = []
    attendees: list[dict[str, Any]] = []

    def add(*spec: Any) -> None:
        day, start, end, title, organizer, invited, room, location, calendar = spec
        event_id = len(events) + 1
        events.append(
            {
                "id": event_id,
                "calendar_id": calendar or organizer,
                "title": title,
                "start": f"{day}T{start}",
                "end": f"{day}T{end}",
                "location": room_names[room] if room else location,
                "room_id": room,
                "organizer_id": organizer,
                "description": "",
                "status": "confirmed",
                "cancel_note": None,
                "updated_at": f"{min(day, TODAY)}T08:00",
            }
        )
        for person, rsvp in invited.items():
            attendees.append({"event_id": event_id, "person_id": person, "rsvp": rsvp, "optional": False})

    for entry in _FIXED:
        add(*entry)
    for _ in range(rng.randint(8, 14)):
        day = rng.choice(_WEEKDAYS).isoformat()
        hour, minutes = rng.randint(9, 16), rng.choice([30, 60])
        organizer, *guests = rng.sample(_OTHERS, rng.randint(2, 3))
        rsvps = {g: rng.choice([YES, YES, MAYBE, ASKED, "declined"]) for g in guests}
        end = f"{hour + minutes // 60:02d}:{minutes % 60:02d}"
        add(*_ev(f"{day} {hour:02d}:00-{end}", rng.choice(_FILLER_TITLES), organizer, rsvps, location="Zoom"))
    return {"people": people, "rooms": rooms, "calendars": calendars, "events": events, "attendees": attendees}
