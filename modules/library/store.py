"""Read side of the library: search with filters, sort and pagination; one entry; facets; duplicates.

Every value reaches SQL as a parameter; sort keys and filter columns come from fixed tables here.
Text search uses the FTS5 index when the database has one (word-prefix match over names, model names,
trigger words and tags; every word must match), else LIKE.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from .roles import ROLES
from .schema import has_fts

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_QUERY_CHARS = 200

SORTS = {
    "name": "name COLLATE NOCASE, path",
    "size": "size, path",
    "modified": "mtime_ns, path",
    "family": "family, name COLLATE NOCASE, path",
    "rank": "rank, name COLLATE NOCASE, path",
    "role": "role, name COLLATE NOCASE, path",
    "indexed": "indexed_at, path",
}
# filter parameter -> column; values are exact matches, several values (comma-separated) are OR-ed.
FILTER_COLUMNS = {"family": "family", "arch": "arch", "layout": "layout", "role": "role", "format": "adapter",
                  "category": "category", "folder": "folder"}
BOOL_FILTERS = {"clip": "has_clip", "preview": "preview IS NOT NULL", "error": "error IS NOT NULL"}
_JSON_COLUMNS = ("arch_conflicts", "blocks", "clip_encoders", "trigger_words", "tags")
_SUMMARY = ("id", "name", "folder", "arch", "family", "lineage", "category", "layout", "role", "adapter", "rank",
            "alpha", "has_clip", "trigger_words", "tags", "model_name", "preview", "size", "mtime_ns", "error")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    flags: tuple[tuple[str, bool], ...] = ()
    sort: str = "name"
    descending: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _bool(name: str, value: str) -> bool:
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValueError(f"{name}={value!r}: expected true or false")


def _int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None
    if not low <= number <= high:
        raise ValueError(f"{name}={number}: expected {low}..{high}")
    return number


def parse_query(params: Mapping[str, str]) -> SearchQuery:
    """A SearchQuery from request parameters; ValueError naming every bad parameter."""
    problems, filters, flags = [], [], []
    known = {"q", "sort", "order", "page", "page_size", *FILTER_COLUMNS, *BOOL_FILTERS}
    problems += [f"unknown parameter {k!r}" for k in params if k not in known]
    text = params.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        problems.append(f"q: {len(text)} characters, at most {MAX_QUERY_CHARS}")
    for name in FILTER_COLUMNS:
        if params.get(name):
            values = tuple(v.strip() for v in params[name].split(",") if v.strip())
            if name == "role" and (bad := [v for v in values if v not in ROLES]):
                problems.append(f"role: unknown {', '.join(map(repr, bad))} (roles: {', '.join(ROLES)})")
            filters.append((name, values))
    sort, order = params.get("sort", "name"), params.get("order", "asc")
    if sort not in SORTS:
        problems.append(f"sort={sort!r}: expected one of {', '.join(SORTS)}")
    if order not in ("asc", "desc"):
        problems.append(f"order={order!r}: expected asc or desc")
    page, page_size = 1, DEFAULT_PAGE_SIZE
    try:
        page = _int("page", params.get("page", "1"), 1, 10**6)
    except ValueError as err:
        problems.append(str(err))
    try:
        page_size = _int("page_size", params.get("page_size", str(DEFAULT_PAGE_SIZE)), 1, MAX_PAGE_SIZE)
    except ValueError as err:
        problems.append(str(err))
    for name in BOOL_FILTERS:
        if params.get(name):
            try:
                flags.append((name, _bool(name, params[name])))
            except ValueError as err:
                problems.append(str(err))
    if problems:
        raise ValueError("; ".join(problems))
    return SearchQuery(text, tuple(filters), tuple(flags), sort, order == "desc", page, page_size)


def _text_clause(conn: sqlite3.Connection, text: str) -> tuple[str, list]:
    words = _WORD.findall(text)
    if not words:
        return "", []
    if has_fts(conn):
        match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        return "rowid IN (SELECT rowid FROM files_fts WHERE files_fts MATCH ?)", [match]
    clauses, args = [], []
    for w in words:
        pattern = "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in
                                         ("name", "model_name", "trigger_words", "tags")) + ")")
        args += [pattern] * 4
    return " AND ".join(clauses), args


def _where(conn: sqlite3.Connection, q: SearchQuery) -> tuple[str, list]:
    clauses, args = [], []
    text, text_args = _text_clause(conn, q.text)
    if text:
        clauses.append(text)
        args += text_args
    for name, values in q.filters:
        clauses.append(f"{FILTER_COLUMNS[name]} IN ({', '.join('?' * len(values))})")
        args += list(values)
    for name, value in q.flags:
        clauses.append(f"({BOOL_FILTERS[name]}) = ?")
        args.append(int(value))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _decode(row: sqlite3.Row, columns) -> dict:
    out = {c: row[c] for c in columns}
    for c in _JSON_COLUMNS:
        if c in out:
            out[c] = json.loads(out[c])
    if "has_clip" in out:
        out["has_clip"] = bool(out["has_clip"])
    return out


def search(conn: sqlite3.Connection, q: SearchQuery) -> dict:
    """{"total", "page", "page_size", "items"}: one item per file (copies of one content share an `id`,
    and `copies` counts them)."""
    where, args = _where(conn, q)
    order = SORTS[q.sort].replace(", ", " DESC, ") + " DESC" if q.descending else SORTS[q.sort]
    conn.execute("BEGIN")  # one snapshot for the count and the page
    try:
        total = conn.execute(f"SELECT COUNT(*) FROM files{where}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT {', '.join(_SUMMARY)}, (SELECT COUNT(*) FROM files d WHERE d.id = files.id) AS copies "
            f"FROM files{where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, q.page_size, (q.page - 1) * q.page_size]).fetchall()
    finally:
        conn.execute("COMMIT")
    return {"total": total, "page": q.page, "page_size": q.page_size,
            "items": [{**_decode(r, _SUMMARY), "copies": r["copies"]} for r in rows]}


def entry(conn: sqlite3.Connection, content_id: str) -> dict | None:
    """Every stored fact of the content `content_id`, its files (`names`, first = the one described) and
    the state of its block energy; None when no file has that id."""
    rows = conn.execute("SELECT * FROM files WHERE id = ? ORDER BY name COLLATE NOCASE, path",
                        (content_id,)).fetchall()
    if not rows:
        return None
    first = rows[0]
    out = _decode(first, [c for c in first.keys() if c not in ("path", "root", "sidecar_fp", "role_version")])  # noqa: SIM118 (sqlite3.Row: `in` tests values)
    out["names"] = [r["name"] for r in rows]
    out["duplicate"] = len(rows) > 1
    energy = conn.execute("SELECT status, error FROM energy WHERE id = ?", (content_id,)).fetchone()
    out["energy_status"] = energy["status"] if energy else "pending"
    out["energy_error"] = energy["error"] if energy else None
    return out


def path_of(conn: sqlite3.Connection, content_id: str) -> tuple[str, str] | None:
    """(path, arch) of one readable file with this content id (for energy computation)."""
    row = conn.execute("SELECT path, arch FROM files WHERE id = ? AND error IS NULL ORDER BY name LIMIT 1",
                       (content_id,)).fetchone()
    return (row["path"], row["arch"]) if row else None


def duplicates(conn: sqlite3.Connection, limit: int = 500) -> list[dict]:
    """Contents stored under more than one name: [{"id", "names"}], largest groups first."""
    rows = conn.execute(
        "SELECT id, json_group_array(name) AS names, COUNT(*) AS n FROM "
        "(SELECT id, name FROM files ORDER BY name COLLATE NOCASE) GROUP BY id HAVING n > 1 "
        "ORDER BY n DESC, id LIMIT ?", (limit,)).fetchall()
    return [{"id": r["id"], "names": json.loads(r["names"])} for r in rows]


def facets(conn: sqlite3.Connection) -> dict:
    """Counts per value of every filter column, and totals, for the picker's filter menus."""
    out: dict = {"total": conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]}
    for name, column in FILTER_COLUMNS.items():
        if name == "folder":
            continue
        out[name] = {str(v): n for v, n in conn.execute(
            f"SELECT {column}, COUNT(*) FROM files GROUP BY {column} ORDER BY {column}")}
    out["clip"] = conn.execute("SELECT COUNT(*) FROM files WHERE has_clip = 1").fetchone()[0]
    out["errors"] = conn.execute("SELECT COUNT(*) FROM files WHERE error IS NOT NULL").fetchone()[0]
    out["duplicate_groups"] = conn.execute(
        "SELECT COUNT(*) FROM (SELECT id FROM files GROUP BY id HAVING COUNT(*) > 1)").fetchone()[0]
    return out
