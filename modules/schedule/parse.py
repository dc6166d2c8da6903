"""Parsers for the hidden `schedule_config` JSON and for external schedule strings (seed 004).

Schedule strings come in three forms:
- a JSON list of items (the string starts with `[`);
- one `<lora:NAME[:MODEL[:CLIP[:FIELD]...]]>` per line, FIELDs in any order: `preset=NAME`,
  `vectors=block=value;block:value`, `x,y;x,y;...` points (several points fields add up);
- the legacy positional form `<lora:NAME:MODEL:CLIP:S_START:S_END:IDX:P_START:P_END:COUNT>`, chosen
  when the line has at least 9 `:` fields and the 4th is a plain number.

A line that is exactly one `<lora:...>` tag (after trimming) is a schedule line; in any other line
each `<lora:NAME[:WEIGHT[:CLIP]]>` is an inline A1111-style tag (`prompt_tags.py`); lines without a
tag are ignored, as the seed does. What the seed
silently ignored inside a `<lora:...>` line is an error here, naming the line: a MODEL or CLIP that is
not a number (an empty one still defaults to 1.0), NaN/inf or out-of-range numbers, x outside [0, 1],
a malformed point, a vector entry without a value, an empty or repeated preset, a repeated block, a
field that is none of the above, and a legacy line with a bad field count or COUNT.
"""

from __future__ import annotations

import json

from .model import (
    DEFAULT_POINTS,
    NON_FINITE_RE,
    NUMBER_RE,
    LoraItem,
    ScheduleError,
    check_ident,
    check_preset,
    check_x,
    format_number,
    item_from_config,
    parse_number,
    sort_points,
    unescape_name,
)
from .prompt_tags import inline_items, is_schedule_line

LEGACY_FIELDS = 9


def _json_error(where: str, err: json.JSONDecodeError) -> ScheduleError:
    return ScheduleError(f"{where}: malformed JSON: {err.msg} at line {err.lineno} column {err.colno}")


def _loads(text: str, where: str):
    """`json.loads` that refuses NaN/Infinity (Python accepts them, JSON and JavaScript do not)."""

    def refuse(name: str):
        raise ScheduleError(f"{where}: malformed JSON: {name} is not allowed")

    return json.loads(text, parse_constant=refuse)


def _items_from_list(raw: list, where: str) -> list[LoraItem]:
    return [item_from_config(entry, f"{where} item {i + 1}") for i, entry in enumerate(raw)]


def parse_schedule_config(text: str | None) -> list[LoraItem]:
    """The items of `schedule_config`: a JSON list, or a profiles object (its `active_profile`).

    All items are returned, disabled ones included (`item.enabled`); empty text gives [].
    """
    entries, where = schedule_config_entries(text)
    return _items_from_list(entries, where)


def schedule_config_entries(text: str | None) -> tuple[list, str]:
    """The raw JSON items of `schedule_config` (see `parse_schedule_config`) and what errors call them.

    For readers of keys beyond the seed's item (the combiner's per-LoRA `profile`)."""
    if text is None or not text.strip():
        return [], "schedule_config"
    try:
        data = _loads(text, "schedule_config")
    except json.JSONDecodeError as err:
        raise _json_error("schedule_config", err) from None
    if isinstance(data, list):
        return data, "schedule_config"
    if not isinstance(data, dict):
        raise ScheduleError(f"schedule_config: expected a list or a profiles object, got {type(data).__name__}")
    active = data.get("active_profile", "Default")
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ScheduleError("schedule_config: profiles must be an object of name: profile")
    if not profiles:
        return [], "schedule_config"
    if not isinstance(active, str) or active not in profiles:
        raise ScheduleError(f"schedule_config: active_profile {active!r} is not one of the profiles "
                            f"({', '.join(map(repr, profiles))})")
    profile = profiles[active]
    loras = profile.get("loras", []) if isinstance(profile, dict) else profile
    if not isinstance(loras, list):
        raise ScheduleError(f"schedule_config: profile {active!r} has no list of loras")
    return loras, f"schedule_config profile {active!r}"


def parse_schedule_string(text: str | None) -> list[LoraItem]:
    """The items of an external schedule string (all three forms); empty text gives []."""
    if text is None or not text.strip():
        return []
    json_error = None
    if text.strip().startswith("["):
        try:
            data = _loads(text, "schedule string")
        except json.JSONDecodeError as err:
            json_error = _json_error("schedule string", err)  # the seed then tried the line form
        else:
            if not isinstance(data, list):
                raise ScheduleError("schedule string: a JSON schedule must be a list of items")
            return _items_from_list(data, "schedule string")
    items = []
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.strip()
        if is_schedule_line(line):
            items.append(parse_lora_line(line, number))
        else:
            items += inline_items(line, number)
    if json_error is not None and not items:
        raise json_error
    return items


def _strength(parts: list[str], index: int, what: str, line: int) -> float:
    if len(parts) <= index or not parts[index].strip():
        return 1.0
    return parse_number(parts[index], what, line)


def _is_plain_number(text: str) -> bool:
    token = text.strip()
    return bool(NUMBER_RE.match(token) or NON_FINITE_RE.match(token))


