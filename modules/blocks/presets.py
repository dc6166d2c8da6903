"""Block-weight presets (seed 004): one multiplier per semantic tag, expanded over a LoRA's blocks.

Values are the seed's (`reference/anchor-mad-nodes.md` 2.8). Because this pack applies a block value
linearly to ΔW, a preset value v now means exactly "v × this block's change" (the seed's per-tensor
scaling turned 1.8 into 5.8).
"""

from __future__ import annotations

from ..arch import ids as A
from .layouts import LAYOUTS, block_metadata, infer_counts, layout_for

PRESET_STRATEGIES: dict[str, dict] = {
    "LINEAR": {"label": "Linear (Default)",
               "weights": {"POSE": 1.0, "IDENTITY": 1.0, "STYLE": 1.0, "DETAILS": 1.0, "CLIP": 1.0, "OTHER": 1.0}},
    "STYLE_FOCUSED": {"label": "Style Focused",
                      "weights": {"POSE": 0.6, "IDENTITY": 1.0, "STYLE": 1.4, "DETAILS": 1.6, "CLIP": 1.0,
                                  "OTHER": 1.0}},
    "BALANCED": {"label": "Balanced Distribution",
                 "weights": {"POSE": 0.9, "IDENTITY": 1.1, "STYLE": 1.1, "DETAILS": 1.2, "CLIP": 1.0, "OTHER": 1.0}},
    "HEAVY_STYLE": {"label": "Heavy Style Transfer",
                    "weights": {"POSE": 0.4, "IDENTITY": 1.2, "STYLE": 1.6, "DETAILS": 1.8, "CLIP": 1.0,
                                "OTHER": 1.0}},
    "REALISM": {"label": "Realism Tweak",
                "weights": {"POSE": 1.0, "IDENTITY": 1.0, "STYLE": 1.05, "DETAILS": 1.1, "CLIP": 1.0, "OTHER": 1.0}},
}

# Every architecture with a block layout (presets weight blocks, so they need one).
PRESET_COMPATIBLE_ARCHS: list[str] = [arch for arch in A.ALL_ARCHITECTURES if arch in LAYOUTS]


def vectors_for_preset(arch: str, preset: str, blocks_present) -> dict[str, float]:
    """{block: value} of `preset` over `blocks_present` for a LoRA of `arch`.

    Only values differing from 1 by more than 0.001 are kept, rounded to 4 decimals (seed 004), so
    LINEAR gives {}. Tags come from the layout at the depth the present blocks imply (SD3 medium vs
    large). ValueError for an unknown preset (naming it and the known ones), an architecture without a
    block layout, or an invalid block id.
    """
    if preset not in PRESET_STRATEGIES:
        raise ValueError(f"unknown preset {preset!r}; known presets: {', '.join(PRESET_STRATEGIES)}")
    layout = layout_for(arch)
    if layout is None:
        raise ValueError(f"preset {preset}: architecture {arch!r} has no block layout "
                         f"(presets work for {', '.join(PRESET_COMPATIBLE_ARCHS)})")
    blocks = list(blocks_present)
    counts = infer_counts(layout, blocks)
    weights = PRESET_STRATEGIES[preset]["weights"]
    out: dict[str, float] = {}
    for block in blocks:
        value = weights[block_metadata(arch, block, counts)["tag"]]
        if abs(value - 1.0) > 0.001:
            out[block] = round(value, 4)
    return out
