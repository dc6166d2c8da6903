"""Block ids written by the seed's node that are not ids of this pack, resolved for saved workflows.

The seed wrote `clip_layer_N` for every text-encoder layer (SDXL's two encoders merged),
`clip_encoder` for other text-encoder keys, `specialized_embeds` for embeddings/final layers and
`misc` for the rest. A saved vector on such an id keeps its meaning by applying to every block it
covered.
"""

from __future__ import annotations

import re

from .ids import split_block_id
from .layouts import layout_for

_CLIP_LAYER = re.compile(r"^clip_layer_(\d+)$")


def _clip_encoders(arch: str) -> tuple[str, ...]:
    layout = layout_for(arch)
    if layout is None:
        return ("te", "te1", "te2")
    names = tuple(enc for enc, _ in layout.encoders if enc != "t5")
    return names or ("te",)


def resolve_block_id(arch: str, block_id: str) -> tuple[str, ...]:
    """The block ids `block_id` stands for in `arch`: itself, or the blocks a seed id covered.

    ValueError naming the id when it is neither.
    """
    if m := _CLIP_LAYER.match(block_id):
        return tuple(f"{enc}_layer_{int(m.group(1))}" for enc in _clip_encoders(arch))
    if block_id == "clip_encoder":
        return tuple(f"{enc}_other" for enc in _clip_encoders(arch))
    if block_id == "specialized_embeds":
        return ("base_embeds", "base_head")
    if block_id == "misc":
        return ("other",)
    split_block_id(block_id)
    return (block_id,)
