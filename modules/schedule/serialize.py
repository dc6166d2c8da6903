"""Schedule items -> schedule string, exactly in seed 004's format.

`<lora:STEM:MODEL:CLIP:x,y;x,y;...[:preset=P | :vectors=block=v;...]>`, one enabled item per line:
STEM is the file name without folder and model extension, numbers are `format_number` (4 decimals,
trimmed), points are written after the seed's padding, `preset=` is written unless the preset is
absent or CUSTOM, else `vectors=` (sorted by block) when there are vectors. As in the seed, an item
with a preset loses its explicit vector overrides in the string.
"""

from __future__ import annotations

from ..inspection.lora_names import lora_stem
from .curves import pad_points
from .model import LoraItem, ScheduleError, escape_name, format_number

CUSTOM_PRESET = "CUSTOM"


def serialize_item(item: LoraItem) -> str:
    """One `<lora:...>` line for `item` (enabled or not)."""
    stem = lora_stem(item.lora_name)
    if not stem.strip():
        raise ScheduleError(f"{item.lora_name!r}: this name cannot be written in a schedule string")
    fields = [escape_name(stem), format_number(item.strength_model), format_number(item.strength_clip)]
    if item.points:
        fields.append(";".join(f"{format_number(x)},{format_number(y)}" for x, y in pad_points(item.points)))
    if item.preset and item.preset != CUSTOM_PRESET:
        fields.append(f"preset={item.preset}")
    elif item.vectors:
        fields.append("vectors=" + ";".join(f"{k}={format_number(v)}" for k, v in sorted(item.vectors.items())))
    return "<lora:" + ":".join(fields) + ">"


def serialize_schedule(items: list[LoraItem]) -> str:
    """The enabled items, one line each, joined with newlines (the node's `schedule_string` part)."""
    return "\n".join(serialize_item(item) for item in items if item.enabled)
