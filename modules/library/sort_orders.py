"""Row orders of every library sort over a `Columns` snapshot, computed once per snapshot and sort.

The orders are those the search has always promised (ties broken so that the order is total):

| sort | ascending by |
|---|---|
| name | name (NOCASE), path |
| size, modified, indexed | size / mtime_ns / indexed_at, path |
| family, role, rank | the value (rank: entries without one first), name, path |
| balance, last_used, use_count | the value, name, path; entries without one last in both orders |

Descending is the exact reverse, except that entries without a balance / use stay last (and among
themselves by name descending).
"""

from __future__ import annotations

import sqlite3

import numpy as np

from .columns import KEY_SORTS as NULLS_LAST_SORTS
from .columns import Columns, FileColumns, KeyColumns, tuples

_BY_PATH = {"size": "size", "modified": "mtime_ns", "indexed": "indexed_at"}
SORT_NAMES = ("name", "size", "modified", "family", "rank", "role", "indexed", "balance", "last_used", "use_count")


def _name_order(conn: sqlite3.Connection, files: FileColumns) -> np.ndarray:
    return files.cached("name", lambda: files.ordered_positions(
        conn, "SELECT rowid FROM files ORDER BY name COLLATE NOCASE, path"))


def _rank(files: FileColumns, key: str, order: np.ndarray) -> np.ndarray:
    def rank() -> np.ndarray:
        out = np.empty(order.size, dtype=np.int64)
        out[order] = np.arange(order.size)
        return out
    return files.cached(key, rank)


def _key(conn: sqlite3.Connection, files: FileColumns, sort: str) -> np.ndarray:
    if sort != "indexed":
        return files.numbers[_BY_PATH[sort]]

    def read() -> np.ndarray:  # REAL: read as numbers, every digit kept
        found = np.array(tuples(conn, "SELECT rowid, indexed_at FROM files"), dtype=np.float64).reshape(-1, 2)
        values = np.empty(files.count, dtype=np.float64)
        values[files.positions(found[:, 0].astype(np.int64))] = found[:, 1]
        return values
    return files.cached("indexed_at", read)


def _ascending(conn: sqlite3.Connection, files: FileColumns, keys: KeyColumns, sort: str) -> np.ndarray:
    if sort == "name":
        return _name_order(conn, files)
    if sort in _BY_PATH:
        path_rank = _rank(files, "path rank", files.cached("path", lambda: files.ordered_positions(
            conn, "SELECT rowid FROM files ORDER BY path")))
        return np.lexsort((path_rank, _key(conn, files, sort)))
    name_rank = _rank(files, "name rank", _name_order(conn, files))
    if sort in ("family", "role", "rank"):
        return np.lexsort((name_rank, files.coded[sort].codes))
    return np.lexsort((name_rank, keys.numbers[sort], keys.nulls[sort]))


def order(conn: sqlite3.Connection, cols: Columns, sort: str, descending: bool) -> np.ndarray:
    """Positions of every row in the sort's order (cached with the part of the snapshot it depends on)."""
    cache = cols.keys.orders if sort in NULLS_LAST_SORTS else cols.files.orders
    key = f"{sort} desc" if descending else f"{sort} asc"
    if key not in cache:
        if not descending:
            cache[key] = _ascending(conn, cols.files, cols.keys, sort)
        else:
            up = order(conn, cols, sort, False)
            if sort in NULLS_LAST_SORTS:
                valued = int((~cols.keys.nulls[sort]).sum())
                cache[key] = np.concatenate((up[:valued][::-1], up[valued:][::-1]))
            else:
                cache[key] = up[::-1]
    return cache[key]


def page(conn: sqlite3.Connection, cols: Columns, mask: np.ndarray | None, sort: str, descending: bool, start: int,
         size: int) -> tuple[int, np.ndarray]:
    """(rows passing `mask`, rowids of the `size` of them from `start` in the sort's order)."""
    ranked = order(conn, cols, sort, descending)
    if mask is not None:
        ranked = ranked[mask[ranked]]
    return int(ranked.size), cols.files.rowid[ranked[start:start + size]]