def parse_lora_line(line: str, number: int) -> LoraItem:
    """One trimmed `<lora:...>` line; `number` is its 1-based line number for errors."""
    parts = line[len("<lora:"):-1].split(":")
    name = unescape_name(parts[0].strip())
    if not name:
        raise ScheduleError("empty LoRA name", number)
    item = LoraItem(
        lora_name=name,
        strength_model=_strength(parts, 1, f"{name}: MODEL strength", number),
        strength_clip=_strength(parts, 2, f"{name}: CLIP strength", number),
    )
    if len(parts) >= LEGACY_FIELDS and _is_plain_number(parts[3]):
        item.points = _legacy_points(parts, name, number)
    else:
        _modern_fields(parts[3:], item, number)
    return item


def _legacy_points(parts: list[str], name: str, line: int) -> list[tuple[float, float]]:
    """COUNT points from (P_START, S_START) to (P_END, S_END), rounded to 4 decimals like the seed."""
    if len(parts) != LEGACY_FIELDS:
        raise ScheduleError(f"{name}: the legacy positional form has {LEGACY_FIELDS} fields "
                            f"(NAME:MODEL:CLIP:S_START:S_END:IDX:P_START:P_END:COUNT), got {len(parts)}", line)
    s_start = parse_number(parts[3], f"{name}: S_START", line)
    s_end = parse_number(parts[4], f"{name}: S_END", line)
    p_start = check_x(parse_number(parts[6], f"{name}: P_START", line), f"{name}: P_START", line)
    p_end = check_x(parse_number(parts[7], f"{name}: P_END", line), f"{name}: P_END", line)
    count_text = parts[8].strip()
    if not count_text.isdigit() or not 1 <= int(count_text) <= 10000:
        raise ScheduleError(f"{name}: COUNT {count_text!r} must be a whole number from 1 to 10000", line)
    count = int(count_text)
    points = []
    for i in range(count):
        t = i / (count - 1) if count > 1 else 0.0
        x = p_start + (p_end - p_start) * t
        y = s_start + (s_end - s_start) * t
        points.append((round4(x), round4(y)))
    return sort_points(points, name, line)


def round4(value: float) -> float:
    """`float(f"{v:.4f}")`, the seed's rounding of generated points (ties to even, -0 -> 0)."""
    return float(format_number(value)) + 0.0


def _modern_fields(fields: list[str], item: LoraItem, line: int) -> None:
    name = item.lora_name
    points: list[tuple[float, float]] = []
    i = 0
    while i < len(fields):
        field = fields[i].strip()
        i += 1
        if not field:
            continue
        if field.startswith("preset="):
            preset = unescape_name(field[len("preset="):].strip())
            if not preset:
                raise ScheduleError(f"{name}: preset= needs a preset name", line)
            if item.preset is not None:
                raise ScheduleError(f"{name}: preset given twice ({item.preset}, {preset})", line)
            item.preset = check_preset(preset, f"{name}: preset", line)
        elif field.startswith("vectors="):
            i = _vectors(fields, i, field[len("vectors="):], item, line)
        elif "," in field:
            points.extend(_points(field, name, line))
        else:
            raise ScheduleError(f"{name}: field {field!r} is not preset=NAME, vectors=block=value;... "
                                "or x,y;x,y points", line)
    item.points = sort_points(points, name, line) if points else list(DEFAULT_POINTS)


def _vectors(fields: list[str], i: int, body: str, item: LoraItem, line: int) -> int:
    """Read `vectors=` entries starting with `body`; returns the index of the next unread field.

    `block:value` entries are split across `:` fields, so an entry without `=` that ends a field takes
    its value from the start of the next field, and the vectors continue there.
    """
    name = item.lora_name
    pending: str | None = None
    while True:
        entries = body.split(";")
        for k, raw in enumerate(entries):
            entry = raw.strip()
            if pending is not None:
                _set_vector(item, pending, entry, line)
                pending = None
                continue
            if not entry:
                continue
            if "=" in entry:
                block, value = entry.split("=", 1)
                _set_vector(item, block.strip(), value, line)
            elif k == len(entries) - 1 and i < len(fields):
                pending = entry
            else:
                raise ScheduleError(f"{name}: vectors={entry}: expected block=value or block:value", line)
        if pending is None:
            return i
        body = fields[i]
        i += 1


def _set_vector(item: LoraItem, block: str, value: str, line: int) -> None:
    name = item.lora_name
    if not block:
        raise ScheduleError(f"{name}: vectors: an entry has no block name", line)
    check_ident(block, f"{name}: vectors block", line)
    if block in item.vectors:
        raise ScheduleError(f"{name}: vectors: block {block} given twice", line)
    item.vectors[block] = parse_number(value, f"{name}: vectors {block}", line)


def _points(field: str, name: str, line: int) -> list[tuple[float, float]]:
    points = []
    for raw in field.split(";"):
        pair = raw.strip()
        if not pair:
            continue
        coords = pair.split(",")
        if len(coords) != 2:
            raise ScheduleError(f"{name}: point {pair!r} is not x,y", line)
        what = f"{name}: point {pair}"
        x = check_x(parse_number(coords[0], what, line), what, line)
        points.append((x, parse_number(coords[1], what, line)))
    return points
