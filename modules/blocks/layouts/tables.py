"""ARCH_BLOCK_MAPPINGS and BLOCK_GROUPS, built once from the layouts (served by /config as is).

ARCH_BLOCK_MAPPINGS[arch] = {"layout", "sections", "variants", "blocks": [{"id", "label", "group",
"tag", "section"}, ...]} listing, in editor order, the text-encoder layers, `base_embeds`, the main
stack of the largest variant, `base_head` and `other`. `group` is the id of the BLOCK_GROUPS entry the
block belongs to: the semantic groups POSE / IDENTITY / STYLE / DETAILS, plus CLIP (text encoders)
and OTHER (embeddings, head, unrecognised keys). `section` is the structural part (input, double...).
"""

from __future__ import annotations

from ...arch import ids as A
from .ids import block_label, split_block_id
from .layouts import CLIP, DETAILS, IDENTITY, LAYOUTS, OTHER, POSE, STYLE, Layout, block_tag, main_blocks

GROUP_NAMES = {
    POSE: "Structure / Pose", IDENTITY: "Concept / Identity", STYLE: "Style", DETAILS: "Details / Texture",
    CLIP: "Text encoders", OTHER: "Embeddings / Other",
}


def block_metadata(arch: str, block_id: str, counts: dict[str, int] | None = None) -> dict[str, str]:
    """{label, group, tag, section} of one block id for `arch` (any valid id, present in a table or not)."""
    section, _ = split_block_id(block_id)
    tag = block_tag(LAYOUTS.get(arch), block_id, counts)
    return {"label": block_label(block_id), "group": tag, "tag": tag, "section": section}


def _layout_ids(layout: Layout) -> list[str]:
    counts = dict(zip(layout.sections, layout.variants[-1], strict=True))
    ids = [f"{enc}_layer_{i}" for enc, n in layout.encoders for i in range(n)]
    ids += ["base_embeds", *main_blocks(layout, counts), "base_head", "other"]
    return ids


def _mapping(arch: str, layout: Layout) -> dict:
    return {
        "layout": layout.name,
        "sections": list(layout.sections),
        "variants": [dict(zip(layout.sections, v, strict=True)) for v in layout.variants],
        "blocks": [{"id": b, **block_metadata(arch, b)} for b in _layout_ids(layout)],
    }


ARCH_BLOCK_MAPPINGS: dict[str, dict] = {
    arch: _mapping(arch, LAYOUTS[arch]) for arch in A.ALL_ARCHITECTURES if arch in LAYOUTS
}

BLOCK_GROUPS: list[dict] = [
    {
        "id": tag,
        "name": GROUP_NAMES[tag],
        "blocks": {
            arch: [b["id"] for b in m["blocks"] if b["group"] == tag] for arch, m in ARCH_BLOCK_MAPPINGS.items()
        },
    }
    for tag in (POSE, IDENTITY, STYLE, DETAILS, CLIP, OTHER)
]
