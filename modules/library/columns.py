"""An in-memory copy of what the library filters, sorts and counts by: one numpy array per field.

Three parts, each read in the caller's read transaction (one database state) and read again only when
its `search_changes` counter moved (schema v8 triggers): `FileColumns` (what the scanner wrote, from the
narrow `files_snapshot` index), `KeyColumns` (energy balance and usage: the background energy pass and
every prompt write them) and `UserColumns` (favourites and tags). Rows are in rowid order; a row's place
in these arrays is its *position*.

- text columns (family, arch, layout, role, adapter, category, folder) and rank are `Coded`: per row a
  code into the column's distinct values, sorted as SQLite sorts them (NULL first, text by its bytes,
  which is the order of Python's `str`), so a code order is the value order;
- true/false facts (clip, preview, error; energy, used from the keys; favourite) are boolean arrays;
- the sort keys (size, mtime_ns; balance, last_used, use_count with a NULL mask; indexed_at when first
  sorted by) are numbers, REALs read as numbers so no digit is lost;
- the name order (`name COLLATE NOCASE, path`) and the path order come from SQLite's own indexes when a
  sort first needs them, so no collation is re-implemented here; every other sort breaks ties with one of them;
- user tags are (position, tag group) pairs: one per file and tag on its content, tags compared as
  SQLite's NOCASE compares them (ASCII letters folded), shown in the spelling most of those files carry.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

# filter / facet name -> column of `files`.
CODED_COLUMNS = {"family": "family", "arch": "arch", "layout": "layout", "role": "role", "format": "adapter",
                 "category": "category", "folder": "folder", "rank": "rank"}
_FLAG_BITS = {"clip": "has_clip = 1", "preview": "preview IS NOT NULL", "error": "error IS NOT NULL"}
KEY_SORTS = ("balance", "last_used", "use_count")  # from other tables: energy, usage ('keys' part)
_KEY_FLAGS = {"energy": "balance", "used": "use_count"}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def nocase(text: str) -> str:
    """The key SQLite's NOCASE collation compares by (only ASCII letters are folded)."""
    return text.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Coded:
    """A column as codes into its distinct values (`values[code]`), in SQLite's order, NULL (None) first."""
    codes: np.ndarray
    values: list

    @classmethod
    def of(cls, column: tuple) -> Coded:
        distinct = set(column)
        has_null = None in distinct
        distinct.discard(None)
        values = ([None] if has_null else []) + sorted(distinct)
        index = {v: i for i, v in enumerate(values)}
        return cls(np.array(list(map(index.__getitem__, column)), dtype=np.int32), values)

    def lookup(self, wanted) -> np.ndarray:
        """Boolean per row: its value is one of `wanted` (a predicate over values, or a collection of them)."""
        test = wanted if callable(wanted) else (lambda v: v in wanted)
        table = np.array([v is not None and bool(test(v)) for v in self.values], dtype=bool)
        return table[self.codes]


