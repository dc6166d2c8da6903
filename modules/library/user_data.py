"""Tags, favourites and notes the user keeps on library entries, stored by content id.

Keyed by content id, so they follow a renamed or moved file and are shared by its copies; they live
in the library database (ComfyUI's user directory), never beside the models. Only the fields a
request names are written, each with its own `<field>_updated_at`: two browser tabs editing different
fields never overwrite each other, and on one field the last write wins. Tags are added and removed
individually (`add_tags` / `remove_tags`), so two tabs tagging the same entry keep both tags; `tags`
replaces the whole set (last write wins on it).

Limits: a tag is at most `MAX_TAG_CHARS` characters after trimming and collapsing inner whitespace,
without commas (the search's value separator) or control characters; an entry has at most
`MAX_TAGS` tags; a note is at most `MAX_NOTE_CHARS` characters. Every problem names its field.
"""

from __future__ import annotations

import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterable

from .schema import has_user_fts

MAX_TAG_CHARS = 64
MAX_TAGS = 64
MAX_NOTE_CHARS = 4000
MAX_BULK_IDS = 5000
FIELDS = ("favourite", "note", "tags", "add_tags", "remove_tags")
_SPACES = re.compile(r"\s+")
ID_RE = re.compile(r"^[0-9a-f]{32}$")


