"""CSV cells a spreadsheet will not run as formulas, read back unchanged.

A spreadsheet treats a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (a profile named `=HYPERLINK(...)` would become a live link). Text cells written by the pack
get a leading `'` when they start with one of those or with `'` itself; `read_cell` removes exactly
one leading `'`, so every text reads back as it was. Numbers are written with `repr` and never
escaped (a spreadsheet reads `-0.5` as a number, not a formula).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def read_cell(text: str) -> str:
    return text[1:] if text.startswith("'") else text
