"""Schedule items: the data model shared by the schedule parsers, the serializer and the node.

A schedule is a list of `LoraItem`. The JSON shape of an item (`schedule_config`, JSON-list schedule
strings, the editor and the shared test vectors) is the seed's:
`{"lora_name", "enabled", "strength_model", "strength_clip", "points": [{"x", "y"}], "arch",
"preset", "vectors": {block: value}}`. Unknown keys (the editor's `color`) are ignored.

Numbers follow one strict grammar in Python and JavaScript (`parse_number`), so both parsers accept
and reject the same text; the 4-decimal formatter (`format_number`) gives the same bytes in both.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from ..arch.ids import UNKNOWN

# Largest accepted magnitude of a strength, point or block value: far beyond any LoRA use, and small
# enough that every accepted number formats the same way in Python and JavaScript.
MAX_ABS_VALUE = 1e6
# Points per item: a bound against hand-written or generated strings that would build huge keyframe lists.
MAX_POINTS = 10000
# Block ids and preset names are written into schedule strings unescaped, so they may not contain
# the format's separators (`:` `;` `=` `,` `>`) or spaces.
# Preset names are built-in presets or profile names (library/profiles.py: at most 100 characters).
MAX_PRESET_CHARS = 100
IDENT_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
NON_FINITE_RE = re.compile(r"^[+-]?(?:nan|inf|infinity)$", re.IGNORECASE)

DEFAULT_POINTS: tuple[tuple[float, float], ...] = ((0.0, 1.0), (1.0, 1.0))


class ScheduleError(ValueError):
    """A schedule that cannot be used; `line` is the 1-based line of a schedule string, or None."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line
        self.detail = message


@dataclass
class LoraItem:
    """One LoRA of a schedule. `points` are (x, y) pairs sorted by x, x in [0, 1]."""

    lora_name: str
    strength_model: float = 1.0
    strength_clip: float = 1.0
    points: list[tuple[float, float]] = field(default_factory=lambda: list(DEFAULT_POINTS))
    enabled: bool = True
    arch: str = UNKNOWN
    preset: str | None = None
    vectors: dict[str, float] = field(default_factory=dict)

    def to_config(self) -> dict:
        """The item as the seed's JSON object (what `schedule_config` and the editor hold)."""
        return {
            "lora_name": self.lora_name,
            "enabled": self.enabled,
            "strength_model": self.strength_model,
            "strength_clip": self.strength_clip,
            "points": [{"x": x, "y": y} for x, y in self.points],
            "arch": self.arch,
            "preset": self.preset,
            "vectors": dict(self.vectors),
        }


def format_number(value: float) -> str:
    """The seed's `f"{v:.4f}"` with trailing zeros and dot trimmed, and `-0` written as `0`.

    Rounding is to nearest on the exact binary value, ties to even (what Python's `.4f` does);
    the JavaScript twin reproduces it byte for byte.
    """
    if not math.isfinite(value):
        raise ScheduleError(f"cannot write the non-finite number {value!r}")
    text = format(Decimal(value).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN), "f")
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_number(text: str, what: str, line: int | None = None) -> float:
    """A finite decimal number within ±MAX_ABS_VALUE; `-0` becomes `0`."""
    token = text.strip()
    if NON_FINITE_RE.match(token):
        raise ScheduleError(f"{what}: {token!r} is not a finite number", line)
    if not NUMBER_RE.match(token):
        raise ScheduleError(f"{what}: {token!r} is not a number", line)
    return check_value(float(token), what, line)


def check_value(value: float, what: str, line: int | None = None) -> float:
    if not math.isfinite(value):
        raise ScheduleError(f"{what}: {value!r} is not a finite number", line)
    if abs(value) > MAX_ABS_VALUE:
        raise ScheduleError(f"{what}: out of range (|value| <= {MAX_ABS_VALUE:g})", line)
    return value + 0.0  # -0.0 -> 0.0


def check_x(value: float, what: str, line: int | None = None) -> float:
    if not 0.0 <= value <= 1.0:
        raise ScheduleError(f"{what}: x={format_number(value)} is outside [0, 1]", line)
    return value


def check_preset(value: str, what: str, line: int | None = None) -> str:
    """A preset name: a built-in preset or a saved profile's name (any text without control characters)."""
    if len(value) > MAX_PRESET_CHARS:
        raise ScheduleError(f"{what}: {len(value)} characters, at most {MAX_PRESET_CHARS}", line)
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ScheduleError(f"{what}: contains control characters", line)
    return value


