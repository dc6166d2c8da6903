"""Library search requests: parameters -> `SearchQuery`; the text part as rowids from the word indexes.

Within one filter, comma-separated values are OR-ed (`tag_mode=all` makes tags AND-ed); different
filters are AND-ed. The filters become masks over an in-memory snapshot (`filter_masks.py`), the sorts
orders over it (`sort_orders.py`). Every value reaches SQL as a parameter.

Text (`q`): every word must prefix-match somewhere: the file's name, model name, trigger words or
sidecar tags (`files_fts`), or the user's tags or note on its content (`user_fts`); LIKE when this
Python's SQLite has no FTS5.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from .roles import ROLES
from .sort_orders import SORT_NAMES
from .user_data import MAX_TAG_CHARS

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_QUERY_CHARS = 200
MAX_OFFSET = 10**7

SORT_ALIASES = {"date": "modified"}
# filter parameters with values (folder: the folder and its subfolders) and true/false filters.
FILTER_COLUMNS = {"family": "family", "arch": "arch", "layout": "layout", "role": "role", "format": "adapter",
                  "category": "category", "folder": "folder"}
BOOL_FILTERS = ("clip", "preview", "error", "favourite", "energy", "used")
OTHER_PARAMS = ("q", "sort", "order", "page", "page_size", "offset", "tag", "tag_mode", "rank_min", "rank_max",
                "facets")
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
    tags: tuple[str, ...] = ()
    tags_all: bool = False
    rank_min: int | None = None
    rank_max: int | None = None
    offset: int | None = None  # when given, rows start here (a virtual grid); else at (page - 1) * page_size
    with_facets: bool = False

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.page_size


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


def _values(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))


def parse_query(params: Mapping[str, str]) -> SearchQuery:
    """A SearchQuery from request parameters; ValueError naming every bad parameter."""
    problems, filters, flags = [], [], []
    known = {*OTHER_PARAMS, *FILTER_COLUMNS, *BOOL_FILTERS}
    problems += [f"unknown parameter {k!r}" for k in params if k not in known]
    text = params.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        problems.append(f"q: {len(text)} characters, at most {MAX_QUERY_CHARS}")
    for name in FILTER_COLUMNS:
        if params.get(name):
            values = _values(params[name])
            if name == "role" and (bad := [v for v in values if v not in ROLES]):
                problems.append(f"role: unknown {', '.join(map(repr, bad))} (roles: {', '.join(ROLES)})")
            if values:
                filters.append((name, values))
    tags = _values(params.get("tag", ""))
    problems += [f"tag: {t[:20]!r}... is longer than {MAX_TAG_CHARS} characters" for t in tags
                 if len(t) > MAX_TAG_CHARS]
    tag_mode = params.get("tag_mode", "any")
    if tag_mode not in ("any", "all"):
        problems.append(f"tag_mode={tag_mode!r}: expected any or all")
    sort, order = params.get("sort", "name"), params.get("order", "asc")
    sort = SORT_ALIASES.get(sort, sort)
    if sort not in SORT_NAMES:
        problems.append(f"sort={sort!r}: expected one of {', '.join([*SORT_NAMES, *SORT_ALIASES])}")
    if order not in ("asc", "desc"):
        problems.append(f"order={order!r}: expected asc or desc")
    numbers: dict[str, int | None] = {}
    for name, default, low, high in (("page", "1", 1, 10**6), ("page_size", str(DEFAULT_PAGE_SIZE), 1, MAX_PAGE_SIZE),
                                     ("offset", None, 0, MAX_OFFSET), ("rank_min", None, 0, 10**6),
                                     ("rank_max", None, 0, 10**6)):
        raw = params.get(name, default)
        try:
            numbers[name] = _int(name, raw, low, high) if raw not in (None, "") else None
        except ValueError as err:
            problems.append(str(err))
    if "page" in params and "offset" in params:
        problems.append("page and offset: give one of them")
    if None not in (numbers.get("rank_min"), numbers.get("rank_max")) and numbers["rank_min"] > numbers["rank_max"]:
        problems.append(f"rank_min={numbers['rank_min']} is above rank_max={numbers['rank_max']}")
    for name in BOOL_FILTERS:
        if params.get(name):
            try:
                flags.append((name, _bool(name, params[name])))
            except ValueError as err:
                problems.append(str(err))
    with_facets = False
    if params.get("facets"):
        try:
            with_facets = _bool("facets", params["facets"])
        except ValueError as err:
            problems.append(str(err))
    if problems:
        raise ValueError("; ".join(problems))
    return SearchQuery(text, tuple(filters), tuple(flags), sort, order == "desc", numbers["page"] or 1,
                       numbers["page_size"] or DEFAULT_PAGE_SIZE, tags, tag_mode == "all", numbers["rank_min"],
                       numbers["rank_max"], numbers["offset"], with_facets)


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def text_rowids(conn: sqlite3.Connection, text: str, *, fts: bool, user_fts: bool) -> list[int] | None:
    """Rowids of the files matching every word of `text` (None when it has no word: no text filter)."""
    words = _WORD.findall(text)
    if not words:
        return None
    clauses, args = [], []
    for w in words:
        match = '"' + w.replace('"', '""') + '"*'
        parts, part_args = [], []
        if fts:
            parts.append("SELECT rowid FROM files_fts WHERE files_fts MATCH ?")
            part_args.append(match)
        else:
            parts.append("SELECT rowid FROM files WHERE " + " OR ".join(
                f"{c} LIKE ? ESCAPE '\\'" for c in ("name", "model_name", "trigger_words", "tags")))
            part_args += [_like(w)] * 4
        if user_fts:
            parts.append("SELECT f.rowid FROM files f WHERE f.id IN (SELECT e.id FROM user_entries e WHERE e.uid IN "
                         "(SELECT rowid FROM user_fts WHERE user_fts MATCH ?))")
            part_args.append(match)
        else:
            parts.append("SELECT f.rowid FROM files f WHERE f.id IN (SELECT id FROM user_tags WHERE tag LIKE ? "
                         "ESCAPE '\\' UNION SELECT id FROM user_entries WHERE note LIKE ? ESCAPE '\\')")
            part_args += [_like(w)] * 2
        # One rowid list per word (files and the user's words about them).
        clauses.append(f"files.rowid IN ({' UNION '.join(parts)})")
        args += part_args
    return [r[0] for r in conn.execute(f"SELECT files.rowid FROM files WHERE {' AND '.join(clauses)}", args)]
