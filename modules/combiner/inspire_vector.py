"""Block vectors that paste into the Inspire Pack "LoRA Loader (Block Weight)" node unchanged.

reference/block-weight-formats.md §0 and §5: the vector is positional over the blocks present in this
LoRA (`blocks.layouts.inspire_slots`), BASE first; every entry matches `^-?\\d+(\\.\\d+)?$` (the 4-decimal
`format_number`: never `.5`, `1.`, `1e-05` or `+1`), entries are joined by "," without spaces (a space
would make a sub-vector), and a vector shorter than 12 entries is padded by repeating its last value
(Inspire reads fewer than 12 entries as a preset name; entries past the LoRA's slots are never read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..blocks.layouts import InspireSlot
from ..schedule.model import format_number

MIN_ENTRIES = 12
ENTRY_RE = re.compile(r"^-?\d+(\.\d+)?$")
PAD_LABEL = "(pad)"


@dataclass(frozen=True)
class InspireVector:
    text: str
    labels: tuple[str, ...]  # one per entry; padding entries are PAD_LABEL
    slot_count: int  # BASE + the LoRA's slots (entries Inspire reads)
    notes: tuple[str, ...]


def format_entry(value: float) -> str:
    text = format_number(value)
    if not ENTRY_RE.match(text):  # format_number never writes exponents; this guards the contract
        raise ValueError(f"block value {value!r} formats as {text!r}, which Inspire rejects")
    return text


def inspire_vector(slots: list[InspireSlot], base_value: float, block_values: dict[str, float]) -> InspireVector:
    """The vector for one LoRA: BASE = `base_value`, each slot the value of its block (1.0 if absent).

    A slot Inspire shares between two blocks (its equal-number quirk) takes its first block's value; if
    the blocks' values differ a note says so.
    """
    values = [base_value]
    notes = []
    for slot in slots[1:]:
        first = block_values.get(slot.blocks[0], 1.0)
        others = {format_entry(block_values.get(b, 1.0)) for b in slot.blocks}
        if len(others) > 1:
            notes.append(f"slot {slot.label} is shared by blocks {', '.join(slot.blocks)} in Inspire; "
                         f"it carries {slot.blocks[0]}'s value {format_entry(first)}")
        values.append(first)
    entries = [format_entry(v) for v in values]
    labels = [slot.label for slot in slots]
    slot_count = len(entries)
    while len(entries) < MIN_ENTRIES:
        entries.append(entries[-1])
        labels.append(PAD_LABEL)
    return InspireVector(",".join(entries), tuple(labels), slot_count, tuple(notes))
