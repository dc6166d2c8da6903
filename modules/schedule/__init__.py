"""Schedules of the Multi Scheduled LoRA Loader: one import for the node and the routes.

The data model lives in `model`, the parsers in `parse`, the serializer in
`serialize`; curves and their keyframes in `curves`, the loader's modes in `operation_modes`.
"""

from .model import DEFAULT_POINTS, LoraItem, ScheduleError, format_number
from .parse import parse_lora_line, parse_schedule_config, parse_schedule_string
from .serialize import CUSTOM_PRESET, lora_stem, serialize_item, serialize_schedule

__all__ = [
    "CUSTOM_PRESET", "DEFAULT_POINTS", "LoraItem", "ScheduleError", "format_number", "lora_stem",
    "parse_lora_line", "parse_schedule_config", "parse_schedule_string", "serialize_item", "serialize_schedule",
]
