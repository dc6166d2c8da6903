"""Block energy of library entries: computed on demand (it reads every tensor), stored per content id.

Stored per content id, so copies and moved files share one result and a rescan keeps it. A file that
cannot be measured is stored as `failed` with the reason, and not retried until its content changes
(a new content id) or a caller forces it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
import time
from collections.abc import Callable

from ..blocks.energy import compute_stats
from . import store
from .csv_cells import safe_cell

log = logging.getLogger(__name__)

DONE, FAILED, PENDING = "done", "failed", "pending"


def stored_energy(conn: sqlite3.Connection, content_id: str) -> dict | None:
    row = conn.execute("SELECT status, stats, error, arch FROM energy WHERE id = ?", (content_id,)).fetchone()
    if row is None:
        return None
    return {"status": row["status"], "stats": json.loads(row["stats"]) if row["stats"] else None,
            "error": row["error"], "arch": row["arch"]}


def store_energy(conn: sqlite3.Connection, content_id: str, arch: str, stats: dict | None,
                 error: str | None = None) -> dict:
    """Record the energy of `content_id`: `stats`, or FAILED with `error` (the reason, shown to the user)."""
    status = FAILED if error is not None else DONE
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO energy(id, status, stats, error, arch, computed_at) VALUES (?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT(id) DO UPDATE SET status = excluded.status, stats = excluded.stats, "
                 "error = excluded.error, arch = excluded.arch, computed_at = excluded.computed_at",
                 (content_id, status, json.dumps(stats, allow_nan=False) if stats else None, error, arch,
                  time.time()))
    conn.execute("COMMIT")
    return {"status": status, "stats": stats, "error": error, "arch": arch}


def compute_energy(conn: sqlite3.Connection, content_id: str, *, force: bool = False,
                   compute: Callable[[str, str], dict] = compute_stats) -> dict | None:
    """The stored energy of `content_id`, computing it first when missing (or `force`); None: unknown id.

    `compute(path, arch)` does the reading (the library passes one that runs in a worker process)."""
    if not force and (found := stored_energy(conn, content_id)) is not None:
        return found
    located = store.path_of(conn, content_id)
    if located is None:
        return None
    path, arch = located
    try:
        stats, error = compute(path, arch), None
    except Exception as err:  # noqa: BLE001 - any failure of one file is recorded against that file
        log.warning("block energy of %s failed: %s", path, err)
        stats, error = None, f"{type(err).__name__}: {err}"
    return store_energy(conn, content_id, arch, stats, error)


def missing_energy(conn: sqlite3.Connection) -> list[dict]:
    """One readable file per content id that has a block layout and no stored energy, by name:
    [{"id", "path", "name", "arch", "size", "mtime_ns"}] (the background backlog's work list)."""
    rows = conn.execute(
        # SQLite takes the bare columns from the row holding MIN(name): one file per id, the first by name
        "SELECT f.id, f.path, MIN(f.name) AS name, f.arch, f.size, f.mtime_ns FROM files f "
        "LEFT JOIN energy e ON e.id = f.id WHERE e.id IS NULL AND f.error IS NULL AND f.layout IS NOT NULL "
        "GROUP BY f.id ORDER BY name COLLATE NOCASE").fetchall()
    return [dict(r) for r in rows]


def id_of_version(conn: sqlite3.Connection, path: str, size: int, mtime_ns: int) -> str | None:
    """The content id of the indexed file at `path`, if the index has exactly this version of it."""
    row = conn.execute("SELECT id FROM files WHERE path = ? AND size = ? AND mtime_ns = ? AND error IS NULL",
                       (path, size, mtime_ns)).fetchone()
    return row["id"] if row else None


def stats_of_version(conn: sqlite3.Connection, path: str, arch: str, size: int, mtime_ns: int) -> dict | None:
    """Stored stats of this version of the file at `path` measured as `arch`, else None."""
    row = conn.execute("SELECT e.stats FROM files f JOIN energy e ON e.id = f.id WHERE f.path = ? AND f.size = ? "
                       "AND f.mtime_ns = ? AND e.status = ? AND e.arch = ?",
                       (path, size, mtime_ns, DONE, arch)).fetchone()
    return json.loads(row["stats"]) if row and row["stats"] else None


def energy_counts(conn: sqlite3.Connection) -> dict:
    """{"done", "failed"} rows stored."""
    counts = dict(conn.execute("SELECT status, COUNT(*) FROM energy GROUP BY status").fetchall())
    return {"done": counts.get(DONE, 0), "failed": counts.get(FAILED, 0)}


def forget_failed(conn: sqlite3.Connection) -> int:
    """Drop every FAILED result, so the backlog measures those files again; returns how many."""
    conn.execute("BEGIN IMMEDIATE")
    count = conn.execute("DELETE FROM energy WHERE status = ?", (FAILED,)).rowcount
    conn.execute("COMMIT")
    return count


def energy_csv(stats: dict) -> str:
    """One row per block: block, label, tag, share of the total squared change, norm of the change."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["block", "label", "tag", "energy_share", "norm"])
    meta = stats.get("block_metadata", {})
    for block, share in stats["energy_distribution"].items():
        writer.writerow([safe_cell(block), safe_cell(meta.get(block, {}).get("label", block)),
                         safe_cell(meta.get(block, {}).get("tag", "")), repr(share), repr(stats["block_norms"][block])])
    return out.getvalue()