class UserDataError(ValueError):
    """Invalid user data; `problems` names every bad field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class UnknownIds(LookupError):
    def __init__(self, ids: list[str]):
        self.ids = ids
        shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        super().__init__(f"ids: no library entry has the id(s) {shown}")


def _control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def clean_tag(raw, where: str) -> str:
    """A tag as stored: NFC, trimmed, inner whitespace collapsed to one space; UserDataError otherwise."""
    if not isinstance(raw, str):
        raise UserDataError([f"{where}: expected text, got {type(raw).__name__}"])
    tag = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    problems = []
    if not tag:
        problems.append(f"{where}: must not be empty")
    if len(tag) > MAX_TAG_CHARS:
        problems.append(f"{where}: {len(tag)} characters, at most {MAX_TAG_CHARS}")
    if "," in tag:
        problems.append(f"{where}: must not contain a comma")
    if _control(tag):
        problems.append(f"{where}: contains control characters")
    if problems:
        raise UserDataError(problems)
    return tag


def _tag_list(raw, field: str, problems: list[str]) -> list[str]:
    if not isinstance(raw, list):
        problems.append(f"{field}: expected a list of tags, got {type(raw).__name__}")
        return []
    out: dict[str, str] = {}  # casefolded -> tag: one spelling per tag
    for i, value in enumerate(raw):
        try:
            tag = clean_tag(value, f"{field}[{i}]")
        except UserDataError as err:
            problems += err.problems
            continue
        out.setdefault(tag.casefold(), tag)
    if len(out) > MAX_TAGS:
        problems.append(f"{field}: {len(out)} tags, at most {MAX_TAGS} per entry")
    return list(out.values())


def validate_changes(data) -> dict:
    """The changes of a PATCH/bulk body: {favourite?: bool, note?: str, tags?|add_tags?|remove_tags?: [tag]}."""
    if not isinstance(data, dict):
        raise UserDataError([f"body: expected an object, got {type(data).__name__}"])
    problems = [f"unknown field {k!r} (fields: {', '.join(FIELDS)})" for k in data if k not in FIELDS]
    changes: dict = {}
    if "favourite" in data:
        if not isinstance(data["favourite"], bool):
            problems.append(f"favourite: expected true or false, got {data['favourite']!r}")
        else:
            changes["favourite"] = data["favourite"]
    if "note" in data:
        note = data["note"]
        if not isinstance(note, str):
            problems.append(f"note: expected text, got {type(note).__name__}")
        elif len(note) > MAX_NOTE_CHARS:
            problems.append(f"note: {len(note)} characters, at most {MAX_NOTE_CHARS}")
        elif any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in note):
            problems.append("note: contains control characters")
        else:
            changes["note"] = note
    for field in ("tags", "add_tags", "remove_tags"):
        if field in data:
            changes[field] = _tag_list(data[field], field, problems)
    if "tags" in changes and ("add_tags" in changes or "remove_tags" in changes):
        problems.append("tags: give either tags (replace all) or add_tags/remove_tags, not both")
    if not problems and not changes:
        problems.append(f"body: nothing to change (fields: {', '.join(FIELDS)})")
    if problems:
        raise UserDataError(problems)
    return changes


def known_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> set[str]:
    ids = list(ids)
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(r[0] for r in conn.execute(
            f"SELECT DISTINCT id FROM files WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
    return found


def get_user(conn: sqlite3.Connection, content_id: str) -> dict:
    """The user data of one content id (defaults when nothing was ever set)."""
    row = conn.execute("SELECT * FROM user_entries WHERE id = ?", (content_id,)).fetchone()
    tags = [r[0] for r in conn.execute("SELECT tag FROM user_tags WHERE id = ? ORDER BY added_at, tag",
                                       (content_id,))]
    return {"id": content_id, "favourite": bool(row["favourite"]) if row else False,
            "note": row["note"] if row else "", "tags": tags,
            "favourite_updated_at": row["favourite_updated_at"] if row else None,
            "note_updated_at": row["note_updated_at"] if row else None,
            "tags_updated_at": row["tags_updated_at"] if row else None}


def _apply(conn: sqlite3.Connection, content_id: str, changes: dict, now: float, fts: bool) -> None:
    conn.execute("INSERT INTO user_entries(id) VALUES (?) ON CONFLICT(id) DO NOTHING", (content_id,))
    if "favourite" in changes:
        conn.execute("UPDATE user_entries SET favourite = ?, favourite_updated_at = ? WHERE id = ?",
                     (int(changes["favourite"]), now, content_id))
    if "note" in changes:
        conn.execute("UPDATE user_entries SET note = ?, note_updated_at = ? WHERE id = ?",
                     (changes["note"], now, content_id))
    tags_changed = any(k in changes for k in ("tags", "add_tags", "remove_tags"))
    if "tags" in changes:
        conn.execute("DELETE FROM user_tags WHERE id = ?", (content_id,))
    for tag in changes.get("remove_tags", ()):
        conn.execute("DELETE FROM user_tags WHERE id = ? AND tag = ?", (content_id, tag))
    added = changes.get("tags", []) + changes.get("add_tags", [])
    for n, tag in enumerate(added):
        conn.execute("INSERT INTO user_tags(id, tag, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                     (content_id, tag, now + n * 1e-6))  # keeps the order they were given in
    if tags_changed:
        count = conn.execute("SELECT COUNT(*) FROM user_tags WHERE id = ?", (content_id,)).fetchone()[0]
        if count > MAX_TAGS:
            raise UserDataError([f"tags: the entry would have {count} tags, at most {MAX_TAGS}"])
        conn.execute("UPDATE user_entries SET tags_updated_at = ? WHERE id = ?", (now, content_id))
    if fts and (tags_changed or "note" in changes):
        row = conn.execute("SELECT uid, note FROM user_entries WHERE id = ?", (content_id,)).fetchone()
        tags = " ".join(r[0] for r in conn.execute("SELECT tag FROM user_tags WHERE id = ?", (content_id,)))
        conn.execute("DELETE FROM user_fts WHERE rowid = ?", (row["uid"],))
        conn.execute("INSERT INTO user_fts(rowid, tags, note) VALUES (?, ?, ?)", (row["uid"], tags, row["note"]))


def update(conn: sqlite3.Connection, ids: list[str], changes: dict) -> int:
    """Apply validated `changes` to every content id of `ids` in one transaction; UnknownIds (nothing
    written) when any id is not in the index. Returns how many entries were written."""
    ids = list(dict.fromkeys(ids))
    bad = [i for i in ids if not isinstance(i, str) or not ID_RE.match(i)]
    if bad:
        raise UnknownIds([repr(b) if not isinstance(b, str) else b for b in bad])
    conn.execute("BEGIN IMMEDIATE")
    try:
        missing = sorted(set(ids) - known_ids(conn, ids))
        if missing:
            raise UnknownIds(missing)
        now, fts = time.time(), has_user_fts(conn)
        for content_id in ids:
            _apply(conn, content_id, changes, now, fts)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(ids)


def list_tags(conn: sqlite3.Connection, prefix: str = "", limit: int = 500) -> list[dict]:
    """User tags carried by indexed files, with the number of files each, most used first."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT t.tag AS tag, COUNT(*) AS n FROM user_tags t JOIN files f ON f.id = t.id "
        "WHERE t.tag LIKE ? ESCAPE '\\' GROUP BY t.tag COLLATE NOCASE ORDER BY n DESC, t.tag LIMIT ?",
        (pattern, limit)).fetchall()
    return [{"tag": r["tag"], "count": r["n"]} for r in rows]
