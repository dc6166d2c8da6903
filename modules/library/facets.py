"""Facet counts for a library search: for every filter, how many files each of its values would give.

Each facet's counts apply every *other* filter of the request (and the text), not its own: with
`family=SDXL&role=style`, the family counts are those of the style LoRAs per family and the role
counts those of the SDXL LoRAs per role, so each number is what a click on it would show (OR within
a facet).
"""

from __future__ import annotations

import sqlite3

from .query import BOOL_VALUES, FILTER_COLUMNS, SearchQuery, where

# facet -> SQL expression over `files` whose value is counted.
VALUE_FACETS = {**FILTER_COLUMNS, "rank": "rank"}
_BOOL_KEYS = {0: "false", 1: "true"}


def _one_pass(conn: sqlite3.Connection, names: list[str], sql_where: str, args: list) -> dict[str, dict]:
    """Counts of several facets over the same rows, in one scan (grouped by every facet's value at once)."""
    exprs = [VALUE_FACETS.get(n) or BOOL_VALUES[n] for n in names]
    out: dict[str, dict] = {n: {} for n in names}
    sql = (f"SELECT {', '.join(exprs)}, COUNT(*) FROM files{sql_where} "
           f"GROUP BY {', '.join(str(i + 1) for i in range(len(exprs)))}")
    for row in conn.execute(sql, args):
        n = row[-1]
        for name, value in zip(names, row, strict=False):
            key = _BOOL_KEYS[value] if name in BOOL_VALUES else ("" if value is None else str(value))
            out[name][key] = out[name].get(key, 0) + n
    return out


def _tags(conn: sqlite3.Connection, sql_where: str, args: list) -> dict[str, int]:
    sql = (f"SELECT t.tag, COUNT(*) FROM files JOIN user_tags t ON t.id = files.id{sql_where} "
           "GROUP BY t.tag COLLATE NOCASE ORDER BY COUNT(*) DESC, t.tag LIMIT 1000")
    return {tag: n for tag, n in conn.execute(sql, args)}


def facet_counts(conn: sqlite3.Connection, q: SearchQuery, conds: dict[str, tuple[str, list]]) -> dict:
    """{"total", "facets": {facet: {value: count}}}; bool facets as {"true": n, "false": n}."""
    facets: dict[str, dict] = {}
    all_where, all_args = where(conds)
    # The true/false facets the request does not filter on: summed in one pass with the total.
    free = [n for n in BOOL_VALUES if n not in conds]
    sums = conn.execute(f"SELECT COUNT(*), {', '.join(f'TOTAL({BOOL_VALUES[n]})' for n in free) or '0'} "
                        f"FROM files{all_where}", all_args).fetchone()
    total = sums[0]
    for name, true in zip(free, sums[1:], strict=False):
        facets[name] = {"true": int(true), "false": total - int(true)}
    # One GROUP BY per other facet: without filters each reads its column's index alone (no sort of the library).
    for name in (*VALUE_FACETS, *(n for n in BOOL_VALUES if n in conds)):
        facets.update(_one_pass(conn, [name], *where(conds, skip=name)))
    facets["tag"] = _tags(conn, *where(conds, skip="tag"))
    for name in BOOL_VALUES:
        facets[name] = {"true": facets[name].get("true", 0), "false": facets[name].get("false", 0)}
    ordered = {name: facets[name] for name in (*VALUE_FACETS, "tag", *BOOL_VALUES)}
    return {"total": total, "facets": ordered}
