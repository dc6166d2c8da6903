"""Facet counts for a library search: for every filter, how many files each of its values would give.

Each facet's counts apply every *other* filter of the request (and the text), not its own: with
`family=SDXL&role=style`, the family counts are those of the style LoRAs per family and the role
counts those of the SDXL LoRAs per role, so each number is what a click on it would show (OR within
a facet). Counted over a `Columns` snapshot with the filters' masks (`filter_masks.py`).
"""

from __future__ import annotations

import numpy as np

from .columns import Columns, nocase
from .filter_masks import combined

BOOL_FACETS = ("clip", "preview", "error", "favourite", "energy", "used")
MAX_TAGS_COUNTED = 1000  # most used first


def _rows_for(masks: dict[str, np.ndarray], facet: str, every: np.ndarray | None) -> np.ndarray | None:
    return combined(masks, skip=facet) if facet in masks else every


def facet_counts(cols: Columns, masks: dict[str, np.ndarray]) -> dict:
    """{"total", "facets": {facet: {value: count}}}: values in SQLite's order ('' = none), tags most used
    first (ties by tag), true/false facets as {"true": n, "false": n}."""
    every = combined(masks)
    facets: dict[str, dict] = {}
    for name, coded in cols.files.coded.items():
        rows = _rows_for(masks, name, every)
        counts = np.bincount(coded.codes if rows is None else coded.codes[rows], minlength=len(coded.values))
        facets[name] = {("" if v is None else str(v)): int(n) for v, n in zip(coded.values, counts, strict=True) if n}
    rows = _rows_for(masks, "tag", every)
    user = cols.user
    groups = user.tag_group if rows is None else user.tag_group[rows[user.tag_pos]]
    counts = np.bincount(groups, minlength=len(user.tag_names))
    top = sorted(np.flatnonzero(counts), key=lambda g: (-counts[g], nocase(user.tag_names[g])))[:MAX_TAGS_COUNTED]
    facets["tag"] = {user.tag_names[g]: int(counts[g]) for g in top}
    for name in BOOL_FACETS:
        rows = _rows_for(masks, name, every)
        flag = cols.flag(name)
        total = cols.count if rows is None else int(rows.sum())
        true = int(flag.sum() if rows is None else (flag & rows).sum())
        facets[name] = {"true": true, "false": total - true}
    return {"total": cols.count if every is None else int(every.sum()), "facets": facets}
