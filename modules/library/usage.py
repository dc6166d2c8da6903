"""Usage of library entries: how often and when last each content was run by a prompt.

The loader and combiner nodes call `record_paths` from the prompt's worker thread (never the event
loop) with the files a run applied. A file is identified by its content id, so a renamed or moved
file keeps its usage: from the index when its row is current (same size and mtime), else computed
from the file itself (a few KB read, `ids.py`). Recording must never fail a prompt: the node logs
and goes on when the database cannot be written.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable

from ..inspection.header import DEFAULT_MAX_HEADER_BYTES, SafetensorsHeaderError, parse_header
from .ids import content_id, raw_content_id


def id_of_file(conn: sqlite3.Connection, path: str) -> str:
    """The content id of the file at `path` (OSError when it cannot be read)."""
    st = os.stat(path)
    row = conn.execute("SELECT id FROM files WHERE path = ? AND size = ? AND mtime_ns = ?",
                       (os.path.abspath(path), st.st_size, st.st_mtime_ns)).fetchone()
    if row:
        return row[0]
    with open(path, "rb") as f:  # the scanner's rule (entry_facts.read_facts), without the facts
        size = os.fstat(f.fileno()).st_size
        prefix = f.read(8)
        n = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
        raw = f.read(n) if 2 <= n <= min(DEFAULT_MAX_HEADER_BYTES, size - 8) else b""
        try:
            if len(raw) != n or n < 2:
                raise SafetensorsHeaderError(path, "header could not be read")
            parse_header(raw, file_size=size, name=path)
        except SafetensorsHeaderError:
            return raw_content_id(f, size)
        return content_id(f, size, prefix + raw)


def record_uses(conn: sqlite3.Connection, ids: Iterable[str], now: float | None = None) -> None:
    """Count one use of every id (an id listed twice counts twice) at `now`, in one transaction."""
    counts = Counter(ids)
    if not counts:
        return
    now = time.time() if now is None else now
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO usage(id, use_count, first_used, last_used) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET use_count = use_count + excluded.use_count, "
            "last_used = MAX(last_used, excluded.last_used)",
            [(i, n, now, now) for i, n in counts.items()])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def record_paths(conn: sqlite3.Connection, paths: Iterable[str], now: float | None = None) -> int:
    """Record one use of each file in `paths`; returns how many were recorded (unreadable files are skipped)."""
    ids = []
    for path in paths:
        try:
            ids.append(id_of_file(conn, path))
        except OSError:
            continue
    record_uses(conn, ids, now)
    return len(ids)
