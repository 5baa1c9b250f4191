"""``calendar``: Maya Chen's work calendar, her colleagues' and the meeting rooms.

State is ``people``, ``rooms``, ``calendars``, ``events`` (ISO local times ``2026-03-04T14:30``)
and ``attendees`` (one row per invited person, with the RSVP). Maya organizes the events she
creates and may change only those; on others' events she answers the invitation. "Now" is
fixed at Monday 2026-03-02 08:30. ``cancel_event`` is irreversible.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Literal

from ._base import SQLiteWorld, ToolError, world_tool
from ._calendar_seed import ME, NOW, seed_rows

_FORMAT = "%Y-%m-%dT%H:%M"
_MAX_DAYS = 31


def _time(value: str, what: str) -> str:
    """A date-time as stored (``2026-03-04T14:30``), or a ``ToolError`` naming ``what``."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ToolError(f"{what} {value!r} is not a date-time like 2026-03-04T14:30") from None
    if parsed.tzinfo is not None:
        raise ToolError(f"{what} {value!r}: give local times without a timezone")
    return parsed.strftime(_FORMAT)


def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ToolError(f"{what} {value!r} is not a date like 2026-03-04") from None


def _clock(value: str, what: str) -> str:
    try:
        return datetime.strptime(value.strip(), "%H:%M").strftime("%H:%M")
    except ValueError:
        raise ToolError(f"{what} {value!r} is not a time like 09:00") from None


