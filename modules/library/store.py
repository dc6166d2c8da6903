"""Read side of the library: search with filters, sort and pagination; one entry; duplicates.

Requests are parsed in `query.py`; filters are masks over the in-memory column snapshot
(`filter_masks.py`), sorts precomputed orders over it (`sort_orders.py`), facet counts are in `facets.py`.
A page is read in two steps: its rowids from the snapshot, then the page's rows with their user data,
usage and energy summary from SQLite, in the snapshot's read transaction (`search_columns.py`).
"""

from __future__ import annotations

import json
import sqlite3

from .columns import Columns
from .facets import facet_counts
from .filter_masks import combined, filter_masks
from .query import (  # noqa: F401  (re-exported: the search API of the library)
    BOOL_FILTERS,
    DEFAULT_PAGE_SIZE,
    FILTER_COLUMNS,
    MAX_PAGE_SIZE,
    SearchQuery,
    parse_query,
)
from .sort_orders import page

_JSON_COLUMNS = ("arch_conflicts", "blocks", "clip_encoders", "trigger_words", "tags")
_SUMMARY = ("id", "name", "folder", "arch", "family", "lineage", "category", "layout", "role", "adapter", "rank",
            "alpha", "has_clip", "trigger_words", "tags", "model_name", "preview", "size", "mtime_ns", "error")


def _decode(row: sqlite3.Row, columns) -> dict:
    out = {c: row[c] for c in columns}
    for c in _JSON_COLUMNS:
        if c in out:
            out[c] = json.loads(out[c])
    if "has_clip" in out:
        out["has_clip"] = bool(out["has_clip"])
    return out


def _workspace(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict]:
    """{content id: favourite, user_tags, note, use_count, last_used, energy} for the given ids."""
    out = {i: {"favourite": False, "user_tags": [], "note": "", "use_count": 0, "last_used": None, "energy": None}
           for i in ids}
    marks = ", ".join("?" * len(ids))
    if not ids:
        return out
    for r in conn.execute(f"SELECT id, favourite, note FROM user_entries WHERE id IN ({marks})", ids):
        out[r["id"]].update(favourite=bool(r["favourite"]), note=r["note"])
    for r in conn.execute(f"SELECT id, tag FROM user_tags WHERE id IN ({marks}) ORDER BY added_at, tag", ids):
        out[r["id"]]["user_tags"].append(r["tag"])
    for r in conn.execute(f"SELECT id, use_count, last_used FROM usage WHERE id IN ({marks})", ids):
        out[r["id"]].update(use_count=r["use_count"], last_used=r["last_used"])
    for r in conn.execute(f"SELECT id, input, mid, output, balance FROM energy_summary WHERE id IN ({marks})", ids):
        out[r["id"]]["energy"] = {"input": r["input"], "mid": r["mid"], "output": r["output"],
                                  "balance": r["balance"]}
    return out


def search(conn: sqlite3.Connection, cols: Columns, q: SearchQuery) -> dict:
    """{"total", "page", "page_size", "offset", "items"[, "facets"]}: one item per file (copies of one content
    share an `id`, and `copies` counts them), with the user's data and usage of its content. Run it through
    `SearchColumns.read` (the rows are read in the snapshot's transaction)."""
    masks = filter_masks(conn, cols, q)
    total, page_rowids = page(conn, cols, combined(masks), q.sort, q.descending, q.start, q.page_size)
    rowids = [int(r) for r in page_rowids]
    rows = {r["rowid"]: r for r in conn.execute(
        f"SELECT files.rowid AS rowid, {', '.join(_SUMMARY)}, "
        "(SELECT COUNT(*) FROM files d WHERE d.id = files.id) AS copies "
        f"FROM files WHERE files.rowid IN ({', '.join('?' * len(rowids))})", rowids)} if rowids else {}
    extra = _workspace(conn, list({rows[r]["id"] for r in rowids}))
    items = [{**_decode(rows[r], _SUMMARY), "copies": rows[r]["copies"], **extra[rows[r]["id"]]} for r in rowids]
    out = {"total": total, "page": q.start // q.page_size + 1, "page_size": q.page_size, "offset": q.start,
           "items": items}
    if q.with_facets:
        out["facets"] = facet_counts(cols, masks)
    return out


def counts(conn: sqlite3.Connection, cols: Columns, q: SearchQuery) -> dict:
    """{"total", "facets"} of the request's filters (the facets route)."""
    return facet_counts(cols, filter_masks(conn, cols, q))


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
    out.update(_workspace(conn, [content_id])[content_id])
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


def facets(conn: sqlite3.Connection, cols: Columns) -> dict:
    """Counts over the whole index (the status route): totals, per value of every filter column, duplicates."""
    whole = facet_counts(cols, {})
    out: dict = {"total": whole["total"]}
    for name in FILTER_COLUMNS:
        if name != "folder":
            out[name] = whole["facets"][name]
    out["clip"] = whole["facets"]["clip"]["true"]
    out["errors"] = whole["facets"]["error"]["true"]
    out["duplicate_groups"] = conn.execute(
        "SELECT COUNT(*) FROM (SELECT id FROM files GROUP BY id HAVING COUNT(*) > 1)").fetchone()[0]
    return out