@dataclass(frozen=True)
class FileColumns:
    """What the scanner wrote: facts and the size / modified sort keys. The name and path orders and the
    index times are read when a sort first needs them (`cached`), in a transaction of the same file rows."""
    rowid: np.ndarray  # int64, ascending
    coded: dict[str, Coded]
    flags: dict[str, np.ndarray]  # clip, preview, error -> bool per row
    numbers: dict[str, np.ndarray]  # size, mtime_ns per row
    content_ids: np.ndarray  # distinct content ids, sorted
    by_content: np.ndarray  # positions ordered by content (copies of one content side by side)
    content_of: np.ndarray  # position -> index into content_ids, in by_content order
    orders: dict[str, np.ndarray] = field(default_factory=dict)  # sort orders and lazily read keys

    @property
    def count(self) -> int:
        return int(self.rowid.size)

    def positions(self, rowids) -> np.ndarray:
        """Positions of rowids known to be in the snapshot."""
        return np.searchsorted(self.rowid, np.asarray(rowids, dtype=np.int64))

    def cached(self, key: str, read):
        if key not in self.orders:
            self.orders[key] = read()
        return self.orders[key]

    def ordered_positions(self, conn: sqlite3.Connection, sql: str) -> np.ndarray:
        """Positions of the rowids `sql` selects, in its order."""
        return self.positions(np.array(tuples(conn, sql), dtype=np.int64).reshape(-1))

    def rows_of(self, ids) -> np.ndarray:
        """Positions of every file whose content id is one of `ids` (once per id given; unknown ids: none)."""
        ids = np.asarray(ids, dtype=str)
        if not ids.size or not self.content_ids.size:
            return np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.content_ids, ids), self.content_ids.size - 1)
        known = np.flatnonzero(self.content_ids[at] == ids)
        return self.by_content[self._expand(at[known])[1]]

    def rows_per_id(self, ids) -> tuple[np.ndarray, np.ndarray]:
        """(index into `ids`, position) for every file of every id of `ids` that some file has."""
        ids = np.asarray(ids, dtype=str)
        if not ids.size or not self.content_ids.size:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.content_ids, ids), self.content_ids.size - 1)
        known = np.flatnonzero(self.content_ids[at] == ids)
        which, places = self._expand(at[known])
        return known[which], self.by_content[places]

    def _expand(self, contents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each content index given, its files: (index into `contents`, place in by_content)."""
        low = np.searchsorted(self.content_of, contents, side="left")
        high = np.searchsorted(self.content_of, contents, side="right")
        counts = high - low
        which = np.repeat(np.arange(contents.size), counts)
        places = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(low, counts)
        return which, places


@dataclass(frozen=True)
class KeyColumns:
    """The sort keys copied onto the files from energy and usage (schema v6), per row of a FileColumns."""
    numbers: dict[str, np.ndarray]  # balance, last_used, use_count (0 where NULL)
    nulls: dict[str, np.ndarray]  # bool per row: no value
    orders: dict[str, np.ndarray] = field(default_factory=dict)

    def flag(self, name: str) -> np.ndarray:
        return ~self.nulls[_KEY_FLAGS[name]]


@dataclass(frozen=True)
class UserColumns:
    favourite: np.ndarray  # bool per row
    tag_pos: np.ndarray  # int64 per (file, tag) pair
    tag_group: np.ndarray  # int64 per pair: index into tag_names
    tag_names: list[str]  # per group, as the tag list spells it
    tag_keys: dict[str, int]  # nocase(tag) -> group


@dataclass
class Columns:
    version: int  # the owner connection's PRAGMA data_version when last checked
    changes: dict[str, int]  # search_changes counters the parts were read at
    files: FileColumns
    keys: KeyColumns
    user: UserColumns
    has_fts: bool
    has_user_fts: bool
    text_masks: dict[str, np.ndarray | None] = field(default_factory=dict)  # q -> rows (filter_masks.py)

    @property
    def count(self) -> int:
        return self.files.count

    def flag(self, name: str) -> np.ndarray:
        if name == "favourite":
            return self.user.favourite
        return self.keys.flag(name) if name in _KEY_FLAGS else self.files.flags[name]

    def rows(self, rowids) -> np.ndarray:
        """Boolean per row: its rowid is one of `rowids`."""
        mask = np.zeros(self.count, dtype=bool)
        if len(rowids):
            mask[self.files.positions(rowids)] = True
        return mask


def tuples(conn: sqlite3.Connection, sql: str, args=()) -> list[tuple]:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: the snapshot reads tens of thousands of rows
    return cursor.execute(sql, args).fetchall()


def _integers(text: str | None) -> np.ndarray:
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, dtype=np.int64)


def load_files(conn: sqlite3.Connection) -> FileColumns:
    """The file part, read in the caller's open read transaction.

    Whole columns come back as one JSON array or comma list each (built in SQLite from the narrow
    `files_snapshot` index: one Python string per column instead of one object per value)."""
    names = list(dict.fromkeys(CODED_COLUMNS.values()))
    bits = " | ".join(f"(({sql}) << {i})" for i, sql in enumerate(_FLAG_BITS.values()))
    row = tuples(conn, f"SELECT {', '.join(f'json_group_array({c})' for c in names)}, group_concat(rowid), "
                        f"group_concat(size), group_concat(mtime_ns), group_concat({bits}), json_group_array(id) "
                        "FROM files")[0]
    rowid = _integers(row[len(names)])
    by_rowid = np.argsort(rowid, kind="stable")
    rowid = rowid[by_rowid]
    coded = {}
    for i, column in enumerate(names):
        found = Coded.of(tuple(json.loads(row[i])) if rowid.size else ())
        coded[column] = Coded(found.codes[by_rowid], found.values)
    numbers = {"size": _integers(row[len(names) + 1])[by_rowid], "mtime_ns": _integers(row[len(names) + 2])[by_rowid]}
    packed = _integers(row[len(names) + 3])[by_rowid]
    flags = {name: (packed >> i & 1).astype(bool) for i, name in enumerate(_FLAG_BITS)}
    ids = np.array(json.loads(row[len(names) + 4]) if rowid.size else [], dtype=str)[by_rowid]
    content_ids, content = np.unique(ids, return_inverse=True)
    by_content = np.argsort(content, kind="stable")
    return FileColumns(rowid, {facet: coded[column] for facet, column in CODED_COLUMNS.items()}, flags, numbers,
                       content_ids, by_content, content.reshape(-1)[by_content])


def load_keys(conn: sqlite3.Connection, files: FileColumns) -> KeyColumns:
    """Energy balance, last use and use count of the rows of `files` (exact numbers; NULL = none)."""
    found = np.array(tuples(conn, f"SELECT rowid, {', '.join(KEY_SORTS)} FROM files"),
                     dtype=np.float64).reshape(-1, 1 + len(KEY_SORTS))  # NULL -> nan
    at = files.positions(found[:, 0].astype(np.int64))
    numbers, nulls = {}, {}
    for i, name in enumerate(KEY_SORTS):
        values = np.zeros(files.count, dtype=np.float64)
        values[at] = found[:, 1 + i]
        nulls[name] = np.isnan(values)
        numbers[name] = np.where(nulls[name], 0.0, values)
    return KeyColumns(numbers, nulls)


def load_user(conn: sqlite3.Connection, files: FileColumns) -> UserColumns:
    """The user part (favourites, tags by content id) placed on the rows of `files` with that content."""
    favourite = np.zeros(files.count, dtype=bool)
    chosen = json.loads(tuples(conn, "SELECT json_group_array(id) FROM user_entries WHERE favourite = 1")[0][0])
    favourite[files.rows_of(chosen)] = True
    ids, tags = (json.loads(t) for t in tuples(conn, "SELECT json_group_array(id), json_group_array(tag) "
                                                      "FROM user_tags")[0])
    which, tag_pos = files.rows_per_id(ids)
    tag_keys: dict[str, int] = {}
    spellings: list[Counter] = []
    per_tag = []
    for tag in tags:
        g = tag_keys.setdefault(nocase(tag), len(tag_keys))
        if g == len(spellings):
            spellings.append(Counter())
        per_tag.append(g)
    tag_group = np.array(per_tag, dtype=np.int64)[which] if per_tag else np.zeros(0, dtype=np.int64)
    for i in which.tolist():
        spellings[per_tag[i]][tags[i]] += 1
    # One spelling per tag (NOCASE group): the one most files carry (ties: the first in code point order).
    # Groups no indexed file carries keep their place (counted 0, never shown).
    tag_names = [min(s, key=lambda t, s=s: (-s[t], t)) if s else "" for s in spellings]
    return UserColumns(favourite, tag_pos, tag_group, tag_names, tag_keys)


def change_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(tuples(conn, "SELECT part, n FROM search_changes"))


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return bool(tuples(conn, "SELECT 1 FROM sqlite_master WHERE name = ?", (name,)))


def load_columns(conn: sqlite3.Connection, version: int) -> Columns:
    """Every part, read in the caller's open read transaction."""
    changes = change_counts(conn)
    files = load_files(conn)
    return Columns(version, changes, files, load_keys(conn, files), load_user(conn, files),
                   _table_exists(conn, "files_fts"), _table_exists(conn, "user_fts"))


def refresh(conn: sqlite3.Connection, cols: Columns, version: int) -> Columns:
    """`cols` brought to the state of the caller's read transaction: the parts whose counter moved are read
    again (all of them when the files changed: the others are placed on their rows)."""
    changes = change_counts(conn)
    moved = {part for part in ("files", "keys", "user") if changes.get(part) != cols.changes.get(part)}
    if not moved:
        cols.version = version
        return cols
    files = load_files(conn) if "files" in moved else cols.files
    keys = load_keys(conn, files) if moved & {"files", "keys"} else cols.keys
    user = load_user(conn, files) if moved & {"files", "user"} else cols.user
    return Columns(version, changes, files, keys, user, cols.has_fts, cols.has_user_fts)
