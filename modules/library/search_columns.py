"""`SearchColumns`: the one column snapshot of a library database (`columns.py`), kept up to date.

Every search, facet count and status count runs here, under one lock, in one read transaction of a
connection kept for it: the transaction sees one database state; `PRAGMA data_version` (which moves
whenever any other connection, thread or process commits: scans, tags, favourites, notes, usage
from the nodes, energy) says whether the snapshot may be stale, and the `search_changes` counters which
of its parts to read again before the request is answered. So a write is visible to the very next
request, and the page rows read by rowid come from the same state as the snapshot. One snapshot at a
time: memory is a few arrays per indexed file. The connection is opened again when the database file
was replaced (deleted and created anew) or a read failed. Blocking: call from a worker thread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from .columns import Columns, load_columns, refresh


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


class SearchColumns:
    def __init__(self, connect: Callable[[], sqlite3.Connection], db_path: Callable[[], Path]):
        self._connect = connect
        self._db_path = db_path
        self._lock = threading.Lock()  # guards the connection and the snapshot
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None
        self._columns: Columns | None = None

    def read(self, fn, *args):
        """`fn(conn, columns, *args)` in one read transaction, with the snapshot of that database state."""
        with self._lock:
            try:
                return self._read(fn, args)
            except BaseException:
                self._close()  # a fresh connection and snapshot next time
                raise

    def _read(self, fn, args):
        if self._conn is not None and _identity(self._db_path()) != self._file:
            self._close()
        if self._conn is None:
            self._conn = self._connect()  # creates the file when needed
            self._file = _identity(self._db_path())
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT 1 FROM files LIMIT 1").fetchall()  # the transaction's state starts here
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if self._columns is None:
                self._columns = load_columns(conn, version)
            elif self._columns.version != version:
                self._columns = refresh(conn, self._columns, version)
            return fn(conn, self._columns, *args)
        finally:
            conn.execute("COMMIT")

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._file, self._columns = None, None, None

    def close(self) -> None:
        with self._lock:
            self._close()
