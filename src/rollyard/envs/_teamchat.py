"""``TeamChatWorld``: a Slack-like team chat (channels, threads, reactions, direct messages).

The agent acts as one member of the workspace, Sam Okafor (``@sam``), who is also a workspace
admin. Public channels are visible to everyone and open for posting; private channels exist only
for their members; archived channels can be read but not changed. Direct messages are channels of
kind ``dm`` named ``@handle``. Timestamps come from a logical clock (one minute after the latest
thing in the workspace), so the same calls always produce the same state.
"""

from __future__ import annotations

import random
import re
import sqlite3
import unicodedata
from datetime import datetime, timedelta
from typing import Any, ClassVar

from . import _teamchat_seed
from ._base import SQLiteWorld, ToolError, world_tool

ME = _teamchat_seed.ME

_SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    timezone TEXT NOT NULL,
    is_bot INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('public', 'private', 'dm')),
    topic TEXT NOT NULL DEFAULT '',
    archived INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE TABLE memberships (
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (channel_id, user_id)
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    text TEXT NOT NULL,
    ts TEXT NOT NULL,
    thread_id INTEGER REFERENCES messages(id)
);
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    emoji TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);
"""

_START = datetime(2025, 3, 14, 17, 30)
"""The earliest time the agent's own actions are stamped with (just after the seeded week)."""
_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_EMOJI_NAME = re.compile(r"^[a-z0-9_+-]{1,64}$")
_EMOJI_ALIASES = {
    "thumbsup": "+1",
    "thumbs_up": "+1",
    "👍": "+1",
    "thumbsdown": "-1",
    "👎": "-1",
    "✅": "white_check_mark",
    "👀": "eyes",
    "🎉": "tada",
    "❤️": "heart",
    "❤": "heart",
    "😂": "joy",
    "🙌": "raised_hands",
    "👋": "wave",
}
_MAX_TEXT = 4000
_MESSAGE_SELECT = """
SELECT m.id, m.text, m.ts, m.thread_id, m.channel_id, u.handle AS user, c.name AS channel_name, c.kind AS kind
FROM messages m JOIN users u ON u.id = m.user_id JOIN channels c ON c.id = m.channel_id
"""


