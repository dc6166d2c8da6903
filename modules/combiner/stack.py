"""LORA_STACK values (Efficiency, rgthree, Comfyroll stack nodes): a list of (lora_name, strength_model,
strength_clip) tuples, read into schedule items. A name of "None" is an empty slot of those nodes."""

from __future__ import annotations

from ..schedule.model import LoraItem, ScheduleError, check_value

COMBINER = "LoRA Block-Weight Combiner"


def stack_items(lora_stack) -> list[LoraItem]:
    """Items of a LORA_STACK: a list of (lora_name, strength_model, strength_clip)."""
    items = []
    for n, entry in enumerate(lora_stack or [], start=1):
        if not isinstance(entry, (list, tuple)) or len(entry) != 3 or not isinstance(entry[0], str):
            raise ValueError(f"{COMBINER}: lora_stack entry {n}: expected (lora_name, strength_model, strength_clip)")
        name, sm, sc = entry
        try:
            sm, sc = (check_value(float(v), f"lora_stack entry {n} ({name})") for v in (sm, sc))
        except (TypeError, ValueError, ScheduleError) as err:
            raise ValueError(f"{COMBINER}: lora_stack entry {n} ({name}): {err}") from None
        if name.strip().lower() != "none":
            items.append(LoraItem(lora_name=name, strength_model=sm, strength_clip=sc))
    return items
