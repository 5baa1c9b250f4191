"""The ``files`` world: each tool's behaviour and errors, seeding, snapshots and diffs."""

from __future__ import annotations

from typing import Any

import pytest

from rollyard.envs import make_world
from rollyard.envs._files import FileSystemWorld
from rollyard.envs._files_seed import HOME
from tests.envs.world_calls import assert_tools_documented, call, error, ok


@pytest.fixture
def world() -> FileSystemWorld:
    return FileSystemWorld(seed=0)


def paths(world: FileSystemWorld) -> dict[str, dict[str, Any]]:
    return {row["path"]: row for row in world.state()["files"]}


# ---- the world as a whole ----


def test_registry_and_tools() -> None:
    world = make_world("files", seed=0)
    assert isinstance(world, FileSystemWorld) and world.name == "files"
    assert world.toolset.names() == [
        "list_dir",
        "read_file",
        "file_info",
        "search_files",
        "list_users",
        "write_file",
        "create_dir",
        "move",
        "copy",
        "delete",
        "empty_trash",
        "tag",
        "share_file",
        "unshare_file",
    ]
    assert_tools_documented(world)


def test_seeding_is_deterministic_and_varies_by_seed() -> None:
    first, again, other = FileSystemWorld(seed=0), FileSystemWorld(seed=0), FileSystemWorld(seed=7)
    assert first.state() == again.state()
    assert first.state() != other.state()
    for seed in range(5):
        files = FileSystemWorld(seed=seed).state()["files"]
        assert 40 <= len(files) <= 80
    # The fixed part (what tasks rely on) keeps its ids whatever the seed.
    fixed = {r["path"]: r["id"] for r in first.state()["files"] if not r["path"].startswith(f"{HOME}/photos/20")}
    assert {r["path"]: r["id"] for r in other.state()["files"] if r["path"] in fixed} == fixed


def test_reset_puts_the_seeded_state_back(world: FileSystemWorld) -> None:
    initial = world.state()
    ok(world, "empty_trash")
    ok(world, "write_file", path="docs/new.txt", content="hi")
    assert world.state() != initial
    world.reset(0)
    assert world.state() == initial
    world.reset(3)
    assert world.state() == FileSystemWorld(seed=3).state()


def test_snapshot_restore_round_trip_after_irreversible_actions(world: FileSystemWorld) -> None:
    initial = world.state()
    snapshot = world.toolset.snapshot()
    ok(world, "delete", path="projects", recursive=True)
    ok(world, "empty_trash")
    assert f"{HOME}/projects/weather-app/config.yaml" not in paths(world)
    world.toolset.restore(snapshot)
    assert world.state() == initial
    # The restored world keeps working, and a snapshot can be restored twice.
    ok(world, "delete", path="docs/budget-2026.csv")
    world.restore(snapshot)
    assert world.state() == initial


# ---- reading ----


def test_list_dir(world: FileSystemWorld) -> None:
    entries = ok(world, "list_dir")
    assert [e["name"] for e in entries] == ["docs", "downloads", "photos", "projects", "reports", "trash"]
    assert all(e["kind"] == "dir" for e in entries)
    drafts = ok(world, "list_dir", path="~/projects/blog/drafts")
    assert [(e["name"], e["tags"]) for e in drafts] == [
        ("offline-caching.md", ["draft"]),
        ("sqlite-tips.md", ["draft"]),
    ]
    everything = ok(world, "list_dir", path=f"{HOME}/projects/weather-app", recursive=True)
    assert f"{HOME}/projects/weather-app/src/api.py" in [e["path"] for e in everything]
    assert "read_file" in error(world, "list_dir", path="docs/budget-2026.csv")
    assert "no such file or folder" in error(world, "list_dir", path="nowhere")


def test_paths_resolve_from_home_and_stay_inside_it(world: FileSystemWorld) -> None:
    same = [ok(world, "read_file", path=p)["path"] for p in ("docs/ideas/../budget-2026.csv", "~/docs/budget-2026.csv")]
    assert same == [f"{HOME}/docs/budget-2026.csv"] * 2
    assert "outside your home folder" in error(world, "read_file", path="/etc/passwd")
    assert "outside your home folder" in error(world, "list_dir", path="../..")
    assert "did you mean /home/maya/reports/weekly/wk08.md" in error(world, "read_file", path="reports/weekly/wk08")


