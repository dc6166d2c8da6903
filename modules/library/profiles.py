"""Block-weight profiles: a named list of weights, one per main-stack block of a block layout.

A profile belongs to a layout (`blocks.layouts.LAYOUTS`, e.g. `sdxl_unet_9`), not to one LoRA, so it
applies to every LoRA of that layout. Its length must be the block count of one of the layout's
variants (SD3 medium 24 / large 38 joint blocks, ...): `weights[i]` weights `blocks[i]` of
`blocks.layouts.main_blocks`. Values are stored exactly as given (no rounding, clamping or
normalising); each must be a finite number. Every problem with a profile is reported at once, each
naming the field.

CSV (export and import): a header row `profile,layout,index,block,weight`, then one row per block.
Weights are written with `repr`, which reads back as the same float; text cells are written so a
spreadsheet never runs them as formulas (`csv_cells.py`) and read back unchanged.

A profile is also a preset template (`blocks/templates.py`): `preset=NAME` in a schedule uses it
when NAME is not a built-in preset, so a profile may not take a built-in preset's name.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import time
import unicodedata

from ..blocks.layouts import LAYOUTS, block_label, main_blocks
from ..blocks.presets import PRESET_STRATEGIES
from .csv_cells import read_cell, safe_cell

MAX_NAME_CHARS = 100
MAX_NOTES_CHARS = 4000
MAX_CSV_BYTES = 1_000_000
CSV_HEADER = ["profile", "layout", "index", "block", "weight"]
RESERVED_NAMES = frozenset({*PRESET_STRATEGIES, "CUSTOM"})

# Layout name -> (a Layout object, its valid lengths). Several architectures share one layout.
LAYOUT_TABLE = {layout.name: layout for layout in LAYOUTS.values()}


class ProfileError(ValueError):
    """A profile is invalid; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class ProfileNameTaken(ProfileError):
    pass


def layout_blocks(layout_name: str) -> dict[int, list[str]]:
    """{length: block ids} for each variant of a layout."""
    layout = LAYOUT_TABLE[layout_name]
    out = {}
    for variant in layout.variants:
        blocks = main_blocks(layout, dict(zip(layout.sections, variant, strict=True)))
        out[len(blocks)] = blocks
    return out


def layouts_summary() -> dict:
    return {name: {"lengths": sorted(layout_blocks(name))} for name in sorted(LAYOUT_TABLE)}


def _name_problems(name) -> list[str]:
    if not isinstance(name, str):
        return [f"name: expected text, got {type(name).__name__}"]
    if not name.strip():
        return ["name: must not be empty"]
    problems = []
    if name != name.strip():
        problems.append("name: remove the spaces at its start or end")
    if len(name) > MAX_NAME_CHARS:
        problems.append(f"name: {len(name)} characters, at most {MAX_NAME_CHARS}")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        problems.append("name: contains control characters")
    if name in RESERVED_NAMES:
        problems.append(f"name: {name} is a built-in preset (a profile is used as preset=NAME, so it needs "
                        "another name)")
    return problems


def _weight_problems(layout_name, weights) -> list[str]:
    if layout_name not in LAYOUT_TABLE:
        return [f"layout: unknown {layout_name!r} (layouts: {', '.join(sorted(LAYOUT_TABLE))})"]
    if not isinstance(weights, list):
        return [f"weights: expected a list of numbers, got {type(weights).__name__}"]
    problems = []
    lengths = sorted(layout_blocks(layout_name))
    if len(weights) not in lengths:
        problems.append(f"weights: {len(weights)} values, layout {layout_name} needs "
                        f"{' or '.join(map(str, lengths))} (one per block)")
    for i, value in enumerate(weights):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"weights[{i}]: {value!r} is not a number")
        elif not math.isfinite(value):
            problems.append(f"weights[{i}]: {value!r} is not finite")
    return problems


def validate(data) -> dict:
    """The profile fields from `data` ({name, layout, weights, notes?}); ProfileError listing every problem."""
    if not isinstance(data, dict):
        raise ProfileError([f"profile: expected an object, got {type(data).__name__}"])
    problems = [f"unknown field {k!r}" for k in data if k not in ("name", "layout", "weights", "notes")]
    problems += _name_problems(data.get("name"))
    problems += _weight_problems(data.get("layout"), data.get("weights"))
    notes = data.get("notes", "")
    if not isinstance(notes, str) or len(notes) > MAX_NOTES_CHARS:
        problems.append(f"notes: expected text of at most {MAX_NOTES_CHARS} characters")
    if problems:
        raise ProfileError(problems)
    return {"name": data["name"], "layout": data["layout"], "weights": list(data["weights"]), "notes": notes}


def _out(row: sqlite3.Row) -> dict:
    weights = json.loads(row["weights"])
    blocks = layout_blocks(row["layout"]).get(len(weights), [])
    return {"id": row["pid"], "name": row["name"], "layout": row["layout"], "weights": weights, "blocks": blocks,
            "labels": [block_label(b) for b in blocks], "notes": row["notes"], "created_at": row["created_at"],
            "updated_at": row["updated_at"]}


