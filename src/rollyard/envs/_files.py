"""``files``: one user's home folder (docs, reports, photos, code projects, downloads, trash).

State is three tables: ``users`` (the people files can be shared with), ``files`` (every file
and folder, by absolute path) and ``shares``. Paths may be given absolute (``/home/maya/docs``),
from the home folder (``docs``, ``~/docs``); every path lives under ``/home/maya``. ``delete``
and ``empty_trash`` are irreversible; moving something to ``trash`` is the way to keep a way back.
"""

from __future__ import annotations

import fnmatch
import posixpath
import random
from typing import Any, ClassVar, Literal

from ._base import SQLiteWorld, ToolError, world_tool
from ._files_seed import HOME, NOW, OWNER, seed_rows

TRASH = f"{HOME}/trash"
_SEARCH_LIMIT = 50


def _normalize(path: str) -> str:
    text = path.strip()
    if not text:
        raise ToolError("a path is required (for example /home/maya/docs)")
    if text == "~" or text.startswith("~/"):
        text = HOME + text[1:]
    elif not text.startswith("/"):
        text = f"{HOME}/{text}"
    normal = posixpath.normpath(text)
    if normal != HOME and not normal.startswith(HOME + "/"):
        raise ToolError(f"{path}: outside your home folder; every path is under {HOME}")
    return normal


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": row["path"],
        "name": posixpath.basename(row["path"]),
        "kind": row["kind"],
        "size": row["size"],
        "modified_at": row["modified_at"],
        "tags": row["tags"],
    }


