"""Schedule items -> schedule string, exactly in seed 004's format.

`<lora:STEM:MODEL:CLIP:x,y;x,y;...[:preset=P | :vectors=block=v;...]>`, one enabled item per line:
STEM is the file name without folder and model extension, numbers are `format_number` (4 decimals,
trimmed), points are written after the seed's padding, `preset=` is written unless the preset is
absent or CUSTOM, else `vectors=` (sorted by block) when there are vectors. As in the seed, an item
with a built-in preset loses its explicit vector overrides in the string. A profile used as a preset
(blocks/templates.py) is written as `preset=NAME:vectors=...` with its whole resolved vector, so the
string runs where the profile does not exist; NAME is escaped like a LoRA name.
"""

from __future__ import annotations

from ..blocks.presets import PRESET_STRATEGIES
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
        fields.append(f"preset={escape_name(item.preset)}")
    if item.vectors and item.preset not in PRESET_STRATEGIES:
        fields.append("vectors=" + ";".join(f"{k}={format_number(v)}" for k, v in sorted(item.vectors.items())))
    return "<lora:" + ":".join(fields) + ">"


def serialize_schedule(items: list[LoraItem]) -> str:
    """The enabled items, one line each, joined with newlines (the node's `schedule_string` part)."""
    return "\n".join(serialize_item(item) for item in items if item.enabled)