def test_read_file(world: FileSystemWorld) -> None:
    config = ok(world, "read_file", path="projects/weather-app/config.yaml")
    assert "api_key: sk_live_" in config["content"] and config["owner"] == "maya"
    photo = ok(world, "read_file", path="photos/profile.jpg")
    assert photo["content"] == f"(binary file, {photo['size']} bytes)"
    assert "use list_dir" in error(world, "read_file", path="docs")


def test_file_info(world: FileSystemWorld) -> None:
    report = ok(world, "file_info", path="reports/q4-2025-sales.md")
    assert "content" not in report
    assert [(s["username"], s["permission"]) for s in report["shared_with"]] == [("dana", "read"), ("priya", "read")]
    assert report["modified_at"] == "2026-01-15T10:05:00"
    assert ok(world, "file_info", path="trash")["items"] == 3


def test_search_files(world: FileSystemWorld) -> None:
    by_name = ok(world, "search_files", query="invoice", in_content=False)
    assert [e["name"] for e in by_name] == ["invoice-2026-01.pdf", "invoice-2026-02.pdf"]
    with_text = ok(world, "search_files", query="invoice")
    assert [e["name"] for e in with_text] == ["invoice-2026-01.pdf", "invoice-2026-02.pdf", "week-03.md"]
    by_pattern = ok(world, "search_files", query="*.dmg")
    assert [e["name"] for e in by_pattern] == ["setup-zoom.dmg"]
    by_content = ok(world, "search_files", query="SK_LIVE")
    assert [(e["name"], e["matching_line"]) for e in by_content] == [
        ("config.yaml", "api_key: sk_live_51HfX9qT2mVb8Kc4R7")
    ]
    assert ok(world, "search_files", query="sk_live", in_content=False) == []
    tagged = ok(world, "search_files", tag="draft")
    assert {e["name"] for e in tagged} == {
        "q1-2026-sales-draft.md",
        "acme-msa-draft-v2.docx",
        "offline-caching.md",
        "sqlite-tips.md",
    }
    inside = ok(world, "search_files", query="draft", under="projects/blog")
    assert {e["path"] for e in inside} == {f"{HOME}/projects/blog/drafts"}


def test_list_users(world: FileSystemWorld) -> None:
    users = ok(world, "list_users")
    assert "maya" not in [u["username"] for u in users]
    assert {"username": "priya", "full_name": "Priya Raman", "email": "priya.raman@northwind.io"} in users


# ---- changing ----


def test_write_file_modes(world: FileSystemWorld) -> None:
    assert "created" in ok(world, "write_file", path="docs/notes/todo.txt", content="one\n")
    row = paths(world)[f"{HOME}/docs/notes/todo.txt"]
    assert (row["kind"], row["size"], row["owner"], row["modified_at"]) == ("file", 4, "maya", "2026-03-02T09:00:00")
    assert "mode 'overwrite'" in error(world, "write_file", path="docs/notes/todo.txt", content="x")
    ok(world, "write_file", path="docs/notes/todo.txt", content="two\n", mode="append")
    assert paths(world)[f"{HOME}/docs/notes/todo.txt"]["content"] == "one\ntwo\n"
    ok(world, "write_file", path="docs/notes/todo.txt", content="ü", mode="overwrite")
    assert paths(world)[f"{HOME}/docs/notes/todo.txt"]["size"] == 2  # bytes, not characters
    assert "create it first" in error(world, "write_file", path="docs/missing/a.txt", content="x")
    assert "binary" in error(world, "write_file", path="photos/profile.jpg", content="x", mode="append")
    assert "is a folder" in error(world, "write_file", path="docs", content="x", mode="overwrite")
    assert call(world, "write_file", path="a.txt", content="x", mode="sideways").status == "invalid_arguments"


