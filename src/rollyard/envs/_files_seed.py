"""The seeded home folder of the ``files`` world.

The fixed part (documents, reports, code, downloads, trash) is the same for every seed and is
inserted first, so its ids are stable; tasks depend on it. The seed varies the photo albums
and the sizes of binary files, which are inserted after it.
"""

from __future__ import annotations

import random
from typing import Any

HOME = "/home/maya"
NOW = "2026-03-02T09:00:00"
"""The world's fixed "now": what writes stamp as ``modified_at``."""
OWNER = "maya"

USERS = [
    ("maya", "Maya Chen", "maya.chen@northwind.io"),
    ("priya", "Priya Raman", "priya.raman@northwind.io"),
    ("tom", "Tom Becker", "tom.becker@northwind.io"),
    ("luis", "Luis Ortega", "luis.ortega@northwind.io"),
    ("dana", "Dana Whitfield", "dana.whitfield@northwind.io"),
    ("jonas", "Jonas Weber", "jonas.weber@northwind.io"),
    ("elena", "Elena Petrova", "elena.petrova@northwind.io"),
]

BUDGET = """category,jan,feb,mar,notes
rent,1850,1850,1850,
groceries,420,388,,
transport,95,110,,monthly pass
travel,0,640,,ski trip
savings,600,600,600,
"""

BUDGET_V0 = """category,jan,feb,mar,notes
rent,1800,1800,1800,
groceries,400,400,400,estimate
transport,95,95,95,
savings,500,500,500,
"""

Q4_REPORT = """# Q4 2025 sales report

Final numbers, approved by Dana on 2026-01-14.

| region   | revenue | vs Q3 |
|----------|---------|-------|
| EMEA     | 1.42M   | +8%   |
| Americas | 2.10M   | +3%   |
| APAC     | 0.77M   | +12%  |

Total: 4.29M (+6% quarter on quarter).
"""

Q1_DRAFT = """# Q1 2026 sales report (DRAFT)

January and February are in; March is still open.

- EMEA: 0.98M so far
- Americas: 1.31M so far
- APAC: TODO, waiting for Ravi's numbers
"""

CONFIG = """city: Lisbon
units: metric
provider: openweather
api_key: sk_live_51HfX9qT2mVb8Kc4R7
cache_minutes: 30
"""

TODO = """# TODO
- [x] fetch current conditions
- [ ] 5-day forecast
- [ ] cache responses for cache_minutes
"""

_WEEKLY = {
    1: ("Jan 5–9", "2026-01-09T17:10:00", "Kicked off the billing migration; hired a contractor for the data export."),
    2: ("Jan 12–16", "2026-01-16T16:45:00", "Billing migration design approved. Two customer escalations closed."),
    3: ("Jan 19–23", "2026-01-23T17:30:00", "Export tooling done; first dry run moved 40% of invoices."),
    4: ("Jan 26–30", "2026-01-30T16:20:00", "Second dry run clean. Q4 report published."),
    5: ("Feb 2–6", "2026-02-06T17:05:00", "Board update sent. Planning for the ski-trip week off."),
    6: ("Feb 9–13", "2026-02-13T16:55:00", "Out Monday–Wednesday. Cut-over date set for March 9."),
    7: ("Feb 16–20", "2026-02-20T17:15:00", "Runbook for the cut-over reviewed with Tom and Priya."),
    8: ("Feb 23–27", "2026-02-27T17:40:00", "Q1 draft started. Weather-app side project: config cleanup pending."),
}


def _weekly(number: int) -> str:
    days, _, summary = _WEEKLY[number]
    return f"# Week {number} ({days})\n\n{summary}\n"


