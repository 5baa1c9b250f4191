"""The ``chat`` world: each tool's behaviour and errors, seeding, snapshots and diffs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rollyard.envs import make_world
from rollyard.envs._teamchat import TeamChatWorld
from tests.envs.world_calls import assert_tools_documented, error, ok

# Seed 0: users, channels and story messages the tests act on.
SAM, KENJI, OLGA, ALEXN = 1, 4, 5, 11
GENERAL, RANDOM, DEPLOYS, INCIDENTS, SUPPORT, LEADERSHIP, ATLAS, OLD_WEBSITE = 1, 2, 4, 5, 8, 9, 11, 12
DM_KENJI = 15
INCIDENT, BUDGET, PASSWORD, WARNING, POSTMORTEM, FREEZE, OLD_SITE_MSG = 13, 62, 75, 76, 82, 95, 1


@pytest.fixture
def world() -> Iterator[TeamChatWorld]:
    world = TeamChatWorld(seed=0)
    yield world
    world.close()


def rows(world: TeamChatWorld, table: str, **match: Any) -> list[dict[str, Any]]:
    return [r for r in world.state()[table] if all(r[k] == v for k, v in match.items())]


# ---- the world as a whole ----


def test_registry_tools_and_descriptions() -> None:
    world = make_world("chat", seed=0)
    assert isinstance(world, TeamChatWorld) and world.name == "chat"
    assert set(world.toolset.names()) == {
        "list_channels",
        "list_members",
        "read_channel",
        "read_thread",
        "search_messages",
        "lookup_user",
        "post_message",
        "reply_in_thread",
        "send_direct_message",
        "add_reaction",
        "remove_reaction",
        "create_channel",
        "invite_to_channel",
        "set_topic",
        "archive_channel",
        "delete_message",
    }
    assert_tools_documented(world)
    world.close()


def test_seeding_is_deterministic_and_varies_by_seed() -> None:
    a, b, c = TeamChatWorld(seed=0), TeamChatWorld(seed=0), TeamChatWorld(seed=1)
    assert a.state() == b.state()
    assert a.state() != c.state()
    state = a.state()
    assert 8 <= len([u for u in state["users"] if not u["is_bot"]]) <= 15
    assert 6 <= len([ch for ch in state["channels"] if ch["kind"] != "dm"]) <= 12
    assert 80 <= len(state["messages"]) <= 150
    # The story is the same in every seed; the chatter around it differs.
    texts = {m["text"] for m in c.state()["messages"]}
    assert any("INC-482" in t for t in texts) and any("Tr0ub4dor" in t for t in texts)
    # reset goes back to the seed's state after changes.
    ok(a, "post_message", channel="#general", text="hello")
    a.reset(0)
    assert a.state() == b.state()
    for world in (a, b, c):
        world.close()


def test_keys_name_each_tables_primary_key(world: TeamChatWorld) -> None:
    assert world.keys() == {
        "channels": ["id"],
        "memberships": ["channel_id", "user_id"],
        "messages": ["id"],
        "reactions": ["message_id", "user_id", "emoji"],
        "users": ["id"],
    }


# ---- reading ----


def test_list_channels_shows_visible_channels_only(world: TeamChatWorld) -> None:
    names = [c["channel"] for c in ok(world, "list_channels")]
    assert "#general" in names and "#leadership" in names  # private, and Sam is a member
    assert "#exec-hiring" not in names  # private without Sam
    assert "#old-website" not in names and not any(n.startswith("@") for n in names)
    archived = [c for c in ok(world, "list_channels", include_archived=True) if c["archived"]]
    assert [c["channel"] for c in archived] == ["#old-website"]
    leadership = next(c for c in ok(world, "list_channels") if c["channel"] == "#leadership")
    assert leadership["private"] and leadership["you_are_a_member"] and leadership["members"] == 5


def test_list_members(world: TeamChatWorld) -> None:
    handles = [m["handle"] for m in ok(world, "list_members", channel="support")]
    assert handles == ["nia", "priya", "sam"]
    assert "no channel named #exec-hiring" in error(world, "list_members", channel="#exec-hiring")


def test_read_channel_gives_recent_top_level_messages_oldest_first(world: TeamChatWorld) -> None:
    page = ok(world, "read_channel", channel="#incidents", limit=50)
    assert page["topic"] == "Active incidents and postmortems" and not page["archived"]
    ids = [m["id"] for m in page["messages"]]
    assert INCIDENT in ids and POSTMORTEM not in ids  # replies live in the thread
    stamps = [m["ts"] for m in page["messages"]]
    assert stamps == sorted(stamps)
    incident = next(m for m in page["messages"] if m["id"] == INCIDENT)
    assert incident["reply_count"] == 6 and incident["user"] == "priya"
    assert len(ok(world, "read_channel", channel="general", limit=2)["messages"]) == 2
    dm = ok(world, "read_channel", channel="@maya")
    assert dm["channel"] == "@maya" and "offsite-2025" in dm["messages"][-1]["text"]
    assert "limit" in error(world, "read_channel", channel="#general", limit=0)
    assert "no channel named #nope" in error(world, "read_channel", channel="#nope")
    assert "no direct message" in error(world, "read_channel", channel="@deploybot")


def test_read_thread_from_parent_or_reply(world: TeamChatWorld) -> None:
    thread = ok(world, "read_thread", message_id=INCIDENT)
    assert thread["parent"]["id"] == INCIDENT and len(thread["replies"]) == 6
    assert thread["replies"][-1]["id"] == POSTMORTEM
    assert ok(world, "read_thread", message_id=POSTMORTEM) == thread
    assert "no message 9999" in error(world, "read_thread", message_id=9999)
    hidden = rows(world, "messages", channel_id=10)[0]["id"]  # #exec-hiring: Sam is not a member
    assert f"no message {hidden}" in error(world, "read_thread", message_id=hidden)


def test_search_messages(world: TeamChatWorld) -> None:
    hits = ok(world, "search_messages", query="deploy FREEZE")
    assert [h["id"] for h in hits] == [FREEZE]
    assert hits[0]["reactions"] == {"+1": ["kenji"]} and hits[0]["reply_count"] == 2
    postmortem = ok(world, "search_messages", query="postmortem")
    assert [h["id"] for h in postmortem] == [POSTMORTEM, 22]  # the link, then the follow-ups announcing it
    assert {h["thread_id"] for h in postmortem} == {INCIDENT}
    by_kenji = ok(world, "search_messages", query="pool", from_user="@kenji")
    assert by_kenji and all(h["user"] == "kenji" for h in by_kenji)
    in_support = ok(world, "search_messages", query="INC-482", channel="#support")
    assert {h["channel"] for h in in_support} == {"#support"}
    stamps = [h["ts"] for h in ok(world, "search_messages", query="INC-482")]
    assert stamps == sorted(stamps, reverse=True)
    assert ok(world, "search_messages", query="shortlist") == []  # only in a private channel without Sam
    assert ok(world, "search_messages", query="tomas berlin")  # accents do not matter
    assert len(ok(world, "search_messages", query="the", limit=3)) == 3
    assert "empty" in error(world, "search_messages", query="  ")
    assert "no user" in error(world, "search_messages", query="x", from_user="nobody")


def test_lookup_user(world: TeamChatWorld) -> None:
    assert [u["handle"] for u in ok(world, "lookup_user", query="alex")] == ["alexc", "alexn"]
    assert ok(world, "lookup_user", query="Tomas")[0]["name"] == "Tomás Herrera"
    assert ok(world, "lookup_user", query="head of people")[0]["handle"] == "lena"
    assert ok(world, "lookup_user", query="@deploybot")[0]["bot"] is True
    assert "nobody matches" in error(world, "lookup_user", query="zed")


# ---- writing ----


def test_post_message_and_the_logical_clock(world: TeamChatWorld) -> None:
    first = ok(world, "post_message", channel="#general", text="  Hello all  ")
    second = ok(world, "post_message", channel="general", text="Again")
    assert first["user"] == "sam" and first["text"] == "Hello all" and first["channel"] == "#general"
    assert (first["ts"], second["ts"]) == ("2025-03-14T17:30:00Z", "2025-03-14T17:31:00Z")
    assert rows(world, "messages", id=first["id"])[0]["channel_id"] == GENERAL
    dm = ok(world, "post_message", channel="@kenji", text="hi")
    assert dm["channel"] == "@kenji"
    assert "archived" in error(world, "post_message", channel="#old-website", text="x")
    assert "empty" in error(world, "post_message", channel="#general", text=" ")
    assert "limit" in error(world, "post_message", channel="#general", text="x" * 4001)
    assert "no channel" in error(world, "post_message", channel="#exec-hiring", text="x")


def test_reply_in_thread_attaches_to_the_root(world: TeamChatWorld) -> None:
    reply = ok(world, "reply_in_thread", message_id=POSTMORTEM, text="Thanks!")
    assert reply["thread_id"] == INCIDENT and reply["channel"] == "#incidents"
    assert ok(world, "read_thread", message_id=INCIDENT)["replies"][-1]["id"] == reply["id"]
    assert "archived" in error(world, "reply_in_thread", message_id=OLD_SITE_MSG, text="x")
    assert "no message" in error(world, "reply_in_thread", message_id=9999, text="x")


def test_send_direct_message(world: TeamChatWorld) -> None:
    sent = ok(world, "send_direct_message", user="@Kenji", text="Please rotate it")
    assert sent["channel"] == "@kenji"
    assert rows(world, "messages", id=sent["id"])[0]["channel_id"] == DM_KENJI
    assert "that is you" in error(world, "send_direct_message", user="sam", text="x")
    assert "bot" in error(world, "send_direct_message", user="deploybot", text="x")
    assert "no user" in error(world, "send_direct_message", user="kenj", text="x")


def test_reactions(world: TeamChatWorld) -> None:
    added = ok(world, "add_reaction", message_id=FREEZE, emoji=":thumbsup:")
    assert added["reactions"] == {"+1": ["kenji", "sam"]}
    assert "already reacted" in error(world, "add_reaction", message_id=FREEZE, emoji="👍")
    assert ok(world, "add_reaction", message_id=BUDGET, emoji="✅")["reactions"]["white_check_mark"] == ["maya", "sam"]
    removed = ok(world, "remove_reaction", message_id=BUDGET, emoji="eyes")
    assert "eyes" not in removed["reactions"]
    assert "no :eyes: reaction" in error(world, "remove_reaction", message_id=BUDGET, emoji="eyes")
    assert "no :tada: reaction" in error(world, "remove_reaction", message_id=FREEZE, emoji="tada")  # not Sam's
    assert "not an emoji name" in error(world, "add_reaction", message_id=FREEZE, emoji="big smile")
    assert "archived" in error(world, "add_reaction", message_id=OLD_SITE_MSG, emoji="eyes")


def test_create_channel(world: TeamChatWorld) -> None:
    made = ok(world, "create_channel", name="#offsite-2025", private=True, topic="Lisbon")
    assert made == {
        "channel": "#offsite-2025",
        "private": True,
        "topic": "Lisbon",
        "archived": False,
        "members": 1,
        "you_are_a_member": True,
    }
    (row,) = rows(world, "channels", name="offsite-2025")
    assert row["kind"] == "private" and row["created_by"] == SAM
    assert rows(world, "memberships", channel_id=row["id"]) == [{"channel_id": row["id"], "user_id": SAM}]
    assert "already taken" in error(world, "create_channel", name="offsite-2025")
    assert "already taken" in error(world, "create_channel", name="exec-hiring")  # private, invisible, still taken
    assert "not a valid channel name" in error(world, "create_channel", name="Big Plans")
    assert "limit is 250" in error(world, "create_channel", name="x", topic="t" * 251)


def test_invite_to_channel(world: TeamChatWorld) -> None:
    result = ok(world, "invite_to_channel", channel="#support", users=["alexn", "@nia"])
    assert result == {"channel": "#support", "invited": ["alexn"], "already_members": ["nia"]}
    assert rows(world, "memberships", channel_id=SUPPORT, user_id=ALEXN)
    assert "at least one" in error(world, "invite_to_channel", channel="#support", users=[])
    assert "direct message" in error(world, "invite_to_channel", channel="@kenji", users=["olga"])
    assert "archived" in error(world, "invite_to_channel", channel="#old-website", users=["olga"])


def test_a_failing_tool_changes_nothing(world: TeamChatWorld) -> None:
    # The first handle is added before the second turns out unknown: the whole call is rolled back.
    message = error(world, "invite_to_channel", channel="#support", users=["alexn", "nobody"])
    assert "no user with the handle 'nobody'" in message
    assert not rows(world, "memberships", channel_id=SUPPORT, user_id=ALEXN)


def test_set_topic(world: TeamChatWorld) -> None:
    assert ok(world, "set_topic", channel="#deploys", topic=" Freeze Fri-Mon ")["topic"] == "Freeze Fri-Mon"
    assert rows(world, "channels", id=DEPLOYS)[0]["topic"] == "Freeze Fri-Mon"
    assert "no topic" in error(world, "set_topic", channel="@kenji", topic="x")
    assert "archived" in error(world, "set_topic", channel="#old-website", topic="x")


def test_archive_channel(world: TeamChatWorld) -> None:
    assert ok(world, "archive_channel", channel="#project-atlas")["archived"] is True
    assert rows(world, "channels", id=ATLAS)[0]["archived"] == 1
    assert "archived" in error(world, "post_message", channel="#project-atlas", text="x")
    assert "archived" in error(world, "archive_channel", channel="#project-atlas")
    assert "cannot be archived" in error(world, "archive_channel", channel="#general")
    assert "cannot be archived" in error(world, "archive_channel", channel="@kenji")


def test_delete_message_takes_replies_and_reactions(world: TeamChatWorld) -> None:
    assert ok(world, "delete_message", message_id=PASSWORD) == {"deleted_message_ids": [PASSWORD]}
    assert not rows(world, "messages", id=PASSWORD)
    reactions_on_thread = {r["message_id"] for r in world.state()["reactions"]}
    thread = ok(world, "delete_message", message_id=FREEZE)["deleted_message_ids"]
    assert thread[0] == FREEZE and len(thread) == 3
    assert not [m for m in world.state()["messages"] if m["id"] in thread]
    assert FREEZE in reactions_on_thread and not rows(world, "reactions", message_id=FREEZE)
    assert "no message" in error(world, "delete_message", message_id=PASSWORD)
    assert "archived" in error(world, "delete_message", message_id=OLD_SITE_MSG)


# ---- snapshots and diffs ----


def test_snapshot_restore_round_trip_after_irreversible_actions(world: TeamChatWorld) -> None:
    start = world.state()
    snapshot = world.toolset.snapshot()
    ok(world, "delete_message", message_id=INCIDENT)
    ok(world, "send_direct_message", user="kenji", text="rotate it")
    ok(world, "archive_channel", channel="#project-atlas")
    assert world.state() != start
    world.toolset.restore(snapshot)
    assert world.state() == start
    # The restored world works as before, and the clock picks up where the snapshot was.
    assert ok(world, "post_message", channel="#general", text="back")["ts"] == "2025-03-14T17:30:00Z"
    with pytest.raises(TypeError):
        world.restore("not a snapshot")


def test_diff_shape_for_each_kind_of_change(world: TeamChatWorld) -> None:
    before = world.state()
    posted = ok(world, "post_message", channel="#random", text="new")
    ok(world, "set_topic", channel="#deploys", topic="Freeze")
    ok(world, "delete_message", message_id=WARNING)
    diff = world.diff(before, world.state())
    assert diff.summary() == "channels ~1, messages +1 -1, reactions -1"
    (insert,) = diff.inserts
    assert insert == {
        "__table__": "messages",
        "id": posted["id"],
        "channel_id": RANDOM,
        "user_id": SAM,
        "text": "new",
        "ts": "2025-03-14T17:30:00Z",
        "thread_id": None,
    }
    (update,) = diff.updates
    assert update["before"]["__table__"] == update["after"]["__table__"] == "channels"
    assert (update["before"]["topic"], update["after"]["topic"]) == ("Production deploys", "Freeze")
    assert {d["__table__"] for d in diff.deletes} == {"messages", "reactions"}
    assert next(d for d in diff.deletes if d["__table__"] == "messages")["user_id"] == OLGA
    assert set(diff.to_dict()) == {"inserts", "updates", "deletes"}
    assert world.diff(before, before).empty


def test_states_are_plain_values(world: TeamChatWorld) -> None:
    state = world.state()
    assert set(state) == {"users", "channels", "memberships", "messages", "reactions"}
    kenji = rows(world, "users", id=KENJI)[0]
    assert kenji == {
        "id": KENJI,
        "handle": "kenji",
        "name": "Kenji Watanabe",
        "email": "kenji.watanabe@northwind.io",
        "title": "Senior Backend Engineer",
        "timezone": "Europe/London",
        "is_bot": 0,
    }
    assert rows(world, "channels", id=LEADERSHIP)[0]["kind"] == "private"
    assert rows(world, "channels", id=INCIDENTS)[0]["name"] == "incidents"
    assert rows(world, "channels", id=OLD_WEBSITE)[0]["archived"] == 1