def test_create_dir_makes_missing_parents(world: FileSystemWorld) -> None:
    ok(world, "create_dir", path="photos/2026/march")
    rows = paths(world)
    assert rows[f"{HOME}/photos/2026"]["kind"] == rows[f"{HOME}/photos/2026/march"]["kind"] == "dir"
    assert "already exists" in error(world, "create_dir", path="photos/2026")
    assert "is a file" in error(world, "create_dir", path="docs/budget-2026.csv/sub")


def test_move_renames_and_moves_folders_with_their_contents(world: FileSystemWorld) -> None:
    before = paths(world)
    ok(world, "move", source="reports/weekly/wk08.md", destination="reports/weekly/week-08.md")
    after = paths(world)
    moved = after[f"{HOME}/reports/weekly/week-08.md"]
    assert moved["id"] == before[f"{HOME}/reports/weekly/wk08.md"]["id"]
    assert moved["modified_at"] == before[f"{HOME}/reports/weekly/wk08.md"]["modified_at"]  # mv keeps mtime
    ok(world, "move", source="projects/blog", destination="docs")  # an existing folder: move into it
    after = paths(world)
    assert f"{HOME}/docs/blog/drafts/sqlite-tips.md" in after
    assert not any(p.startswith(f"{HOME}/projects/blog") for p in after)
    # Shares follow the file (they point at its id).
    ok(world, "move", source="docs/budget-2026.csv", destination="reports/budget.csv")
    assert ok(world, "file_info", path="reports/budget.csv")["shared_with"][0]["username"] == "luis"


def test_move_errors(world: FileSystemWorld) -> None:
    assert "already exists" in error(
        world, "move", source="docs/budget-2026.csv", destination="downloads/budget-2026 copy.csv"
    )
    assert "into itself" in error(world, "move", source="projects", destination="projects/weather-app/src")
    assert "cannot move" in error(world, "move", source="trash", destination="docs")
    assert "already there" in error(world, "move", source="docs/budget-2026.csv", destination="docs")
    assert "create it first" in error(world, "move", source="docs/budget-2026.csv", destination="nope/b.csv")


def test_copy_makes_new_rows(world: FileSystemWorld) -> None:
    before = paths(world)
    ok(world, "copy", source="projects/weather-app", destination="projects/weather-app-backup")
    after = paths(world)
    originals = [p for p in before if p.startswith(f"{HOME}/projects/weather-app")]
    copies = [p for p in after if p.startswith(f"{HOME}/projects/weather-app-backup")]
    assert len(copies) == len(originals) == 9
    copied = after[f"{HOME}/projects/weather-app-backup/config.yaml"]
    assert copied["content"] == before[f"{HOME}/projects/weather-app/config.yaml"]["content"]
    assert copied["id"] not in {row["id"] for row in before.values()}
    assert all(after[p] == before[p] for p in originals)
    assert "already exists" in error(
        world, "copy", source="docs/budget-2026.csv", destination="downloads/budget-2026 copy.csv"
    )
    assert "another name" in error(world, "copy", source="docs/budget-2026.csv", destination="docs")


def test_delete(world: FileSystemWorld) -> None:
    ok(world, "delete", path="downloads/setup-zoom.dmg")
    assert f"{HOME}/downloads/setup-zoom.dmg" not in paths(world)
    assert "recursive=true" in error(world, "delete", path="projects/blog")
    assert "cannot delete the trash" in error(world, "delete", path="trash", recursive=True)
    assert "home folder" in error(world, "delete", path="~", recursive=True)
    # Deleting a shared file ends its shares; a folder goes with everything in it.
    assert "and 12 items" in ok(world, "delete", path="reports", recursive=True)
    assert not any(p.startswith(f"{HOME}/reports") for p in paths(world))
    assert [s["file_id"] for s in world.state()["shares"]] == [3, 29]


def test_empty_trash(world: FileSystemWorld) -> None:
    assert ok(world, "empty_trash") == "deleted 3 items from the trash"
    assert ok(world, "list_dir", path="trash") == []
    assert f"{HOME}/trash" in paths(world)
    before = world.state()
    assert ok(world, "empty_trash") == "the trash is already empty"
    assert world.state() == before


