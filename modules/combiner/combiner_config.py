"""The node's `combiner_config`: the loader's `schedule_config` items, each with an optional `profile`.

`profile` names a saved block-weight profile for that LoRA (the editor also writes its values into
`vectors`, which win; a config written by hand may carry the name alone). The rules are the editor's
(`web/lib/combiner_model.js` readProfileName): text, trimmed, no longer than a profile name; empty is none.
"""

from __future__ import annotations

from ..library.profiles import MAX_NAME_CHARS
from ..schedule.model import LoraItem, ScheduleError
from ..schedule.parse import parse_schedule_config, schedule_config_entries


def read_combiner_config(text: str | None) -> tuple[list[LoraItem], list[str | None]]:
    """The items (disabled ones included) and, aligned with them, each one's profile name or None."""
    items = parse_schedule_config(text)
    entries, where = schedule_config_entries(text)
    profiles = [profile_name(entry.get("profile"), f"{where} item {n + 1} ({item.lora_name})")
                for n, (entry, item) in enumerate(zip(entries, items, strict=True))]
    return items, profiles


def profile_name(raw, what: str) -> str | None:
    """The profile an item names, or None; `ScheduleError` naming the item when it is not a name."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ScheduleError(f"{what}: profile must be a profile name (text)")
    name = raw.strip()
    if len(name) > MAX_NAME_CHARS:
        raise ScheduleError(f"{what}: profile name longer than {MAX_NAME_CHARS} characters")
    return name or None
