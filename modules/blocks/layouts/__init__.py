"""Block layouts: which block every LoRA tensor key belongs to, per architecture.

See `ids.py` for the block-id scheme, `layouts.py` for block counts and semantic tags, `mapping.py`
for the key -> block rules, `inspire.py` for the Inspire block-vector slots.
"""

from .aliases import resolve_block_id
from .ids import BASE_BUCKETS, BLOCK_ORDER, TEXT_ENCODERS, block_label, block_sort_key, sort_blocks, split_block_id
from .inspire import InspireSlot, inspire_block_slots, inspire_slots
from .keys import ModulePath, module_of_key, normalise_module
from .layouts import LAYOUTS, TAGS, Layout, block_tag, infer_counts, layout_for, main_blocks
from .mapping import block_of_key, block_of_module
from .tables import ARCH_BLOCK_MAPPINGS, BLOCK_GROUPS, GROUP_NAMES, block_metadata

__all__ = [
    "ARCH_BLOCK_MAPPINGS", "BASE_BUCKETS", "BLOCK_GROUPS", "BLOCK_ORDER", "GROUP_NAMES", "LAYOUTS", "TAGS",
    "TEXT_ENCODERS", "InspireSlot", "Layout", "ModulePath", "block_label", "block_metadata", "block_of_key",
    "block_of_module", "block_sort_key", "block_tag", "infer_counts", "inspire_block_slots", "inspire_slots",
    "layout_for", "main_blocks", "module_of_key", "normalise_module", "resolve_block_id", "sort_blocks",
    "split_block_id",
]
