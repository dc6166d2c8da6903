"""Library search filters as boolean masks over the rows of a `Columns` snapshot, one per filter.

Same meaning as the request parameters (`query.py`): values OR-ed within a filter, filters AND-ed;
`folder` is the folder and its subfolders; `tag` compares as SQLite's NOCASE does (`tag_mode=all`: every
tag); a rank range leaves out entries without a rank; text words are looked up in the database's
word indexes (`query.text_rowids`), the answer kept per text while the snapshot lives.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from .columns import Columns, nocase
from .query import SearchQuery, text_rowids

TEXT_MASKS = 32  # texts whose rows are kept per snapshot (the tab asks page and counts for one text)


def _text_mask(conn: sqlite3.Connection, cols: Columns, text: str) -> np.ndarray | None:
    if text in cols.text_masks:
        return cols.text_masks[text]
    rowids = text_rowids(conn, text, fts=cols.has_fts, user_fts=cols.has_user_fts)
    mask = None if rowids is None else cols.rows(rowids)
    if len(cols.text_masks) >= TEXT_MASKS:
        cols.text_masks.pop(next(iter(cols.text_masks)))
    cols.text_masks[text] = mask
    return mask


def _in_folders(values: tuple[str, ...]):
    prefixes = [v.strip("/") for v in values]
    # Its subfolders are the names between "v/" and "v0" ('0' follows '/'), compared as SQLite compares text.
    return lambda folder: any(folder == v or v + "/" <= folder < v + "0" for v in prefixes)


def _tag_mask(cols: Columns, tags: tuple[str, ...], every: bool) -> np.ndarray:
    groups = {cols.user.tag_keys.get(nocase(t)) for t in tags}
    mask = np.zeros(cols.count, dtype=bool)
    wanted = [g for g in groups if g is not None]
    if (every and None in groups) or not wanted:
        return mask
    hits = cols.user.tag_pos[np.isin(cols.user.tag_group, wanted)]
    if every:  # a file carries a tag group at most once (one spelling per tag and content)
        return np.bincount(hits, minlength=cols.count) == len(wanted)
    mask[hits] = True
    return mask


def filter_masks(conn: sqlite3.Connection, cols: Columns, q: SearchQuery) -> dict[str, np.ndarray]:
    """{facet: rows that pass that filter} for every filter of `q` ("q" for the text)."""
    out: dict[str, np.ndarray] = {}
    if q.text and (text := _text_mask(conn, cols, q.text)) is not None:
        out["q"] = text
    for name, values in q.filters:
        wanted = _in_folders(values) if name == "folder" else set(values)
        out[name] = cols.files.coded[name].lookup(wanted)
    if q.tags:
        out["tag"] = _tag_mask(cols, q.tags, q.tags_all)
    if q.rank_min is not None or q.rank_max is not None:
        low = q.rank_min if q.rank_min is not None else 0
        high = q.rank_max if q.rank_max is not None else 10**9
        out["rank"] = cols.files.coded["rank"].lookup(lambda rank: low <= rank <= high)
    for name, value in q.flags:
        out[name] = cols.flag(name) if value else ~cols.flag(name)
    return out


def combined(masks: dict[str, np.ndarray], skip: str | None = None) -> np.ndarray | None:
    """Rows passing every filter but `skip`'s; None when there is no such filter (every row)."""
    out = None
    for name, mask in masks.items():
        if name != skip:
            out = mask if out is None else out & mask
    return out