def check_ident(value: str, what: str, line: int | None = None) -> str:
    if not IDENT_RE.match(value):
        raise ScheduleError(f"{what}: {value!r} must be letters, digits, '_', '.' or '-'", line)
    return value


def sort_points(points: list[tuple[float, float]], what: str, line: int | None = None) -> list[tuple[float, float]]:
    """Points sorted by x (stable: equal x keep their order, which makes a vertical jump)."""
    if len(points) > MAX_POINTS:
        raise ScheduleError(f"{what}: {len(points)} points, at most {MAX_POINTS} allowed", line)
    return sorted(points, key=lambda p: p[0])


def _config_number(raw: object, what: str, line: int | None) -> float:
    # The seed did float(item[...]), so numeric strings from old workflows are accepted too.
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ScheduleError(f"{what}: expected a number, got {type(raw).__name__}", line)
    if isinstance(raw, str):
        return parse_number(raw, what, line)
    return check_value(float(raw), what, line)


def _config_points(raw: object, what: str, line: int | None) -> list[tuple[float, float]]:
    if raw is None:
        return list(DEFAULT_POINTS)
    if not isinstance(raw, list):
        raise ScheduleError(f"{what}: points must be a list, got {type(raw).__name__}", line)
    points = []
    for i, p in enumerate(raw):
        where = f"{what}: point {i + 1}"
        if isinstance(p, dict):
            if "x" not in p or "y" not in p:
                raise ScheduleError(f"{where}: needs both x and y", line)
            x, y = p["x"], p["y"]
        elif isinstance(p, list) and len(p) == 2:
            x, y = p
        else:
            raise ScheduleError(f"{where}: expected {{\"x\": .., \"y\": ..}}", line)
        points.append((check_x(_config_number(x, where, line), where, line), _config_number(y, where, line)))
    # An empty list meant "no keyframes" (constant full strength) for the seed: the flat default.
    return sort_points(points, what, line) if points else list(DEFAULT_POINTS)


def item_from_config(raw: object, what: str, line: int | None = None) -> LoraItem:
    """Validate one JSON item (seed shape); `what` names it in errors (e.g. "item 2")."""
    if not isinstance(raw, dict):
        raise ScheduleError(f"{what}: expected an object, got {type(raw).__name__}", line)
    name = raw.get("lora_name")
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError(f"{what}: lora_name must be a non-empty string", line)
    what = f"{what} ({name})"
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ScheduleError(f"{what}: enabled must be true or false", line)
    arch = raw.get("arch", UNKNOWN)
    if arch is None:
        arch = UNKNOWN
    if not isinstance(arch, str):
        raise ScheduleError(f"{what}: arch must be a string", line)
    preset = raw.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise ScheduleError(f"{what}: preset must be a string", line)
    preset = preset.strip() if preset else None
    if preset:
        check_preset(preset, f"{what}: preset", line)
    vectors_raw = raw.get("vectors")
    if vectors_raw is None:
        vectors_raw = {}
    if not isinstance(vectors_raw, dict):
        raise ScheduleError(f"{what}: vectors must be an object of block: value", line)
    vectors = {}
    for block, value in vectors_raw.items():
        check_ident(block, f"{what}: vectors block", line)
        vectors[block] = _config_number(value, f"{what}: vectors {block}", line)
    return LoraItem(
        lora_name=name.strip(),
        strength_model=_config_number(raw.get("strength_model", 1.0), f"{what}: strength_model", line),
        strength_clip=_config_number(raw.get("strength_clip", 1.0), f"{what}: strength_clip", line),
        points=_config_points(raw.get("points"), what, line),
        enabled=enabled,
        arch=arch or UNKNOWN,
        preset=preset or None,
        vectors=vectors,
    )


# Characters a NAME field cannot hold as they are, written as %XX (and % itself, so decoding is exact).
# Only these five codes are decoded, so a seed-written name such as "100%_style" still reads as itself.
NAME_ESCAPES = {"%": "%25", ":": "%3A", ">": "%3E", "\n": "%0A", "\r": "%0D"}
_UNESCAPE_RE = re.compile("%(25|3A|3E|0A|0D)", re.IGNORECASE)


def escape_name(stem: str) -> str:
    """A stem as written in a schedule string (the format has no other quoting)."""
    return "".join(NAME_ESCAPES.get(c, c) for c in stem)


def unescape_name(field: str) -> str:
    """The inverse of `escape_name`."""
    return _UNESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), field)