# (path under HOME, content or None for a folder or binary, modified_at, tags, binary size or None)
_FIXED: list[tuple[str, str | None, str, list[str], int | None]] = [
    ("", None, "2026-03-01T18:07:42", [], None),
    ("docs", None, "2026-02-23T11:02:00", [], None),
    ("docs/budget-2026.csv", BUDGET, "2026-02-20T21:14:00", ["finance"], None),
    ("docs/resume-2025.docx", None, "2025-09-14T10:30:00", [], 48_211),
    ("docs/notes", None, "2026-02-23T11:02:00", [], None),
    (
        "docs/notes/meeting-2026-02-16.md",
        "# Team meeting 2026-02-16\n\n- Cut-over date: March 9\n- Tom owns the rollback plan\n",
        "2026-02-16T11:05:00",
        [],
        None,
    ),
    (
        "docs/notes/meeting-2026-02-23.md",
        "# Team meeting 2026-02-23\n\n- Runbook reviewed\n- Release notes: nobody yet\n",
        "2026-02-23T11:02:00",
        [],
        None,
    ),
    (
        "docs/notes/ideas.txt",
        "weather app: hourly forecast?\nblog: write up the SQLite tips\nteam offsite in April\n",
        "2026-02-10T22:40:00",
        [],
        None,
    ),
    ("docs/contracts", None, "2026-02-11T15:20:00", [], None),
    ("docs/contracts/acme-nda-signed.pdf", None, "2025-11-03T09:12:00", ["signed"], 182_400),
    ("docs/contracts/acme-msa-draft-v2.docx", None, "2026-02-11T15:20:00", ["draft"], 64_900),
    ("docs/letters", None, "2026-01-28T20:00:00", [], None),
    (
        "docs/letters/reference-jonas.md",
        "To whom it may concern,\n\nJonas Weber worked on my team for two years...\n",
        "2026-01-28T20:00:00",
        [],
        None,
    ),
    ("reports", None, "2026-02-27T17:40:00", [], None),
    ("reports/q4-2025-sales.md", Q4_REPORT, "2026-01-15T10:05:00", [], None),
    ("reports/q1-2026-sales-draft.md", Q1_DRAFT, "2026-02-26T18:22:00", ["draft"], None),
    (
        "reports/board-update-feb.md",
        "# Board update, February\n\nRevenue on plan. Billing migration cut-over on March 9.\n",
        "2026-02-05T09:50:00",
        [],
        None,
    ),
    ("reports/weekly", None, "2026-02-27T17:40:00", [], None),
    *[(f"reports/weekly/week-{n:02d}.md", _weekly(n), _WEEKLY[n][1], [], None) for n in range(1, 8)],
    ("reports/weekly/wk08.md", _weekly(8), _WEEKLY[8][1], [], None),
    ("projects", None, "2026-02-24T21:00:00", [], None),
    ("projects/weather-app", None, "2026-02-24T21:00:00", [], None),
    (
        "projects/weather-app/README.md",
        "# weather-app\n\nA small CLI that prints the forecast for a city:\n\n    python -m weather Lisbon\n\n"
        "Settings live in config.yaml; the API key is read from the WEATHER_API_KEY variable.\n",
        "2026-02-12T20:30:00",
        [],
        None,
    ),
    ("projects/weather-app/config.yaml", CONFIG, "2026-02-24T21:00:00", [], None),
    ("projects/weather-app/TODO.md", TODO, "2026-02-12T20:35:00", [], None),
    ("projects/weather-app/src", None, "2026-02-24T20:50:00", [], None),
    (
        "projects/weather-app/src/main.py",
        "from .api import forecast\n\n\ndef main(city: str) -> None:\n    print(forecast(city))\n",
        "2026-02-12T20:10:00",
        [],
        None,
    ),
    (
        "projects/weather-app/src/api.py",
        "import os\n\nimport httpx\n\n\ndef forecast(city: str) -> str:\n"
        '    key = os.environ["WEATHER_API_KEY"]\n'
        '    reply = httpx.get("https://api.openweathermap.org/data/2.5/weather", params={"q": city, "appid": key})\n'
        '    return reply.json()["weather"][0]["description"]\n',
        "2026-02-24T20:50:00",
        [],
        None,
    ),
    ("projects/weather-app/tests", None, "2026-02-12T20:40:00", [], None),
    (
        "projects/weather-app/tests/test_api.py",
        "def test_forecast_needs_a_key(monkeypatch):\n    monkeypatch.delenv('WEATHER_API_KEY', raising=False)\n",
        "2026-02-12T20:40:00",
        [],
        None,
    ),
    ("projects/blog", None, "2026-02-18T22:10:00", [], None),
    ("projects/blog/drafts", None, "2026-02-18T22:10:00", [], None),
    (
        "projects/blog/drafts/offline-caching.md",
        "# Offline caching for small CLIs\n\nWhy the weather app caches responses, and how.\n",
        "2026-02-18T22:10:00",
        ["draft"],
        None,
    ),
    (
        "projects/blog/drafts/sqlite-tips.md",
        "# Five SQLite tips\n\n1. WAL mode\n2. STRICT tables\n3. json_extract\n4. VACUUM INTO\n5. serialize()\n",
        "2026-02-08T21:45:00",
        ["draft"],
        None,
    ),
    ("projects/blog/published", None, "2025-12-01T19:00:00", [], None),
    (
        "projects/blog/published/hello-world.md",
        "# Hello, world\n\nFirst post.\n",
        "2025-12-01T19:00:00",
        [],
        None,
    ),
    ("downloads", None, "2026-03-01T18:07:42", [], None),
    ("downloads/setup-zoom.dmg", None, "2026-02-02T08:55:00", [], 0),
    ("downloads/vscode-installer.exe", None, "2026-01-19T14:03:00", [], 0),
    ("downloads/invoice-2026-01.pdf", None, "2026-02-01T07:30:00", [], 0),
    ("downloads/invoice-2026-02.pdf", None, "2026-03-01T07:30:00", [], 0),
    ("downloads/boarding-pass-LIS.pdf", None, "2025-06-10T06:15:00", [], 0),
    ("downloads/q4-2025-sales (1).md", Q4_REPORT, "2026-01-20T12:00:00", [], None),
    ("downloads/budget-2026 copy.csv", BUDGET, "2026-02-21T09:00:00", [], None),
    ("downloads/budget-2026-v0.csv", BUDGET_V0, "2025-12-28T16:40:00", [], None),
    ("downloads/Screenshot 2025-11-20 at 10.02.11.png", None, "2025-11-20T10:02:11", [], 0),
    ("downloads/Screenshot 2025-12-03 at 16.45.09.png", None, "2025-12-03T16:45:09", [], 0),
    ("downloads/Screenshot 2026-02-10 at 09.15.33.png", None, "2026-02-10T09:15:33", [], 0),
    ("downloads/Screenshot 2026-02-24 at 14.20.05.png", None, "2026-02-24T14:20:05", [], 0),
    ("downloads/Screenshot 2026-03-01 at 18.07.42.png", None, "2026-03-01T18:07:42", [], 0),
    ("trash", None, "2026-02-25T10:00:00", [], None),
    ("trash/old-logo.png", None, "2025-10-02T13:00:00", [], 0),
    ("trash/notes-backup.txt", "(old notes, superseded by docs/notes)\n", "2025-12-30T09:00:00", [], None),
    ("trash/draft-v0.md", "# Q4 report, first draft\n", "2026-01-08T18:00:00", [], None),
    ("photos", None, "2026-01-25T19:00:00", [], None),
    ("photos/profile.jpg", None, "2025-03-14T12:00:00", [], 0),
]

