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

import numpy as np

from .columns import KEY_SORTS as NULLS_LAST_SORTS
from .columns import Columns, FileColumns, KeyColumns

_BY_PATH = {"size": "size", "modified": "mtime_ns", "indexed": "indexed_at"}
SORT_NAMES = ("name", "size", "modified", "family", "rank", "role", "indexed", "balance", "last_used", "use_count")


def _ascending(files: FileColumns, keys: KeyColumns, sort: str) -> np.ndarray:
    if sort == "name":
        return files.name_order
    if sort in _BY_PATH:
        return np.lexsort((files.path_rank, files.numbers[_BY_PATH[sort]]))
    if sort in ("family", "role", "rank"):
        return np.lexsort((files.name_rank, files.coded[sort].codes))
    return np.lexsort((files.name_rank, keys.numbers[sort], keys.nulls[sort]))


def order(cols: Columns, sort: str, descending: bool) -> np.ndarray:
    """Positions of every row in the sort's order (cached with the part of the snapshot it depends on)."""
    cache = cols.keys.orders if sort in NULLS_LAST_SORTS else cols.files.orders
    key = f"{sort} desc" if descending else sort
    if key not in cache:
        if not descending:
            cache[key] = _ascending(cols.files, cols.keys, sort)
        else:
            up = order(cols, sort, False)
            if sort in NULLS_LAST_SORTS:
                valued = int((~cols.keys.nulls[sort]).sum())
                cache[key] = np.concatenate((up[:valued][::-1], up[valued:][::-1]))
            else:
                cache[key] = up[::-1]
    return cache[key]


def page(cols: Columns, mask: np.ndarray | None, sort: str, descending: bool, start: int,
         size: int) -> tuple[int, np.ndarray]:
    """(rows passing `mask`, rowids of the `size` of them from `start` in the sort's order)."""
    ranked = order(cols, sort, descending)
    if mask is not None:
        ranked = ranked[mask[ranked]]
    return int(ranked.size), cols.files.rowid[ranked[start:start + size]]
