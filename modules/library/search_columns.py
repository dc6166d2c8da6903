"""`SearchColumns`: the one column snapshot of a library database (`columns.py`), reloaded when it changed.

Every search, facet count and status count runs here, under one lock, in one read transaction of a
connection kept for it: the transaction sees one database state; `PRAGMA data_version` (which moves
whenever any other connection, thread or process commits: scans, tags, favourites, notes, usage
from the nodes, energy) says whether the snapshot still describes that state, else it is read again
before the request is answered. So a write is visible to the very next request, and the page rows
read by rowid come from the same state as the snapshot. One snapshot at a time (the old one is dropped
before the new one is read): memory is a few arrays per indexed file. Blocking: call from a worker thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from .columns import Columns, load_columns, refresh


class SearchColumns:
    def __init__(self, connect: Callable[[], sqlite3.Connection]):
        self._connect = connect
        self._lock = threading.Lock()  # guards the connection and the snapshot
        self._conn: sqlite3.Connection | None = None
        self._columns: Columns | None = None

    def read(self, fn, *args):
        """`fn(conn, columns, *args)` in one read transaction, with the snapshot of that database state."""
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
                self._columns = None  # versions are per connection
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

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn, self._columns = None, None