# (path under HOME, who, permission): shares in place at the start.
_SHARES = [
    ("reports/q4-2025-sales.md", "priya", "read"),
    ("reports/q4-2025-sales.md", "dana", "read"),
    ("docs/budget-2026.csv", "luis", "read"),
    ("projects/weather-app/README.md", "tom", "edit"),
]


def _path(relative: str) -> str:
    return f"{HOME}/{relative}" if relative else HOME


def _binary_size(rng: random.Random, name: str) -> int:
    if name.endswith((".dmg", ".exe")):
        return rng.randint(80, 240) * 1_048_576 + rng.randint(0, 1_048_575)
    if name.endswith(".png"):
        return rng.randint(180_000, 1_400_000)
    if name.endswith(".jpg"):
        return rng.randint(1_800_000, 4_600_000)
    return rng.randint(60_000, 400_000)


def seed_rows(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Users, files (fixed ones first) and shares for one seed."""
    files: list[dict[str, Any]] = []

    def add(relative: str, content: str | None, modified_at: str, tags: list[str], size: int | None) -> None:
        kind = "dir" if content is None and size is None else "file"
        if content is not None:
            size = len(content.encode())
        elif size == 0:
            size = _binary_size(rng, relative)
        files.append(
            {
                "id": len(files) + 1,
                "path": _path(relative),
                "kind": kind,
                "content": content,
                "size": size or 0,
                "owner": OWNER,
                "modified_at": modified_at,
                "tags": tags,
            }
        )

    for entry in _FIXED:
        add(*entry)
    albums = [("2025-lisbon", "2025-06", rng.randint(4, 7)), ("2026-ski-trip", "2026-01", rng.randint(3, 6))]
    number = rng.randint(1000, 8000)
    for album, month, count in albums:
        add(f"photos/{album}", None, f"{month}-2{rng.randint(0, 8)}T20:00:00", [], None)
        for _ in range(count):
            number += rng.randint(1, 40)
            day, hour = rng.randint(10, 19), rng.randint(8, 21)
            stamp = f"{month}-{day}T{hour:02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            add(f"photos/{album}/IMG_{number}.jpg", None, stamp, [], 0)
    ids = {row["path"]: row["id"] for row in files}
    shares = [
        {"id": i, "file_id": ids[_path(p)], "username": who, "permission": perm, "shared_at": "2026-02-01T09:00:00"}
        for i, (p, who, perm) in enumerate(_SHARES, start=1)
    ]
    users = [{"username": u, "full_name": name, "email": email} for u, name, email in USERS]
    return {"users": users, "files": files, "shares": shares}