def _minutes(start: str, end: str) -> int:
    delta = datetime.strptime(end, _FORMAT) - datetime.strptime(start, _FORMAT)
    return int(delta.total_seconds() // 60)


class CalendarWorld(SQLiteWorld):
    """Events, invitations, RSVPs, free time and room bookings."""

    name: ClassVar[str] = "calendar"
    description: ClassVar[str] = (
        "The work calendar of Maya Chen (the user, Platform team lead) and her colleagues, with meeting rooms. "
        "Today is Monday 2026-03-02; it is 08:30."
    )
    schema: ClassVar[str] = """
        CREATE TABLE people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE,
            team TEXT NOT NULL,
            title TEXT NOT NULL
        );
        CREATE TABLE rooms (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            capacity INTEGER NOT NULL,
            floor INTEGER NOT NULL,
            features JSON NOT NULL DEFAULT '[]'
        );
        CREATE TABLE calendars (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner_id TEXT NOT NULL REFERENCES people(id)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            calendar_id TEXT NOT NULL REFERENCES calendars(id),
            title TEXT NOT NULL,
            "start" TEXT NOT NULL,
            "end" TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            room_id TEXT REFERENCES rooms(id),
            organizer_id TEXT NOT NULL REFERENCES people(id),
            description TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
            cancel_note TEXT,
            updated_at TEXT NOT NULL,
            CHECK ("end" > "start")
        );
        CREATE TABLE attendees (
            event_id INTEGER NOT NULL REFERENCES events(id),
            person_id TEXT NOT NULL REFERENCES people(id),
            rsvp TEXT NOT NULL CHECK (rsvp IN ('needs_action', 'accepted', 'declined', 'tentative')),
            optional INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (event_id, person_id)
        );
    """

    def seed_rows(self, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
        return seed_rows(rng)

    # ---- lookups ----

    def _person(self, who: str) -> dict[str, Any]:
        """Someone by id, email, full name or unambiguous part of the name ("me" is Maya)."""
        wanted = who.strip().lower()
        if wanted in ("me", "myself", "i"):
            wanted = ME
        people = self.query("SELECT * FROM people ORDER BY id")
        for person in people:
            if wanted in (person["id"], person["email"].lower(), person["name"].lower()):
                return person
        partial = [p for p in people if wanted and wanted in p["name"].lower()]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise ToolError(f"{who!r} matches several people: {', '.join(p['name'] for p in partial)}")
        raise ToolError(f"nobody called {who!r}; use search_people")

    def _room(self, which: str) -> dict[str, Any]:
        wanted = which.strip().lower()
        rooms = self.query("SELECT * FROM rooms ORDER BY id")
        for room in rooms:
            if wanted in (room["id"], room["name"].lower()):
                return room
        raise ToolError(f"no room {which!r}; rooms: {', '.join(r['name'] for r in rooms)}")

    def _event(self, event_id: int) -> dict[str, Any]:
        return self.one("SELECT * FROM events WHERE id = ?", event_id, missing=f"no event {event_id}")

    def _own_event(self, event_id: int, verb: str) -> dict[str, Any]:
        event = self._event(event_id)
        if event["organizer_id"] != ME:
            organizer = self._person(event["organizer_id"])["name"]
            raise ToolError(f"only the organizer ({organizer}) can {verb} event {event_id}")
        if event["status"] == "cancelled":
            raise ToolError(f"event {event_id} ({event['title']}) is cancelled")
        return event

    def _attendees(self, event_id: int) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM attendees WHERE event_id = ? ORDER BY person_id", event_id)

    def _view(self, event: dict[str, Any]) -> dict[str, Any]:
        view = {k: event[k] for k in ("id", "title", "start", "end", "location", "status")}
        view |= {"room": event["room_id"], "organizer": event["organizer_id"], "calendar": event["calendar_id"]}
        if event["description"]:
            view["description"] = event["description"]
        if event["cancel_note"]:
            view["cancel_note"] = event["cancel_note"]
        view["attendees"] = [
            {"person": a["person_id"], "rsvp": a["rsvp"], "optional": bool(a["optional"])}
            for a in self._attendees(event["id"])
        ]
        return view

    def _busy(self, person: str, start: str, end: str, *, skip: int | None = None) -> list[dict[str, Any]]:
        """Confirmed events ``person`` organizes or has not declined, overlapping [start, end)."""
        return self.query(
            'SELECT e.* FROM events e WHERE e.status = \'confirmed\' AND e."start" < ? AND e."end" > ? '
            "AND e.id IS NOT ? AND (e.organizer_id = ? OR EXISTS (SELECT 1 FROM attendees a WHERE "
            "a.event_id = e.id AND a.person_id = ? AND a.rsvp != 'declined')) ORDER BY e.\"start\"",
            end,
            start,
            skip,
            person,
            person,
        )

    def _room_taken(self, room_id: str, start: str, end: str, skip: int | None = None) -> dict[str, Any] | None:
        rows = self.query(
            'SELECT * FROM events WHERE room_id = ? AND status = \'confirmed\' AND "start" < ? AND "end" > ? '
            "AND id IS NOT ?",
            room_id,
            end,
            start,
            skip,
        )
        return rows[0] if rows else None

    def _check_room(self, room: dict[str, Any], start: str, end: str, people: int, skip: int | None = None) -> None:
        if people > room["capacity"]:
            raise ToolError(f"{room['name']} seats {room['capacity']}; this meeting has {people} people")
        taken = self._room_taken(room["id"], start, end, skip)
        if taken is not None:
            raise ToolError(f"{room['name']} is booked then ({taken['title']}, {taken['start']}–{taken['end'][11:]})")

    def _conflicts(self, people: list[str], start: str, end: str, skip: int | None = None) -> list[str]:
        notes = []
        for person in people:
            for event in self._busy(person, start, end, skip=skip):
                notes.append(f"{person} is busy then ({event['title']})")
        return notes

    # ---- reading ----

    @world_tool
    def list_events(
        self, start_date: str, end_date: str | None = None, person: str = ME, include_cancelled: bool = False
    ) -> list[dict[str, Any]]:
        """Events someone organizes or is invited to between two dates (inclusive), with attendees and RSVPs.

        Args:
            start_date: First day, like 2026-03-02.
            end_date: Last day (default: the same day).
            person: Whose events (id, name or email; default: you, maya).
            include_cancelled: Also list cancelled events.
        """
        first = _day(start_date, "start_date")
        last = _day(end_date, "end_date") if end_date else first
        if last < first:
            raise ToolError("end_date is before start_date")
        if (last - first).days > _MAX_DAYS:
            raise ToolError(f"ask for at most {_MAX_DAYS} days at a time")
        who = self._person(person)["id"]
        rows = self.query(
            'SELECT e.* FROM events e WHERE e."start" < ? AND e."end" > ? AND (e.organizer_id = ? OR EXISTS '
            '(SELECT 1 FROM attendees a WHERE a.event_id = e.id AND a.person_id = ?)) ORDER BY e."start", e.id',
            (last + timedelta(days=1)).isoformat(),
            first.isoformat(),
            who,
            who,
        )
        return [self._view(r) for r in rows if include_cancelled or r["status"] == "confirmed"]

    @world_tool
    def get_event(self, event_id: int) -> dict[str, Any]:
        """One event with everything about it: time, place, room, organizer, attendees and their RSVPs.

        Args:
            event_id: The event's id (from list_events).
        """
        return self._view(self._event(event_id))

    @world_tool
    def search_people(self, query: str = "") -> list[dict[str, Any]]:
        """Find colleagues by name, email, team or job title (empty: everyone).

        Args:
            query: Text to look for (case-insensitive).
        """
        wanted = query.strip().lower()
        people = self.query("SELECT * FROM people ORDER BY id")
        return [p for p in people if not wanted or any(wanted in str(p[k]).lower() for k in p)]

    @world_tool
    def list_rooms(
        self, start: str | None = None, end: str | None = None, min_capacity: int = 0
    ) -> list[dict[str, Any]]:
        """Meeting rooms with their capacity and equipment; with start and end, whether each is free then.

        Args:
            start: Start of the time to check, like 2026-03-06T16:00.
            end: End of the time to check.
            min_capacity: Only rooms seating at least this many people.
        """
        if (start is None) != (end is None):
            raise ToolError("give both start and end, or neither")
        rooms = self.query("SELECT * FROM rooms WHERE capacity >= ? ORDER BY capacity, id", min_capacity)
        if start is not None and end is not None:
            begin, finish = _time(start, "start"), _time(end, "end")
            for room in rooms:
                taken = self._room_taken(room["id"], begin, finish)
                room["free"] = taken is None
                if taken is not None:
                    room["booked_by"] = f"{taken['title']} (event {taken['id']})"
        return rooms

    @world_tool
    def find_free_slots(
        self,
        people: list[str],
        start_date: str,
        end_date: str | None = None,
        duration_minutes: int = 30,
        day_start: str = "09:00",
        day_end: str = "18:00",
    ) -> list[dict[str, str]]:
        """Times on weekdays when you and the given people are all free, as windows at least duration_minutes long.

        Args:
            people: Who must be free besides you (ids, names or emails).
            start_date: First day to look at, like 2026-03-04.
            end_date: Last day (default: the same day).
            duration_minutes: The meeting's length.
            day_start: Earliest time of day to consider.
            day_end: Latest time of day a meeting may end.
        """
        if duration_minutes <= 0:
            raise ToolError("duration_minutes must be positive")
        first = _day(start_date, "start_date")
        last = _day(end_date, "end_date") if end_date else first
        if last < first or (last - first).days > _MAX_DAYS:
            raise ToolError(f"give a range of at most {_MAX_DAYS} days, end_date not before start_date")
        opens, closes = _clock(day_start, "day_start"), _clock(day_end, "day_end")
        who = [ME] + [p for p in dict.fromkeys(self._person(x)["id"] for x in people) if p != ME]
        windows: list[dict[str, str]] = []
        day = first
        while day <= last:
            if day.weekday() < 5:
                begin, finish = max(f"{day}T{opens}", NOW), f"{day}T{closes}"
                busy = sorted((e["start"], e["end"]) for p in who for e in self._busy(p, begin, finish))
                cursor = begin
                for busy_start, busy_end in [*busy, (finish, finish)]:
                    if busy_start > cursor and _minutes(cursor, min(busy_start, finish)) >= duration_minutes:
                        windows.append({"start": cursor, "end": min(busy_start, finish)})
                    cursor = max(cursor, busy_end)
            day += timedelta(days=1)
        return windows

    # ---- changing ----

    @world_tool
    def create_event(
        self,
        title: str,
        start: str,
        end: str,
        attendees: list[str] | None = None,
        location: str = "",
        room: str | None = None,
        description: str = "",
        calendar: str | None = None,
    ) -> dict[str, Any]:
        """Create an event you organize and invite people to it (they get an invitation to answer).

        Args:
            title: What the event is called.
            start: Start, like 2026-03-04T14:30.
            end: End, like 2026-03-04T15:00.
            attendees: Who to invite (ids, names or emails).
            location: Where (a room's name is filled in when you book one).
            room: A meeting room to book (id or name; see list_rooms).
            description: Agenda or notes.
            calendar: Which calendar it goes on: yours (default) or "platform", the team calendar.
        """
        begin, finish = _time(start, "start"), _time(end, "end")
        if finish <= begin:
            raise ToolError("the event must end after it starts")
        if begin < NOW:
            raise ToolError(f"{begin} is in the past (it is now {NOW})")
        if not title.strip():
            raise ToolError("give the event a title")
        with self.transaction() as db:
            invited = [p for p in dict.fromkeys(self._person(x)["id"] for x in attendees or []) if p != ME]
            calendar_id = ME if calendar in (None, "", ME) else calendar
            owned = self.query("SELECT id FROM calendars WHERE owner_id = ? ORDER BY id", ME)
            if calendar_id not in [c["id"] for c in owned]:
                names = ", ".join(c["id"] for c in owned)
                raise ToolError(f"you can add events to your calendars only ({names}), not {calendar!r}")
            booked = self._room(room) if room else None
            if booked is not None:
                self._check_room(booked, begin, finish, len(invited) + 1)
            event = {
                "calendar_id": calendar_id,
                "title": title.strip(),
                "start": begin,
                "end": finish,
                "location": location or (booked["name"] if booked else ""),
                "room_id": booked["id"] if booked else None,
                "organizer_id": ME,
                "description": description,
                "status": "confirmed",
                "cancel_note": None,
                "updated_at": NOW,
            }
            event_id = self._insert(db, "events", event)
            for person in invited:
                row = {"event_id": event_id, "person_id": person, "rsvp": "needs_action", "optional": False}
                self._insert(db, "attendees", row)
            view = self._view({**event, "id": event_id})
            notes = self._conflicts([ME, *invited], begin, finish, skip=event_id)
        return view | ({"warnings": notes} if notes else {})

    @world_tool
    def update_event(
        self,
        event_id: int,
        title: str | None = None,
        start: str | None = None,
        end: str | None = None,
        location: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Change an event you organize. Moving the start alone keeps the event's length.

        Args:
            event_id: The event.
            title: New title.
            start: New start, like 2026-03-05T10:00.
            end: New end.
            location: New location.
            description: New description.
        """
        with self.transaction() as db:
            event = self._own_event(event_id, "change")
            begin = _time(start, "start") if start else event["start"]
            if end:
                finish = _time(end, "end")
            elif start:
                shifted = datetime.strptime(begin, _FORMAT) + timedelta(minutes=_minutes(event["start"], event["end"]))
                finish = shifted.strftime(_FORMAT)
            else:
                finish = event["end"]
            if finish <= begin:
                raise ToolError("the event must end after it starts")
            if (begin, finish) != (event["start"], event["end"]) and begin < NOW:
                raise ToolError(f"{begin} is in the past (it is now {NOW})")
            changes: dict[str, Any] = {"start": begin, "end": finish}
            if title is not None:
                changes["title"] = title.strip()
            if location is not None:
                changes["location"] = location
            if description is not None:
                changes["description"] = description
            changes = {k: v for k, v in changes.items() if v != event[k]}
            if not changes:
                raise ToolError("nothing to change: every value given is the current one")
            if event["room_id"] and ("start" in changes or "end" in changes):
                room = self._room(event["room_id"])
                self._check_room(room, begin, finish, 0, skip=event_id)
            self.update(db, "events", {"id": event_id}, changes | {"updated_at": NOW})
            people = [ME] + [a["person_id"] for a in self._attendees(event_id) if a["rsvp"] != "declined"]
            notes = self._conflicts(people, begin, finish, skip=event_id) if "start" in changes else []
            view = self._view(self._event(event_id))
        return view | ({"warnings": notes} if notes else {})

    @world_tool
    def cancel_event(self, event_id: int, note: str = "") -> str:
        """Cancel an event you organize; attendees are told. This cannot be undone.

        Args:
            event_id: The event.
            note: Why, for the attendees.
        """
        with self.transaction() as db:
            event = self._own_event(event_id, "cancel")
            changes = {"status": "cancelled", "cancel_note": note.strip() or None, "updated_at": NOW}
            self.update(db, "events", {"id": event_id}, changes)
        return f"cancelled event {event_id} ({event['title']}, {event['start']})"

    @world_tool
    def invite(self, event_id: int, people: list[str], optional: bool = False) -> dict[str, Any]:
        """Invite more people to an event you organize.

        Args:
            event_id: The event.
            people: Who to invite (ids, names or emails).
            optional: Invite them as optional attendees.
        """
        if not people:
            raise ToolError("name at least one person to invite")
        with self.transaction() as db:
            event = self._own_event(event_id, "invite people to")
            current = {a["person_id"] for a in self._attendees(event_id)}
            wanted = list(dict.fromkeys(self._person(p)["id"] for p in people))
            if ME in wanted:
                raise ToolError("you organize this event already")
            added = [p for p in wanted if p not in current]
            for person in added:
                row = {"event_id": event_id, "person_id": person, "rsvp": "needs_action", "optional": optional}
                self._insert(db, "attendees", row)
            notes = self._conflicts(added, event["start"], event["end"], skip=event_id)
        result: dict[str, Any] = {"event_id": event_id, "invited": added}
        if len(added) < len(wanted):
            result["already_invited"] = [p for p in wanted if p in current]
        return result | ({"warnings": notes} if notes else {})

    @world_tool
    def uninvite(self, event_id: int, person: str) -> str:
        """Remove someone from an event you organize.

        Args:
            event_id: The event.
            person: Who to remove (id, name or email).
        """
        with self.transaction() as db:
            event = self._own_event(event_id, "remove people from")
            who = self._person(person)
            cursor = db.execute("DELETE FROM attendees WHERE event_id = ? AND person_id = ?", (event_id, who["id"]))
            if not cursor.rowcount:
                raise ToolError(f"{who['name']} is not invited to event {event_id}")
        return f"removed {who['name']} from {event['title']}"

    @world_tool
    def respond_rsvp(self, event_id: int, response: Literal["accepted", "declined", "tentative"]) -> str:
        """Answer an invitation to someone else's event.

        Args:
            event_id: The event you are invited to.
            response: accepted, declined or tentative.
        """
        with self.transaction() as db:
            event = self._event(event_id)
            if event["organizer_id"] == ME:
                raise ToolError(f"you organize event {event_id}; there is no invitation to answer")
            if event["status"] == "cancelled":
                raise ToolError(f"event {event_id} ({event['title']}) is cancelled")
            rows = self.query("SELECT * FROM attendees WHERE event_id = ? AND person_id = ?", event_id, ME)
            if not rows:
                raise ToolError(f"you are not invited to event {event_id} ({event['title']})")
            if rows[0]["rsvp"] != response:
                self.update(db, "attendees", {"event_id": event_id, "person_id": ME}, {"rsvp": response})
        return f"{response} {event['title']} ({event['start']})"

    @world_tool
    def book_room(self, event_id: int, room: str) -> dict[str, Any]:
        """Book a meeting room for an event you organize (replacing its current room, if any).

        Args:
            event_id: The event.
            room: The room's id or name (see list_rooms).
        """
        with self.transaction() as db:
            event = self._own_event(event_id, "book a room for")
            booked = self._room(room)
            if event["room_id"] == booked["id"]:
                raise ToolError(f"event {event_id} is already in {booked['name']}")
            people = 1 + sum(a["rsvp"] != "declined" for a in self._attendees(event_id))
            self._check_room(booked, event["start"], event["end"], people, skip=event_id)
            changes = {"room_id": booked["id"], "location": booked["name"], "updated_at": NOW}
            self.update(db, "events", {"id": event_id}, changes)
            return self._view(self._event(event_id))