def _under(path: str) -> str:
    """A LIKE pattern for everything below ``path`` (paths hold no % or _ wildcards we rely on)."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


class FileSystemWorld(SQLiteWorld):
    """A user's files: read, search, write, move, copy, delete, tag and share them."""

    name: ClassVar[str] = "files"
    description: ClassVar[str] = (
        f"The home folder {HOME} of Maya Chen, the user: docs, reports, photos, projects, downloads and a trash "
        f"folder. Today is Monday {NOW[:10]}."
    )
    schema: ClassVar[str] = """
        CREATE TABLE users (
            username TEXT PRIMARY KEY,
            full_name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE
        );
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
            content TEXT,
            size INTEGER NOT NULL DEFAULT 0,
            owner TEXT NOT NULL REFERENCES users(username),
            modified_at TEXT NOT NULL,
            tags JSON NOT NULL DEFAULT '[]'
        );
        CREATE TABLE shares (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            username TEXT NOT NULL REFERENCES users(username),
            permission TEXT NOT NULL CHECK (permission IN ('read', 'edit')),
            shared_at TEXT NOT NULL,
            UNIQUE (file_id, username)
        );
    """

    def seed_rows(self, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
        return seed_rows(rng)

    # ---- lookups ----

    def _get(self, path: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM files WHERE path = ?", path)
        return rows[0] if rows else None

    def _existing(self, path: str) -> dict[str, Any]:
        normal = _normalize(path)
        row = self._get(normal)
        if row is None:
            hint = self._near(normal)
            raise ToolError(f"{normal}: no such file or folder" + (f"; did you mean {hint}?" if hint else ""))
        return row

    def _near(self, path: str) -> str | None:
        """A path in the same folder whose name is close, for error messages."""
        folder, name = posixpath.split(path)
        rows = self.query("SELECT path FROM files WHERE path LIKE ? ESCAPE '\\'", _under(folder))
        names = [r["path"] for r in rows if posixpath.dirname(r["path"]) == folder]
        lowered = name.lower()
        for candidate in names:
            base = posixpath.basename(candidate).lower()
            if lowered in base or base in lowered:
                return str(candidate)
        return None

    def _parent_folder(self, path: str) -> None:
        parent = posixpath.dirname(path)
        row = self._get(parent)
        if row is None:
            raise ToolError(f"folder {parent} does not exist; create it first with create_dir")
        if row["kind"] != "dir":
            raise ToolError(f"{parent} is a file, not a folder")

    def _subtree(self, path: str) -> list[dict[str, Any]]:
        """``path`` and everything below it, parents before children."""
        return self.query(
            "SELECT * FROM files WHERE path = ? OR path LIKE ? ESCAPE '\\' ORDER BY path", path, _under(path)
        )

    def _user(self, who: str) -> dict[str, Any]:
        """A user by username, email or (unambiguous) name."""
        wanted = who.strip().lower()
        users = self.query("SELECT * FROM users ORDER BY username")
        for user in users:
            if wanted in (user["username"].lower(), user["email"].lower(), user["full_name"].lower()):
                return user
        partial = [u for u in users if wanted and wanted in u["full_name"].lower()]
        if len(partial) == 1:
            return partial[0]
        known = ", ".join(f"{u['username']} ({u['full_name']})" for u in users)
        if partial:
            raise ToolError(f"{who!r} matches several people: {', '.join(u['username'] for u in partial)}")
        raise ToolError(f"no user {who!r}; users: {known}")

    def _shares_of(self, file_id: int) -> list[dict[str, Any]]:
        return self.query(
            "SELECT username, permission, shared_at FROM shares WHERE file_id = ? ORDER BY username", file_id
        )

    # ---- reading ----

    @world_tool
    def list_dir(self, path: str = HOME, recursive: bool = False) -> list[dict[str, Any]]:
        """List what a folder holds: name, kind (file or dir), size in bytes, last modified, tags.

        Args:
            path: The folder, absolute or relative to the home folder /home/maya.
            recursive: Also list everything in subfolders.
        """
        folder = self._existing(path)
        if folder["kind"] != "dir":
            raise ToolError(f"{folder['path']} is a file; use read_file")
        rows = self.query("SELECT * FROM files WHERE path LIKE ? ESCAPE '\\' ORDER BY path", _under(folder["path"]))
        if not recursive:
            rows = [r for r in rows if posixpath.dirname(r["path"]) == folder["path"]]
        return [_entry(r) for r in rows]

    @world_tool
    def read_file(self, path: str) -> dict[str, Any]:
        """Read a file's text and details (binary files such as photos and PDFs show no text).

        Args:
            path: The file, absolute or relative to /home/maya.
        """
        row = self._existing(path)
        if row["kind"] == "dir":
            raise ToolError(f"{row['path']} is a folder; use list_dir")
        content = row["content"] if row["content"] is not None else f"(binary file, {row['size']} bytes)"
        return {**_entry(row), "owner": row["owner"], "content": content}

    @world_tool
    def file_info(self, path: str) -> dict[str, Any]:
        """A file's or folder's details without its text: size, owner, last modified, tags, who it is shared with.

        Args:
            path: The file or folder, absolute or relative to /home/maya.
        """
        row = self._existing(path)
        info = {**_entry(row), "owner": row["owner"], "shared_with": self._shares_of(row["id"])}
        if row["kind"] == "dir":
            info["items"] = len(self._subtree(row["path"])) - 1
        return info

    @world_tool
    def search_files(
        self, query: str = "", under: str = HOME, in_content: bool = True, tag: str | None = None
    ) -> list[dict[str, Any]]:
        """Find files and folders by name (substring, or a pattern like *.pdf) or by text inside them.

        Args:
            query: Text to look for (case-insensitive). Empty: match everything (use with tag).
            under: Only search inside this folder.
            in_content: Also match files whose text contains the query (a matching line is shown).
            tag: Only files carrying this tag.
        """
        folder = self._existing(under)
        wanted = query.strip().lower()
        pattern = any(ch in wanted for ch in "*?[")
        found: list[dict[str, Any]] = []
        for row in self._subtree(folder["path"])[1:]:
            if tag is not None and tag.strip().lower() not in row["tags"]:
                continue
            name = posixpath.basename(row["path"]).lower()
            hit = fnmatch.fnmatch(name, wanted) if pattern else wanted in name
            line = None
            if not hit and in_content and wanted and not pattern and row["content"]:
                line = next((ln.strip() for ln in row["content"].splitlines() if wanted in ln.lower()), None)
                hit = line is not None
            if hit:
                found.append({**_entry(row), **({"matching_line": line} if line else {})})
            if len(found) >= _SEARCH_LIMIT:
                break
        return found

    @world_tool
    def list_users(self) -> list[dict[str, Any]]:
        """The people files can be shared with (username, full name, email)."""
        return self.query("SELECT username, full_name, email FROM users WHERE username != ? ORDER BY username", OWNER)

    # ---- changing ----

    @world_tool
    def write_file(self, path: str, content: str, mode: Literal["create", "overwrite", "append"] = "create") -> str:
        """Write text to a file. The folder it goes in must exist.

        Args:
            path: The file, absolute or relative to /home/maya.
            content: The text to write.
            mode: create (a new file; fails if it exists), overwrite (replace the whole text, or create),
                append (add to the end, or create).
        """
        target = _normalize(path)
        with self.transaction() as db:
            row = self._get(target)
            if row is None:
                self._parent_folder(target)
                self._insert(db, "files", self._new_file(target, content))
                return f"created {target} ({len(content.encode())} bytes)"
            if row["kind"] == "dir":
                raise ToolError(f"{target} is a folder")
            if mode == "create":
                raise ToolError(f"{target} already exists; use mode 'overwrite' or 'append'")
            if mode == "append":
                if row["content"] is None:
                    raise ToolError(f"{target} is a binary file; cannot append text to it")
                content = row["content"] + content
            changes = {"content": content, "size": len(content.encode()), "modified_at": NOW}
            self.update(db, "files", {"id": row["id"]}, changes)
            return f"{'appended to' if mode == 'append' else 'overwrote'} {target} ({changes['size']} bytes now)"

    @world_tool
    def create_dir(self, path: str) -> str:
        """Create a folder, and any missing folders above it.

        Args:
            path: The new folder, absolute or relative to /home/maya.
        """
        target = _normalize(path)
        with self.transaction() as db:
            existing = self._get(target)
            if existing is not None:
                raise ToolError(f"{target} already exists (a {'folder' if existing['kind'] == 'dir' else 'file'})")
            missing = [target]
            parent = posixpath.dirname(target)
            while (row := self._get(parent)) is None:
                missing.append(parent)
                parent = posixpath.dirname(parent)
            if row["kind"] != "dir":
                raise ToolError(f"{parent} is a file, not a folder")
            for folder in reversed(missing):
                self._insert(db, "files", self._new_dir(folder))
            return f"created {target}"

    @world_tool
    def move(self, source: str, destination: str) -> str:
        """Move or rename a file or folder (a folder moves with everything in it).

        Args:
            source: What to move.
            destination: The new path; if it is an existing folder, the item moves into it keeping its name.
        """
        with self.transaction() as db:
            row, target = self._placement(source, destination, "move")
            for item in self._subtree(row["path"]):
                new_path = target + item["path"][len(row["path"]) :]
                self.update(db, "files", {"id": item["id"]}, {"path": new_path})
            return f"moved {row['path']} to {target}"

    @world_tool
    def copy(self, source: str, destination: str) -> str:
        """Copy a file or folder (a folder is copied with everything in it).

        Args:
            source: What to copy.
            destination: The path of the copy; if it is an existing folder, the copy goes into it keeping its name.
        """
        with self.transaction() as db:
            row, target = self._placement(source, destination, "copy")
            for item in self._subtree(row["path"]):
                copied = {k: v for k, v in item.items() if k != "id"}
                copied |= {"path": target + item["path"][len(row["path"]) :], "owner": OWNER, "modified_at": NOW}
                self._insert(db, "files", copied)
            return f"copied {row['path']} to {target}"

    def _placement(self, source: str, destination: str, verb: str) -> tuple[dict[str, Any], str]:
        row = self._existing(source)
        if row["path"] in (HOME, TRASH):
            raise ToolError(f"cannot {verb} {row['path']}")
        target = _normalize(destination)
        existing = self._get(target)
        if existing is not None and existing["kind"] == "dir" and target != row["path"]:
            target = posixpath.join(target, posixpath.basename(row["path"]))
            existing = self._get(target)
        if target == row["path"]:
            if verb == "move":
                raise ToolError(f"{row['path']} is already there")
            raise ToolError(f"{target} already exists; give the copy another name")
        if existing is not None:
            raise ToolError(f"{target} already exists; {verb} it somewhere else or delete that first")
        if row["kind"] == "dir" and target.startswith(row["path"] + "/"):
            raise ToolError(f"cannot {verb} a folder into itself ({target})")
        self._parent_folder(target)
        return row, target

    @world_tool
    def delete(self, path: str, recursive: bool = False) -> str:
        """Delete a file or folder permanently. This cannot be undone: to keep a way back, move it to trash.

        Args:
            path: What to delete.
            recursive: Required to delete a folder that is not empty (everything in it goes too).
        """
        with self.transaction() as db:
            row = self._existing(path)
            if row["path"] == HOME:
                raise ToolError("cannot delete your home folder")
            if row["path"] == TRASH:
                raise ToolError("cannot delete the trash folder; use empty_trash to delete what is in it")
            items = self._subtree(row["path"])
            if len(items) > 1 and not recursive:
                raise ToolError(f"{row['path']} is a folder holding {len(items) - 1} items; pass recursive=true")
            marks = ",".join("?" * len(items))
            db.execute(f"DELETE FROM files WHERE id IN ({marks})", [i["id"] for i in items])
            return f"deleted {row['path']}" + (f" and {len(items) - 1} items in it" if len(items) > 1 else "")

    @world_tool
    def empty_trash(self) -> str:
        """Permanently delete everything in /home/maya/trash. This cannot be undone."""
        with self.transaction() as db:
            items = self._subtree(TRASH)[1:]
            if not items:
                return "the trash is already empty"
            db.execute("DELETE FROM files WHERE path LIKE ? ESCAPE '\\'", (_under(TRASH),))
            return f"deleted {len(items)} items from the trash"

    @world_tool
    def tag(self, path: str, add: list[str] | None = None, remove: list[str] | None = None) -> dict[str, Any]:
        """Add tags to or remove tags from a file or folder (tags are lowercase words like final, draft).

        Args:
            path: The file or folder.
            add: Tags to add.
            remove: Tags to remove.
        """
        added = [t.strip().lower() for t in add or [] if t.strip()]
        removed = [t.strip().lower() for t in remove or [] if t.strip()]
        if not added and not removed:
            raise ToolError("give tags to add or to remove")
        with self.transaction() as db:
            row = self._existing(path)
            missing = [t for t in removed if t not in row["tags"]]
            if missing:
                raise ToolError(f"{row['path']} has no tag {', '.join(missing)} (tags: {row['tags'] or 'none'})")
            tags = [t for t in row["tags"] if t not in removed]
            tags += [t for t in dict.fromkeys(added) if t not in tags]
            if tags != row["tags"]:
                self.update(db, "files", {"id": row["id"]}, {"tags": tags})
            return {"path": row["path"], "tags": tags}

    @world_tool
    def share_file(self, path: str, with_user: str, permission: Literal["read", "edit"] = "read") -> str:
        """Share a file or folder with someone (or change what they may do with it).

        Args:
            path: The file or folder.
            with_user: Their username, email or name (see list_users).
            permission: read (view only) or edit.
        """
        with self.transaction() as db:
            row = self._existing(path)
            user = self._user(with_user)
            if user["username"] == row["owner"]:
                raise ToolError(f"{user['full_name']} owns {row['path']} already")
            current = self.query("SELECT * FROM shares WHERE file_id = ? AND username = ?", row["id"], user["username"])
            if current and current[0]["permission"] == permission:
                return f"{user['full_name']} already has {permission} access to {row['path']}"
            if current:
                self.update(db, "shares", {"id": current[0]["id"]}, {"permission": permission})
                return f"{user['full_name']} now has {permission} access to {row['path']}"
            share = {"file_id": row["id"], "username": user["username"], "permission": permission, "shared_at": NOW}
            self._insert(db, "shares", share)
            return f"shared {row['path']} with {user['full_name']} ({permission})"

    @world_tool
    def unshare_file(self, path: str, with_user: str) -> str:
        """Stop sharing a file or folder with someone.

        Args:
            path: The file or folder.
            with_user: Their username, email or name.
        """
        with self.transaction() as db:
            row = self._existing(path)
            user = self._user(with_user)
            cursor = db.execute("DELETE FROM shares WHERE file_id = ? AND username = ?", (row["id"], user["username"]))
            if not cursor.rowcount:
                raise ToolError(f"{row['path']} is not shared with {user['full_name']}")
            return f"{user['full_name']} no longer has access to {row['path']}"

    # ---- rows ----

    @staticmethod
    def _new_file(path: str, content: str) -> dict[str, Any]:
        return {
            "path": path,
            "kind": "file",
            "content": content,
            "size": len(content.encode()),
            "owner": OWNER,
            "modified_at": NOW,
            "tags": [],
        }

    @staticmethod
    def _new_dir(path: str) -> dict[str, Any]:
        return {"path": path, "kind": "dir", "content": None, "size": 0, "owner": OWNER, "modified_at": NOW, "tags": []}