class TeamChatWorld(SQLiteWorld):
    """A Slack-like workspace: users, public/private channels, threads, reactions and DMs."""

    name: ClassVar[str] = "chat"
    description: ClassVar[str] = (
        "Northwind's team chat. You act as Sam Okafor (@sam), engineering manager and workspace admin. "
        "Channels are named like #general; direct messages with a person are @handle."
    )
    schema: ClassVar[str] = _SCHEMA

    def seed_rows(self, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
        return _teamchat_seed.build(rng)

    # ---- reading ----

    @world_tool
    def list_channels(self, include_archived: bool = False) -> list[dict[str, Any]]:
        """List the channels you can see: every public channel and the private ones you belong to.

        Args:
            include_archived: Also list archived channels.
        """
        rows = self.query("SELECT * FROM channels WHERE kind != 'dm' ORDER BY name")
        visible = [c for c in rows if self._visible(c) and (include_archived or not c["archived"])]
        return [self._channel_view(c) for c in visible]

    @world_tool
    def list_members(self, channel: str) -> list[dict[str, Any]]:
        """List the members of a channel.

        Args:
            channel: Channel name such as "#design" (or "@handle" for a direct message).
        """
        found = self._channel(channel)
        rows = self.query(
            "SELECT u.handle, u.name, u.title FROM memberships m JOIN users u ON u.id = m.user_id "
            "WHERE m.channel_id = ? ORDER BY u.handle",
            found["id"],
        )
        return rows

    @world_tool
    def read_channel(self, channel: str, limit: int = 20) -> dict[str, Any]:
        """Read the most recent messages of a channel, oldest first (thread replies are not
        included: each message shows its reply_count; use read_thread for the replies).

        Args:
            channel: Channel name such as "#general", or "@handle" for your direct messages with someone.
            limit: How many recent messages to return (1-100).
        """
        if not 1 <= limit <= 100:
            raise ToolError("limit must be between 1 and 100")
        found = self._channel(channel)
        rows = self.query(
            f"{_MESSAGE_SELECT} WHERE m.channel_id = ? AND m.thread_id IS NULL ORDER BY m.ts DESC, m.id DESC LIMIT ?",
            found["id"],
            limit,
        )
        return {
            "channel": _display(found),
            "topic": found["topic"],
            "archived": bool(found["archived"]),
            "messages": self._views(list(reversed(rows))),
        }

    @world_tool
    def read_thread(self, message_id: int) -> dict[str, Any]:
        """Read a whole thread: its first message and every reply, oldest first.

        Args:
            message_id: The id of the thread's first message or of any reply in it.
        """
        message = self._message(message_id)
        root = message["thread_id"] or message["id"]
        parent = self.query(f"{_MESSAGE_SELECT} WHERE m.id = ?", root)
        replies = self.query(f"{_MESSAGE_SELECT} WHERE m.thread_id = ? ORDER BY m.ts, m.id", root)
        return {
            "channel": _display(message),
            "parent": self._views(parent)[0],
            "replies": self._views(replies),
        }

    @world_tool
    def search_messages(
        self, query: str, channel: str | None = None, from_user: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Search the messages you can see (threads included), newest first. Every word of the
        query must appear in the message (case-insensitive).

        Args:
            query: Words to look for, e.g. "deploy freeze".
            channel: Only search this channel (e.g. "#deploys" or "@maya").
            from_user: Only messages written by this user (handle, e.g. "kenji").
            limit: At most this many results (1-100).
        """
        words = _fold(query).split()
        if not words:
            raise ToolError("the query is empty; give at least one word to search for")
        if not 1 <= limit <= 100:
            raise ToolError("limit must be between 1 and 100")
        clauses, params = [], []
        if channel is not None:
            clauses.append("m.channel_id = ?")
            params.append(self._channel(channel)["id"])
        if from_user is not None:
            clauses.append("u.handle = ?")
            params.append(self._user(from_user)["handle"])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.query(f"{_MESSAGE_SELECT} {where} ORDER BY m.ts DESC, m.id DESC", *params)
        visible = {c["id"] for c in self.query("SELECT * FROM channels") if self._visible(c)}
        hits = [r for r in rows if r["channel_id"] in visible and all(w in _fold(r["text"]) for w in words)]
        return self._views(hits[:limit])

    @world_tool
    def lookup_user(self, query: str) -> list[dict[str, Any]]:
        """Find people by handle, name, email or job title (case-insensitive, partial matches).

        Args:
            query: For example "alex", "@kenji", "Head of People" or "lena.hoffmann@northwind.io".
        """
        needle = _fold(query.strip().lstrip("@"))
        if not needle:
            raise ToolError("the query is empty")
        rows = self.query("SELECT * FROM users ORDER BY handle")
        hits = [u for u in rows if any(needle in _fold(str(u[f])) for f in ("handle", "name", "email", "title"))]
        if not hits:
            raise ToolError(f"nobody matches {query!r}")
        return [
            {
                "handle": u["handle"],
                "name": u["name"],
                "email": u["email"],
                "title": u["title"],
                "timezone": u["timezone"],
                "bot": bool(u["is_bot"]),
            }
            for u in hits
        ]

    # ---- writing ----

    @world_tool
    def post_message(self, channel: str, text: str) -> dict[str, Any]:
        """Post a message to a channel as yourself. Everyone in the channel sees it at once.

        Args:
            channel: Channel name such as "#engineering", or "@handle" to message someone directly.
            text: The message (plain text; mention people as @handle).
        """
        with self.transaction() as db:
            found = self._channel(channel)
            self._writable(found)
            return self._post(db, found["id"], text, None)

    @world_tool
    def reply_in_thread(self, message_id: int, text: str) -> dict[str, Any]:
        """Reply in the thread of a message (replying to a reply continues the same thread).

        Args:
            message_id: The message to reply to.
            text: The reply.
        """
        with self.transaction() as db:
            message = self._message(message_id)
            self._writable(self._channel_by_id(message["channel_id"]))
            return self._post(db, message["channel_id"], text, message["thread_id"] or message["id"])

    @world_tool
    def send_direct_message(self, user: str, text: str) -> dict[str, Any]:
        """Send someone a private direct message.

        Args:
            user: Their handle, e.g. "tomas" or "@tomas" (lookup_user finds handles).
            text: The message.
        """
        with self.transaction() as db:
            person = self._user(user)
            if person["handle"] == ME:
                raise ToolError("that is you; direct messages go to someone else")
            rows = self.query("SELECT * FROM channels WHERE name = ?", f"@{person['handle']}")
            if not rows:
                raise ToolError(f"@{person['handle']} is a bot and does not take direct messages")
            return self._post(db, rows[0]["id"], text, None)

    @world_tool
    def add_reaction(self, message_id: int, emoji: str) -> dict[str, Any]:
        """React to a message with an emoji.

        Args:
            message_id: The message to react to.
            emoji: Emoji name such as "+1", "eyes", "tada" or "white_check_mark" (colons optional).
        """
        name = _emoji(emoji)
        with self.transaction() as db:
            message = self._message(message_id)
            self._writable(self._channel_by_id(message["channel_id"]))
            me = self._me()
            if self.query(
                "SELECT * FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?", message_id, me["id"], name
            ):
                raise ToolError(f"you already reacted :{name}: to message {message_id}")
            db.execute(
                "INSERT INTO reactions (message_id, user_id, emoji) VALUES (?, ?, ?)", (message_id, me["id"], name)
            )
            return {"message_id": message_id, "reactions": self._reactions([message_id]).get(message_id, {})}

    @world_tool
    def remove_reaction(self, message_id: int, emoji: str) -> dict[str, Any]:
        """Take back one of your own reactions.

        Args:
            message_id: The message you reacted to.
            emoji: The emoji name of your reaction, e.g. "eyes".
        """
        name = _emoji(emoji)
        with self.transaction() as db:
            message = self._message(message_id)
            self._writable(self._channel_by_id(message["channel_id"]))
            me = self._me()
            cursor = db.execute(
                "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?", (message_id, me["id"], name)
            )
            if not cursor.rowcount:
                raise ToolError(f"you have no :{name}: reaction on message {message_id}")
            return {"message_id": message_id, "reactions": self._reactions([message_id]).get(message_id, {})}

    @world_tool
    def create_channel(self, name: str, private: bool = False, topic: str = "") -> dict[str, Any]:
        """Create a channel; you become its first member.

        Args:
            name: Lowercase letters, digits, hyphens and underscores, e.g. "checkout-v2" (no "#").
            private: Make it private (only invited members can see it).
            topic: The channel topic (optional).
        """
        clean = name.strip().lstrip("#")
        if not _CHANNEL_NAME.match(clean):
            raise ToolError(
                f"{name!r} is not a valid channel name: use lowercase letters, digits, '-' and '_' (at most 80)"
            )
        _check_topic(topic)
        with self.transaction() as db:
            if self.query("SELECT id FROM channels WHERE name = ?", clean):
                raise ToolError(f"the name #{clean} is already taken (possibly by an archived or private channel)")
            me = self._me()
            cursor = db.execute(
                "INSERT INTO channels (name, kind, topic, archived, created_by, created_at) VALUES (?, ?, ?, 0, ?, ?)",
                (clean, "private" if private else "public", topic.strip(), me["id"], self._now()),
            )
            channel_id = int(cursor.lastrowid or 0)
            db.execute("INSERT INTO memberships (channel_id, user_id) VALUES (?, ?)", (channel_id, me["id"]))
            return self._channel_view(self._channel_by_id(channel_id))

    @world_tool
    def invite_to_channel(self, channel: str, users: list[str]) -> dict[str, Any]:
        """Add people to a channel. People already in it are reported, not an error.

        Args:
            channel: Channel name such as "#design".
            users: Handles of the people to add, e.g. ["lena", "tomas"].
        """
        if not users:
            raise ToolError("give at least one handle to invite")
        with self.transaction() as db:
            found = self._channel(channel)
            if found["kind"] == "dm":
                raise ToolError("nobody can be added to a direct message")
            self._writable(found)
            invited: list[str] = []
            already: list[str] = []
            for handle in users:
                person = self._user(handle)
                key = (found["id"], person["id"])
                if self.query("SELECT * FROM memberships WHERE channel_id = ? AND user_id = ?", *key):
                    already.append(person["handle"])
                    continue
                db.execute("INSERT INTO memberships (channel_id, user_id) VALUES (?, ?)", key)
                invited.append(person["handle"])
            return {"channel": _display(found), "invited": invited, "already_members": already}

    @world_tool
    def set_topic(self, channel: str, topic: str) -> dict[str, Any]:
        """Set a channel's topic (replaces the old one; an empty topic clears it).

        Args:
            channel: Channel name such as "#deploys".
            topic: The new topic (at most 250 characters).
        """
        _check_topic(topic)
        with self.transaction() as db:
            found = self._channel(channel)
            if found["kind"] == "dm":
                raise ToolError("direct messages have no topic")
            self._writable(found)
            self.update(db, "channels", {"id": found["id"]}, {"topic": topic.strip()})
            return self._channel_view(self._channel_by_id(found["id"]))

    @world_tool
    def archive_channel(self, channel: str) -> dict[str, Any]:
        """Archive a channel: it stays readable but nobody can post, react or join any more.

        Args:
            channel: Channel name such as "#project-atlas".
        """
        with self.transaction() as db:
            found = self._channel(channel)
            if found["kind"] == "dm":
                raise ToolError("direct messages cannot be archived")
            if found["name"] == "general":
                raise ToolError("#general is the company-wide channel and cannot be archived")
            self._writable(found)
            self.update(db, "channels", {"id": found["id"]}, {"archived": 1})
            return self._channel_view(self._channel_by_id(found["id"]))

    @world_tool
    def delete_message(self, message_id: int) -> dict[str, Any]:
        """Delete a message for everyone, with its reactions and, for a thread's first message, every
        reply in the thread. This cannot be undone. As an admin you may delete anyone's message.

        Args:
            message_id: The message to delete.
        """
        with self.transaction() as db:
            message = self._message(message_id)
            self._writable(self._channel_by_id(message["channel_id"]))
            doomed = [message_id] + [
                r["id"] for r in self.query("SELECT id FROM messages WHERE thread_id = ?", message_id)
            ]
            marks = ", ".join("?" for _ in doomed)
            db.execute(f"DELETE FROM reactions WHERE message_id IN ({marks})", doomed)
            db.execute("DELETE FROM messages WHERE thread_id = ?", (message_id,))
            db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            return {"deleted_message_ids": doomed}

    # ---- helpers ----

    def _me(self) -> dict[str, Any]:
        return self.one("SELECT * FROM users WHERE handle = ?", ME, missing="the acting user is missing")

    def _user(self, handle: str) -> dict[str, Any]:
        clean = handle.strip().lstrip("@").lower()
        return self.one(
            "SELECT * FROM users WHERE handle = ?",
            clean,
            missing=f"no user with the handle {handle!r}; lookup_user finds people by name",
        )

    def _visible(self, channel: dict[str, Any]) -> bool:
        if channel["kind"] == "public":
            return True
        return bool(
            self.query(
                "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.channel_id = ? AND u.handle = ?",
                channel["id"],
                ME,
            )
        )

    def _channel(self, name: str) -> dict[str, Any]:
        raw = name.strip()
        key = f"@{raw[1:].strip().lower()}" if raw.startswith("@") else raw.lstrip("#").strip().lower()
        rows = self.query("SELECT * FROM channels WHERE name = ?", key)
        if not rows or not self._visible(rows[0]):
            if key.startswith("@"):
                raise ToolError(f"no direct message conversation with {key}; lookup_user finds handles")
            raise ToolError(f"no channel named #{key} that you can see; list_channels shows them")
        return rows[0]

    def _channel_by_id(self, channel_id: int) -> dict[str, Any]:
        return self.one("SELECT * FROM channels WHERE id = ?", channel_id, missing=f"no channel {channel_id}")

    def _message(self, message_id: int) -> dict[str, Any]:
        rows = self.query(f"{_MESSAGE_SELECT} WHERE m.id = ?", message_id)
        if not rows or not self._visible(self._channel_by_id(rows[0]["channel_id"])):
            raise ToolError(f"no message {message_id} that you can see")
        return rows[0]

    def _writable(self, channel: dict[str, Any]) -> None:
        if channel["archived"]:
            raise ToolError(f"{_display(channel)} is archived: it can be read but not changed")

    def _now(self) -> str:
        latest = self.query(
            "SELECT MAX(at) AS at FROM (SELECT ts AS at FROM messages UNION ALL SELECT created_at AS at FROM channels)"
        )[0]["at"]
        moment = _START
        if latest:
            moment = max(moment, datetime.strptime(latest, "%Y-%m-%dT%H:%M:%SZ") + timedelta(minutes=1))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _post(self, db: sqlite3.Connection, channel_id: int, text: str, thread_id: int | None) -> dict[str, Any]:
        body = text.strip()
        if not body:
            raise ToolError("the message is empty")
        if len(body) > _MAX_TEXT:
            raise ToolError(f"the message is {len(body)} characters long; the limit is {_MAX_TEXT}")
        cursor = db.execute(
            "INSERT INTO messages (channel_id, user_id, text, ts, thread_id) VALUES (?, ?, ?, ?, ?)",
            (channel_id, self._me()["id"], body, self._now(), thread_id),
        )
        return self._views(self.query(f"{_MESSAGE_SELECT} WHERE m.id = ?", int(cursor.lastrowid or 0)))[0]

    def _reactions(self, message_ids: list[int]) -> dict[int, dict[str, list[str]]]:
        marks = ", ".join("?" for _ in message_ids)
        rows = self.query(
            "SELECT r.message_id, r.emoji, u.handle FROM reactions r JOIN users u ON u.id = r.user_id "
            f"WHERE r.message_id IN ({marks}) ORDER BY r.message_id, r.emoji, u.handle",
            *message_ids,
        )
        out: dict[int, dict[str, list[str]]] = {}
        for row in rows:
            out.setdefault(row["message_id"], {}).setdefault(row["emoji"], []).append(row["handle"])
        return out

    def _views(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Messages as the model reads them: channel and author by name, reply counts, reactions."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" for _ in ids)
        counts = {
            r["thread_id"]: r["n"]
            for r in self.query(
                f"SELECT thread_id, COUNT(*) AS n FROM messages WHERE thread_id IN ({marks}) GROUP BY thread_id", *ids
            )
        }
        reactions = self._reactions(ids)
        views = []
        for row in rows:
            view: dict[str, Any] = {
                "id": row["id"],
                "channel": _display({"name": row["channel_name"], "kind": row["kind"]}),
                "user": row["user"],
                "ts": row["ts"],
                "text": row["text"],
            }
            if row["thread_id"]:
                view["thread_id"] = row["thread_id"]
            if counts.get(row["id"]):
                view["reply_count"] = counts[row["id"]]
            if reactions.get(row["id"]):
                view["reactions"] = reactions[row["id"]]
            views.append(view)
        return views

    def _channel_view(self, channel: dict[str, Any]) -> dict[str, Any]:
        members = self.query("SELECT COUNT(*) AS n FROM memberships WHERE channel_id = ?", channel["id"])[0]["n"]
        mine = self.query(
            "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.channel_id = ? AND u.handle = ?",
            channel["id"],
            ME,
        )
        return {
            "channel": _display(channel),
            "private": channel["kind"] == "private",
            "topic": channel["topic"],
            "archived": bool(channel["archived"]),
            "members": members,
            "you_are_a_member": bool(mine),
        }


def _display(channel: dict[str, Any]) -> str:
    name = str(channel.get("channel_name") or channel["name"])
    kind = channel.get("kind")
    return name if kind == "dm" or name.startswith("@") else f"#{name}"


def _emoji(raw: str) -> str:
    name = raw.strip().strip(":").strip().lower()
    name = _EMOJI_ALIASES.get(name, name)
    if not _EMOJI_NAME.match(name):
        raise ToolError(f"{raw!r} is not an emoji name; use names like 'eyes', '+1' or 'white_check_mark'")
    return name


def _check_topic(topic: str) -> None:
    if len(topic.strip()) > 250:
        raise ToolError(f"the topic is {len(topic.strip())} characters long; the limit is 250")


def _fold(text: str) -> str:
    """Lowercase without accents, so "tomas" finds "Tomás"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