def test_tag(world: FileSystemWorld) -> None:
    assert ok(world, "tag", path="reports/q1-2026-sales-draft.md", add=["Q1", "draft"]) == {
        "path": f"{HOME}/reports/q1-2026-sales-draft.md",
        "tags": ["draft", "q1"],
    }
    assert ok(world, "tag", path="reports/q1-2026-sales-draft.md", remove=["draft"], add=["final"])["tags"] == [
        "q1",
        "final",
    ]
    assert "has no tag draft" in error(world, "tag", path="reports/q1-2026-sales-draft.md", remove=["draft"])
    assert "give tags" in error(world, "tag", path="reports/q1-2026-sales-draft.md", add=[" "])


def test_share_and_unshare(world: FileSystemWorld) -> None:
    assert "shared" in ok(world, "share_file", path="docs/budget-2026.csv", with_user="Priya", permission="edit")
    share = world.state()["shares"][-1]
    assert (share["file_id"], share["username"], share["permission"]) == (3, "priya", "edit")
    before = world.state()
    assert "already has read access" in ok(world, "share_file", path="docs/budget-2026.csv", with_user="luis")
    assert world.state() == before
    assert "now has edit access" in ok(
        world, "share_file", path="docs/budget-2026.csv", with_user="luis.ortega@northwind.io", permission="edit"
    )
    assert "no user" in error(world, "share_file", path="docs/budget-2026.csv", with_user="zed")
    assert "owns" in error(world, "share_file", path="docs/budget-2026.csv", with_user="maya")
    ok(world, "unshare_file", path="reports/q4-2025-sales.md", with_user="dana")
    assert [s["username"] for s in ok(world, "file_info", path="reports/q4-2025-sales.md")["shared_with"]] == ["priya"]
    assert "is not shared with" in error(world, "unshare_file", path="reports/q4-2025-sales.md", with_user="dana")


# ---- diffs ----


def test_diff_shape_for_each_kind_of_change(world: FileSystemWorld) -> None:
    before = world.state()
    ok(world, "write_file", path="docs/new.md", content="# New\n")
    ok(world, "move", source="docs/resume-2025.docx", destination="docs/resume.docx")
    ok(world, "delete", path="trash/draft-v0.md")
    ok(world, "share_file", path="docs/new.md", with_user="tom")
    diff = world.diff(before, world.state())
    assert diff.summary() == "files +1 ~1 -1, shares +1"
    inserted = {row["__table__"]: row for row in diff.inserts}
    assert inserted["files"]["path"] == f"{HOME}/docs/new.md" and inserted["files"]["tags"] == []
    assert inserted["shares"]["file_id"] == inserted["files"]["id"]
    (update,) = diff.updates
    assert update["before"]["__table__"] == update["after"]["__table__"] == "files"
    assert (update["before"]["path"], update["after"]["path"]) == (
        f"{HOME}/docs/resume-2025.docx",
        f"{HOME}/docs/resume.docx",
    )
    (deleted,) = diff.deletes
    (draft,) = [row for row in before["files"] if row["path"] == f"{HOME}/trash/draft-v0.md"]
    assert deleted == {"__table__": "files", **draft}
    assert world.diff(before, before).empty


def test_a_failing_tool_changes_nothing(world: FileSystemWorld) -> None:
    before = world.state()
    failing: list[tuple[str, dict[str, Any]]] = [
        ("copy", {"source": "projects", "destination": "projects/weather-app/copy"}),
        ("move", {"source": "docs", "destination": "/tmp"}),
        ("delete", {"path": "docs/missing.txt"}),
        ("share_file", {"path": "docs", "with_user": "nobody"}),
        ("tag", {"path": "docs", "remove": ["nope"]}),
        ("write_file", {"path": "docs/budget-2026.csv", "content": "x"}),
    ]
    for tool, args in failing:
        assert call(world, tool, **args).status == "error", tool
    assert world.state() == before