def list_profiles(conn: sqlite3.Connection, layout: str | None = None) -> list[dict]:
    sql = "SELECT * FROM profiles" + (" WHERE layout = ?" if layout else "") + " ORDER BY name COLLATE NOCASE"
    return [_out(r) for r in conn.execute(sql, (layout,) if layout else ())]


def get_profile(conn: sqlite3.Connection, pid: int) -> dict | None:
    row = conn.execute("SELECT * FROM profiles WHERE pid = ?", (pid,)).fetchone()
    return _out(row) if row else None


def get_profile_by_name(conn: sqlite3.Connection, name: str) -> dict | None:
    row = conn.execute("SELECT * FROM profiles WHERE name = ?", (name,)).fetchone()
    return _out(row) if row else None


def _write(conn: sqlite3.Connection, sql: str, args: tuple, name: str):
    try:
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(sql, args)
        conn.execute("COMMIT")
        return cur
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK")
        raise ProfileNameTaken([f"name: a profile named {name!r} already exists"]) from None
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def create_profile(conn: sqlite3.Connection, data) -> dict:
    p = validate(data)
    now = time.time()
    cur = _write(conn, "INSERT INTO profiles(name, layout, weights, notes, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                 (p["name"], p["layout"], json.dumps(p["weights"]), p["notes"], now, now), p["name"])
    return get_profile(conn, cur.lastrowid)


def update_profile(conn: sqlite3.Connection, pid: int, data) -> dict | None:
    """Replace a profile's fields (all of name, layout, weights; notes optional). None if it does not exist."""
    p = validate(data)
    cur = _write(conn, "UPDATE profiles SET name = ?, layout = ?, weights = ?, notes = ?, updated_at = ? "
                       "WHERE pid = ?",
                 (p["name"], p["layout"], json.dumps(p["weights"]), p["notes"], time.time(), pid), p["name"])
    return get_profile(conn, pid) if cur.rowcount else None


def patch_profile(conn: sqlite3.Connection, pid: int, data) -> dict | None:
    """Change some fields of a profile (e.g. `{"name"}` to rename it), validated as a whole; None if missing."""
    current = get_profile(conn, pid)
    if current is None:
        return None
    if not isinstance(data, dict):
        raise ProfileError([f"profile: expected an object, got {type(data).__name__}"])
    merged = {k: current[k] for k in ("name", "layout", "weights", "notes")}
    merged.update(data)
    return update_profile(conn, pid, merged)


def delete_profile(conn: sqlite3.Connection, pid: int) -> bool:
    conn.execute("BEGIN IMMEDIATE")
    cur = conn.execute("DELETE FROM profiles WHERE pid = ?", (pid,))
    conn.execute("COMMIT")
    return cur.rowcount > 0


def profile_csv(profile: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for i, (block, weight) in enumerate(zip(profile["blocks"], profile["weights"], strict=True)):
        writer.writerow([safe_cell(profile["name"]), safe_cell(profile["layout"]), i, safe_cell(block), repr(weight)])
    return out.getvalue()


def _number(text: str) -> float | int | str:
    try:
        return int(text) if text.strip().lstrip("+-").isdigit() else float(text)
    except ValueError:
        return text  # reported by validation as "not a number", with its index


def parse_profile_csv(text: str) -> dict:
    """{name, layout, weights} from a CSV written by `profile_csv` (rows in index order, blocks must be the
    layout's); ProfileError naming the line of every problem."""
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise ProfileError([f"CSV: larger than {MAX_CSV_BYTES} bytes"])
    rows = [[read_cell(c) for c in r] for r in csv.reader(io.StringIO(text))]
    if not rows or [c.strip() for c in rows[0]] != CSV_HEADER:
        raise ProfileError([f"CSV line 1: expected the header {','.join(CSV_HEADER)}"])
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    problems = [f"CSV line {n}: expected {len(CSV_HEADER)} columns, got {len(r)}" for n, r in body
                if len(r) != len(CSV_HEADER)]
    if problems or not body:
        raise ProfileError(problems or ["CSV: no rows after the header"])
    names = {r[0] for _, r in body}
    layouts = {r[1] for _, r in body}
    if len(names) != 1 or len(layouts) != 1:
        raise ProfileError(["CSV: every row must name the same profile and layout"])
    name, layout = names.pop(), layouts.pop()
    weights = [_number(r[4]) for _, r in body]
    problems += _weight_problems(layout, weights)
    if not problems:
        expected = layout_blocks(layout)[len(weights)]
        for (n, r), i in zip(body, range(len(body)), strict=True):
            if r[2].strip() != str(i) or r[3].strip() != expected[i]:
                problems.append(f"CSV line {n}: expected index {i}, block {expected[i]}; got {r[2]!r}, {r[3]!r}")
    if problems:
        raise ProfileError(problems)
    return {"name": name, "layout": layout, "weights": weights}
