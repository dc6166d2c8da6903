"""Schedules of the Multi Scheduled LoRA Loader: one import for the node and the routes.

The data model lives in `schedule_model`, the parsers in `schedule_parse`, the serializer in
`schedule_serialize`; curves and their keyframes in `curves`.
"""

from .schedule_model import DEFAULT_POINTS, LoraItem, ScheduleError, format_number
from .schedule_parse import parse_lora_line, parse_schedule_config, parse_schedule_string
from .schedule_serialize import CUSTOM_PRESET, lora_stem, serialize_item, serialize_schedule

__all__ = [
    "CUSTOM_PRESET", "DEFAULT_POINTS", "LoraItem", "ScheduleError", "format_number", "lora_stem",
    "parse_lora_line", "parse_schedule_config", "parse_schedule_string", "serialize_item", "serialize_schedule",
]
