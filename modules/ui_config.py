"""`get_ui_config()`: the block layouts and presets the editor renders (served by GET /mad-nodes/config).

Built from the same modules the nodes use, so the editor and the backend cannot disagree. Returned as
a fresh JSON-safe copy in a stable key order.
"""

from __future__ import annotations

import copy

from .blocks.layouts import ARCH_BLOCK_MAPPINGS, BLOCK_GROUPS, BLOCK_ORDER
from .blocks.presets import PRESET_COMPATIBLE_ARCHS, PRESET_STRATEGIES
from .version import PACK_VERSION


def get_ui_config() -> dict:
    """{config_version, ARCH_BLOCK_MAPPINGS, PRESET_COMPATIBLE_ARCHS, PRESET_STRATEGIES, BLOCK_ORDER, BLOCK_GROUPS}."""
    return copy.deepcopy({
        "config_version": PACK_VERSION,
        "ARCH_BLOCK_MAPPINGS": ARCH_BLOCK_MAPPINGS,
        "PRESET_COMPATIBLE_ARCHS": PRESET_COMPATIBLE_ARCHS,
        "PRESET_STRATEGIES": PRESET_STRATEGIES,
        "BLOCK_ORDER": list(BLOCK_ORDER),
        "BLOCK_GROUPS": BLOCK_GROUPS,
    })
