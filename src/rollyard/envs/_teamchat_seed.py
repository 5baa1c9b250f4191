"""The seeded workspace of the team chat world: Northwind's people, channels and a week of talk.

The story (the messages tasks are about) is the same for every seed; the seed varies the everyday
chatter around it (which messages, who wrote them, when, and who reacted), so two seeds give two
different workspaces with the same plot.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

ME = "sam"
"""The handle of the user the agent acts as."""

# handle, name, title, timezone, is_bot
USERS: list[tuple[str, str, str, str, bool]] = [
    ("sam", "Sam Okafor", "Engineering Manager, Platform", "Europe/London", False),
    ("priya", "Priya Raman", "SRE Lead", "Europe/London", False),
    ("marco", "Marco Bellini", "Release Engineer", "Europe/Rome", False),
    ("kenji", "Kenji Watanabe", "Senior Backend Engineer", "Europe/London", False),
    ("olga", "Olga Petrova", "Data Engineer", "Europe/Berlin", False),
    ("ruth", "Ruth Adeyemi", "CTO", "Europe/London", False),
    ("lena", "Lena Hoffmann", "Head of People", "Europe/Berlin", False),
    ("maya", "Maya Goldberg", "VP Operations", "America/New_York", False),
    ("tomas", "Tomás Herrera", "Finance Analyst", "Europe/Madrid", False),
    ("alexc", "Alex Chen", "Product Designer", "Europe/London", False),
    ("alexn", "Alex Novak", "Account Executive", "Europe/Prague", False),
    ("nia", "Nia Thompson", "Support Lead", "America/Chicago", False),
    ("jordan", "Jordan Lee", "Platform Engineer", "Europe/Dublin", False),
    ("deploybot", "Deploy Bot", "Deployment notifications", "UTC", True),
]

_HUMANS = [u[0] for u in USERS if not u[4]]

# name, kind, topic, archived, created_by, created_at, members
CHANNELS: list[tuple[str, str, str, bool, str, str, list[str]]] = [
    ("general", "public", "Company-wide announcements", False, "ruth", "2023-01-09T09:00:00Z", _HUMANS),
    ("random", "public", "Anything goes", False, "ruth", "2023-01-09T09:00:00Z", [h for h in _HUMANS if h != "jordan"]),
    (
        "engineering",
        "public",
        "Engineering chat. Reviews, questions, on-call",
        False,
        "ruth",
        "2023-01-09T09:05:00Z",
        ["sam", "priya", "marco", "kenji", "olga", "ruth"],
    ),
    (
        "deploys",
        "public",
        "Production deploys",
        False,
        "marco",
        "2023-02-01T10:00:00Z",
        ["sam", "priya", "marco", "kenji", "olga", "deploybot"],
    ),
    (
        "incidents",
        "public",
        "Active incidents and postmortems",
        False,
        "priya",
        "2023-02-01T10:05:00Z",
        ["sam", "priya", "marco", "kenji", "nia", "ruth"],
    ),
    (
        "design",
        "public",
        "Design critique and reviews",
        False,
        "alexc",
        "2023-03-14T12:00:00Z",
        ["alexc", "sam", "kenji", "ruth"],
    ),
    (
        "sales",
        "public",
        "Deals, demos and pipeline",
        False,
        "alexn",
        "2023-03-20T09:00:00Z",
        ["alexn", "tomas", "maya", "nia"],
    ),
    ("support", "public", "Customer support", False, "nia", "2023-03-20T09:30:00Z", ["nia", "priya", "sam"]),
    (
        "leadership",
        "private",
        "Leadership team",
        False,
        "ruth",
        "2023-04-03T08:00:00Z",
        ["sam", "ruth", "maya", "lena", "tomas"],
    ),
    (
        "exec-hiring",
        "private",
        "VP Engineering search",
        False,
        "ruth",
        "2024-10-01T08:00:00Z",
        ["ruth", "maya", "lena"],
    ),
    (
        "project-atlas",
        "public",
        "Warehouse migration (Atlas)",
        False,
        "kenji",
        "2024-09-02T09:00:00Z",
        ["sam", "kenji", "olga", "alexc"],
    ),
    (
        "old-website",
        "public",
        "Retiring the old marketing site",
        True,
        "alexc",
        "2024-06-10T09:00:00Z",
        ["alexc", "marco", "lena"],
    ),
]

# key, channel, author, ts, text, thread parent key
STORY: list[tuple[str, str, str, str, str, str | None]] = [
    ("w1", "old-website", "alexc", "2024-11-20T10:00:00Z", "Final redirects are live; the old site is gone.", None),
    (
        "g1",
        "general",
        "lena",
        "2025-03-10T09:05:00Z",
        "Good morning everyone! Reminder that the office is closed on Friday March 21 for the spring holiday.",
        None,
    ),
    (
        "g2",
        "general",
        "lena",
        "2025-03-10T10:30:00Z",
        "For anyone joining this month: the onboarding guide lives at https://wiki.northwind.io/onboarding "
        "(accounts, laptop setup and who to ask for what).",
        None,
    ),
    (
        "a1",
        "project-atlas",
        "olga",
        "2025-03-10T12:00:00Z",
        "Last batch of tables migrated to the new warehouse.",
        None,
    ),
    ("d0", "deploys", "deploybot", "2025-03-10T16:02:00Z", "✅ api v2.14.0 deployed to production (by @marco)", None),
    (
        "i1",
        "incidents",
        "priya",
        "2025-03-11T08:12:00Z",
        "INC-482: checkout API p99 latency at 9s and ~12% of requests failing. Investigating; status page updated.",
        None,
    ),
    (
        "i1a",
        "incidents",
        "kenji",
        "2025-03-11T08:20:00Z",
        "DB connection pool is maxed out on api-3 and api-4. The pool size dropped from 50 to 10 in yesterday's "
        "config push.",
        "i1",
    ),
    (
        "i1b",
        "incidents",
        "marco",
        "2025-03-11T08:26:00Z",
        "That config shipped with release v2.14.0. Rolling the config back now.",
        "i1",
    ),
    (
        "i1c",
        "incidents",
        "priya",
        "2025-03-11T08:41:00Z",
        "Rollback done. p99 back to 420ms and errors cleared at 08:39. Impact: about 27 minutes, roughly 1,900 "
        "failed checkouts.",
        "i1",
    ),
    (
        "i1d",
        "incidents",
        "nia",
        "2025-03-11T08:45:00Z",
        "Support has 43 tickets so far; we're replying with the outage macro.",
        "i1",
    ),
    (
        "k1",
        "@kenji",
        "kenji",
        "2025-03-11T08:50:00Z",
        "Rolling back was the right call. Writing the pool check now.",
        None,
    ),
    (
        "su1",
        "support",
        "nia",
        "2025-03-11T09:10:00Z",
        "Heads-up: checkout errors this morning (INC-482). Please use the outage macro for affected customers.",
        None,
    ),
    (
        "i1e",
        "incidents",
        "priya",
        "2025-03-11T09:30:00Z",
        "Follow-ups: (1) validate the pool size in config CI (Kenji), (2) alert on pool saturation (Priya), "
        "(3) postmortem on Thursday.",
        "i1",
    ),
    (
        "t1",
        "@tomas",
        "sam",
        "2025-03-11T10:00:00Z",
        "Hi Tomás, where should I put the receipts from the Berlin trip?",
        None,
    ),
    ("t2", "@tomas", "tomas", "2025-03-11T10:05:00Z", "The expenses folder is fine, thanks!", None),
    (
        "x1",
        "exec-hiring",
        "ruth",
        "2025-03-11T10:30:00Z",
        "Shortlist for the VP Engineering role is in the hiring doc.",
        None,
    ),
    (
        "de1",
        "design",
        "alexc",
        "2025-03-11T11:00:00Z",
        "New empty-state illustrations are ready for feedback: https://figma.com/file/nw-empty-states",
        None,
    ),
    (
        "e1",
        "engineering",
        "kenji",
        "2025-03-11T14:05:00Z",
        "PR to put the DB pool size back to 50 and validate it at startup: https://git.northwind.io/api/pull/1893 "
        "(reviews welcome).",
        None,
    ),
    ("s1", "sales", "alexn", "2025-03-12T09:30:00Z", "Closed the Brightline renewal: 2 years, 15% uplift 🎉", None),
    (
        "e2",
        "engineering",
        "olga",
        "2025-03-12T10:20:00Z",
        "Nightly ETL moves to 02:00 UTC starting tonight; ping me if you see gaps in the dashboards.",
        None,
    ),
    (
        "l1",
        "leadership",
        "tomas",
        "2025-03-12T13:00:00Z",
        "Q2 budget draft is ready for review: https://docs.northwind.io/budget-q2 (please approve by Friday).",
        None,
    ),
    ("l1a", "leadership", "maya", "2025-03-12T13:30:00Z", "Looks good from the ops side.", "l1"),
    (
        "g3",
        "general",
        "ruth",
        "2025-03-12T16:00:00Z",
        "We shipped the new checkout flow today 🚀 Huge thanks to everyone who pitched in.",
        None,
    ),
    (
        "r1",
        "random",
        "kenji",
        "2025-03-12T17:45:00Z",
        "oops wrong window: the staging db password is Tr0ub4dor&3, please ignore",
        None,
    ),
    ("r2", "random", "olga", "2025-03-12T17:47:00Z", "@kenji you may want to delete that and rotate it 😬", None),
    (
        "a2",
        "project-atlas",
        "kenji",
        "2025-03-12T18:00:00Z",
        "Atlas migration is complete 🎉 The old cluster is decommissioned, so I think we can wrap this channel up.",
        None,
    ),
    (
        "i1f",
        "incidents",
        "priya",
        "2025-03-13T10:05:00Z",
        "Postmortem doc is up: https://wiki.northwind.io/postmortems/inc-482",
        "i1",
    ),
    (
        "g4",
        "general",
        "lena",
        "2025-03-13T11:00:00Z",
        "Lunch & learn this Thursday at 12:30: Kenji on reading Postgres query plans. Pizza provided 🍕",
        None,
    ),
    (
        "su2",
        "support",
        "nia",
        "2025-03-13T14:00:00Z",
        "Could someone from engineering confirm whether the INC-482 fix is permanent? Customers keep asking.",
        None,
    ),
    (
        "d1",
        "deploys",
        "marco",
        "2025-03-13T15:00:00Z",
        "Heads-up: deploy freeze from Friday 18:00 until Monday 09:00 for the quarter-end close. Please get "
        "anything urgent merged by Thursday.",
        None,
    ),
    ("d1a", "deploys", "kenji", "2025-03-13T15:12:00Z", "Noted. The API changes will be in by Wednesday.", "d1"),
    ("d1b", "deploys", "olga", "2025-03-13T15:30:00Z", "Data pipeline changes are already merged.", "d1"),
    (
        "e3",
        "engineering",
        "priya",
        "2025-03-13T15:40:00Z",
        "On-call handover: I'm on until Monday, Kenji takes over after that.",
        None,
    ),
    (
        "de2",
        "design",
        "alexc",
        "2025-03-13T17:20:00Z",
        "The design review got bumped because the room was double-booked. The new time will be shared here once "
        "it's confirmed.",
        None,
    ),
    (
        "m1",
        "@maya",
        "maya",
        "2025-03-13T18:10:00Z",
        "Hey Sam, could you set up a private channel called #offsite-2025 for the planning committee? Please add "
        'Lena, Tomás and me, and set the topic to "Offsite planning: Lisbon, May 12-14". Thanks!',
        None,
    ),
    (
        "i2",
        "incidents",
        "priya",
        "2025-03-14T09:00:00Z",
        "INC-483 resolved: search indexing lagged ~10 minutes this morning. No customer impact.",
        None,
    ),
    (
        "g5",
        "general",
        "jordan",
        "2025-03-14T09:15:00Z",
        "Hi all! I'm Jordan, just joined the platform team. Looking forward to working with you 👋",
        None,
    ),
    ("r3", "random", "lena", "2025-03-14T12:00:00Z", "Who's up for the climbing gym after work?", None),
]

# message key, reacting user, emoji
STORY_REACTIONS: list[tuple[str, str, str]] = [
    ("g3", "lena", "tada"),
    ("g3", "kenji", "tada"),
    ("g3", "maya", "tada"),
    ("l1", "sam", "eyes"),
    ("l1", "maya", "white_check_mark"),
    ("d1", "kenji", "+1"),
    ("a2", "olga", "tada"),
    ("g5", "lena", "wave"),
    ("r2", "priya", "+1"),
]

# Everyday chatter, drawn at random per seed. No story keywords here (incident numbers,
# "freeze", "onboarding", "postmortem", "password", "offsite"), so tasks stay unambiguous.
FILLER: dict[str, list[str]] = {
    "general": [
        "Morning all ☕",
        "The all-hands slides are in the shared drive.",
        "Yoga at lunch is back on Tuesdays.",
        "Reminder: please submit your timesheets by Friday.",
        "The coffee machine on the 3rd floor is fixed!",
        "Lost & found: a blue umbrella at reception.",
        "Congrats to the support team on a record CSAT this month!",
        "The parking lot gets repainted on Saturday; please don't leave cars overnight.",
        "Book club meets Wednesday, we're reading 'The Soul of a New Machine'.",
        "Please update your emergency contacts in the HR portal.",
        "Fire drill at 11:00 tomorrow, sorry in advance.",
    ],
    "random": [
        "Anyone else hearing the construction noise?",
        "Cat tax 🐈",
        "Best ramen near the office? Go.",
        "The sunset from the roof right now 😍",
        "Who left the sourdough starter in the fridge? It's alive.",
        "Fantasy football league is open, ask me for the link.",
        "TIL the office plants have names.",
        "Bringing donuts tomorrow 🍩",
        "Recommendations for a podcast about history?",
        "Found a great new bakery on the corner, highly recommend the cardamom buns.",
        "Is anyone selling a second-hand bike?",
        "Pub quiz team needs one more person for Thursday!",
    ],
    "engineering": [
        "Can someone review https://git.northwind.io/web/pull/{n}?",
        "Flaky test in the payments suite again, looking into it.",
        "Upgraded the staging cluster to Postgres 16.",
        "CI queue is long this afternoon, hang tight.",
        "Reminder: the architecture sync moved to Wednesdays.",
        "Who owns the search indexer these days?",
        "Merged the logging cleanup, dashboards might look a bit different.",
        "Dependabot PRs are piling up, I'll batch them tomorrow.",
        "Anyone seen timeouts from the image service today?",
        "Heads-up: rotating the staging TLS certs this afternoon.",
        "New linting rules land tomorrow; run the formatter before pushing.",
        "The read replica lag alert fired twice overnight, investigating.",
    ],
    "deploys": [
        "✅ web v3.{n}.{m} deployed to production",
        "✅ worker v1.{n}.{m} deployed to staging",
        "✅ api v2.14.{m} deployed to staging",
        "⚠️ canary for web v3.{n}.{m} paused by the error budget check",
        "✅ search v0.{n}.{m} deployed to production",
    ],
    "incidents": [
        "Elevated 5xx on the image CDN for ~3 minutes, recovered on its own. Keeping an eye on it.",
        "False alarm on the disk alert for db-2; threshold adjusted.",
    ],
    "design": [
        "Updated the icon set in the library.",
        "Quick poll: rounded or square avatars?",
        "Color tokens are now in the shared library.",
        "Anyone free for a 15-minute usability session tomorrow?",
        "Dark mode mockups for settings are in Figma.",
        "Accessibility audit notes are up, mostly contrast fixes.",
        "Typography scale v2 is ready to try out.",
    ],
    "sales": [
        "Demo with Fernway went well, they want a follow-up.",
        "Pipeline review moved to Thursday.",
        "Who can help with a security questionnaire for Acme?",
        "Q1 numbers are looking strong 💪",
        "Heading to the Lisbon trade show next month, who's coming?",
        "Updated the pricing one-pager with the new tiers.",
        "Renewal call with Quanta moved to Friday.",
    ],
    "support": [
        "Ticket volume is back to normal today.",
        "New macro for refund requests is live.",
        "A customer is asking about EUR invoicing, who knows?",
        "94% CSAT this week 🎉",
        "Reminder to tag billing tickets with #billing.",
        "Help center article on exports is updated.",
        "Weekend coverage rota is in the support calendar.",
    ],
    "leadership": [
        "Board deck draft is in the shared drive.",
        "Hiring plan review moves to Thursday.",
        "Reminder: headcount requests for H2 are due end of month.",
    ],
    "project-atlas": [
        "Row counts match for the orders tables.",
        "Backfill for 2023 is done.",
        "Dashboards now read from the new warehouse.",
    ],
}

_FILLER_REPLIES = ["Thanks!", "On it.", "+1", "Nice!", "Good to know, thanks.", "Looking now."]
_FILLER_EMOJI = ["+1", "eyes", "tada", "heart", "joy", "raised_hands"]
_WEEK = ["2025-03-10", "2025-03-11", "2025-03-12", "2025-03-13", "2025-03-14"]


def build(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """The rows of every table for the seed behind ``rng``."""
    user_ids = {handle: index for index, (handle, *_) in enumerate(USERS, start=1)}
    users = [
        {
            "id": user_ids[handle],
            "handle": handle,
            "name": name,
            "email": f"{_email_local(name)}@northwind.io",
            "title": title,
            "timezone": timezone,
            "is_bot": int(bot),
        }
        for handle, name, title, timezone, bot in USERS
    ]

    channels: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    members: dict[str, list[str]] = {}
    for name, kind, topic, archived, creator, created_at, people in CHANNELS:
        channels.append(_channel(len(channels) + 1, name, kind, topic, archived, user_ids[creator], created_at))
        members[name] = people
    for handle in _HUMANS:
        if handle != ME:
            channels.append(
                _channel(len(channels) + 1, f"@{handle}", "dm", "", False, user_ids[ME], "2023-01-09T09:00:00Z")
            )
            members[f"@{handle}"] = [ME, handle]
    channel_ids = {c["name"]: c["id"] for c in channels}
    for name, people in members.items():
        memberships += [{"channel_id": channel_ids[name], "user_id": user_ids[h]} for h in people]

    # (ts, order, key, channel, author, text, parent key): story first, then the chatter of this seed.
    drafts: list[tuple[str, int, str, str, str, str, str | None]] = [
        (ts, n, key, channel, author, text, parent) for n, (key, channel, author, ts, text, parent) in enumerate(STORY)
    ]
    for channel, templates in FILLER.items():
        humans = [h for h in members[channel] if h in _HUMANS] or members[channel]
        for text in rng.sample(templates, k=rng.randint((len(templates) * 2) // 3, len(templates))):
            author = "deploybot" if channel == "deploys" and text[0] in "✅⚠" else rng.choice(humans)
            body = text.format(n=rng.randint(10, 99), m=rng.randint(0, 9))
            key = f"f{len(drafts)}"
            drafts.append((_random_ts(rng), len(drafts), key, channel, author, body, None))
            if rng.random() < 0.3:
                replier = rng.choice([h for h in humans if h != author] or humans)
                reply_ts = _later(drafts[-1][0], rng.randint(2, 50))
                drafts.append((reply_ts, len(drafts), f"{key}r", channel, replier, rng.choice(_FILLER_REPLIES), key))
    drafts.sort(key=lambda d: (d[0], d[1]))

    ids: dict[str, int] = {}
    messages: list[dict[str, Any]] = []
    for ts, _, key, channel, author, text, parent in drafts:
        ids[key] = len(messages) + 1
        messages.append(
            {
                "id": ids[key],
                "channel_id": channel_ids[channel],
                "user_id": user_ids[author],
                "text": text,
                "ts": ts,
                "thread_id": ids[parent] if parent else None,
            }
        )

    reactions = [{"message_id": ids[k], "user_id": user_ids[h], "emoji": e} for k, h, e in STORY_REACTIONS]
    for _ts, _, key, channel, author, _text, _ in drafts:
        if key.startswith("f") and rng.random() < 0.25:
            people = [h for h in members[channel] if h in _HUMANS and h != author]
            for handle in rng.sample(people, k=min(len(people), rng.randint(1, 3))):
                reactions.append(
                    {"message_id": ids[key], "user_id": user_ids[handle], "emoji": rng.choice(_FILLER_EMOJI)}
                )
    reactions = list({(r["message_id"], r["user_id"], r["emoji"]): r for r in reactions}.values())

    return {
        "users": users,
        "channels": channels,
        "memberships": memberships,
        "messages": messages,
        "reactions": reactions,
    }


def _channel(
    channel_id: int, name: str, kind: str, topic: str, archived: bool, creator: int, created_at: str
) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name,
        "kind": kind,
        "topic": topic,
        "archived": int(archived),
        "created_by": creator,
        "created_at": created_at,
    }


def _email_local(name: str) -> str:
    plain = name.lower().replace("á", "a").replace("ó", "o").replace(" bot", "bot")
    return plain.replace(" ", ".")


def _random_ts(rng: random.Random) -> str:
    day = rng.choice(_WEEK)
    return f"{day}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00Z"


def _later(ts: str, minutes: int) -> str:
    moment = datetime.fromisoformat(ts.replace("Z", "+00:00")) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
