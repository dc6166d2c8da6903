"""Per-architecture block layouts: which block ids exist, their order and their semantic tag.

A layout lists its *main stack* (the diffusion-model blocks in the order the model runs them) as
sections with a block count per known model variant (SD3 medium 24 / large 38 joint blocks, Wan
1.3B 30 / 14B 40 blocks, FLUX.2 dev / klein ...). Tags depend on the depth, so they are computed for the
smallest variant that holds the blocks a LoRA has (`infer_counts`).

Semantic tags (seed 004): POSE (structure), IDENTITY (concept), STYLE (art), DETAILS (texture), plus
CLIP for text-encoder blocks and OTHER for the base buckets. The thresholds are the seed's where it had
them (SD1.x/SDXL tables, FLUX double 0-10 / single 0-20, SD3 quarters, generic 0.30/0.60/0.80), now
scaled to each model's real depth instead of fixed block numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...arch import ids as A
from .ids import split_block_id

POSE, IDENTITY, STYLE, DETAILS, CLIP, OTHER = "POSE", "IDENTITY", "STYLE", "DETAILS", "CLIP", "OTHER"
TAGS = (POSE, IDENTITY, STYLE, DETAILS, CLIP, OTHER)


@dataclass(frozen=True)
class Layout:
    """`sections`: main-stack sections in run order. `variants`: per variant, a block count per section,
    smallest first (the last one is listed in ARCH_BLOCK_MAPPINGS). `kind` selects the tag rule.
    `encoders`: the text encoders of the family with their layer counts."""

    name: str
    kind: str  # "sd15", "sdxl", "dual" (double/single), "joint", "sequential"
    sections: tuple[str, ...]
    variants: tuple[tuple[int, ...], ...]
    encoders: tuple[tuple[str, int], ...] = ()
    dual_clip: bool = False  # two CLIP encoders (te1/te2) rather than one (te)


SD15_LAYOUT = Layout("sd_unet_12", "sd15", ("input", "middle", "output"), ((12, 1, 12),), (("te", 12),))
SD21_LAYOUT = Layout("sd_unet_12", "sd15", ("input", "middle", "output"), ((12, 1, 12),), (("te", 24),))
SDXL_LAYOUT = Layout("sdxl_unet_9", "sdxl", ("input", "middle", "output"), ((9, 1, 9),),
                     (("te1", 12), ("te2", 32)), dual_clip=True)
FLUX1_LAYOUT = Layout("flux_19_38", "dual", ("double", "single"), ((19, 38),), (("te", 12), ("t5", 24)))
CHROMA_LAYOUT = Layout("flux_19_38", "dual", ("double", "single"), ((19, 38),), (("t5", 24),))
FLUX2_LAYOUT = Layout("flux2", "dual", ("double", "single"), ((5, 20), (6, 24), (8, 48)))
HYVID_LAYOUT = Layout("hunyuan_video_20_40", "dual", ("double", "single"), ((20, 40),), (("te", 12),))
HIDREAM_LAYOUT = Layout("hidream_16_32", "dual", ("double", "single"), ((16, 32),))
AURA_LAYOUT = Layout("auraflow_4_32", "dual", ("double", "single"), ((4, 32),))
SD3_LAYOUT = Layout("sd3_joint", "joint", ("joint",), ((24,), (38,)), (("te1", 12), ("te2", 32), ("t5", 24)),
                    dual_clip=True)
LUMINA_LAYOUT = Layout("lumina2_26", "sequential", ("noise_refiner", "context_refiner", "layers"), ((2, 2, 26),))
ZIMAGE_LAYOUT = Layout("zimage_30", "sequential", ("noise_refiner", "context_refiner", "layers"), ((2, 2, 30),))
QWEN_LAYOUT = Layout("qwen_image_60", "sequential", ("layers",), ((60,),))
WAN_LAYOUT = Layout("wan_blocks", "sequential", ("layers",), ((30,), (40,)))

LAYOUTS: dict[str, Layout] = {
    A.SD15: SD15_LAYOUT, A.SD21: SD21_LAYOUT, A.SDXL: SDXL_LAYOUT,
    **{lineage: SDXL_LAYOUT for lineage in A.SDXL_LINEAGES},
    A.FLUX1: FLUX1_LAYOUT, A.FLUX2: FLUX2_LAYOUT, A.CHROMA: CHROMA_LAYOUT, A.HUNYUAN_VIDEO: HYVID_LAYOUT,
    A.HIDREAM: HIDREAM_LAYOUT, A.AURAFLOW: AURA_LAYOUT, A.SD3: SD3_LAYOUT, A.LUMINA2: LUMINA_LAYOUT,
    A.ZIMAGE: ZIMAGE_LAYOUT, A.QWEN_IMAGE: QWEN_LAYOUT, A.WAN: WAN_LAYOUT,
}


def layout_for(arch: str) -> Layout | None:
    """The layout of `arch`, or None for UNKNOWN / unrecognised strings (no blocks to weight)."""
    return LAYOUTS.get(arch)


def infer_counts(layout: Layout, block_ids) -> dict[str, int]:
    """Block count per main section: the smallest variant holding every index present.

    An index beyond every known variant extends that section (count = index + 1), never drops it.
    """
    highest: dict[str, int] = {}
    for block_id in block_ids:
        section, index = split_block_id(block_id)
        if section in layout.sections and index is not None:
            highest[section] = max(highest.get(section, -1), index)
    for variant in layout.variants:
        counts = dict(zip(layout.sections, variant, strict=True))
        if all(highest.get(s, -1) < counts[s] for s in layout.sections):
            return counts
    counts = dict(zip(layout.sections, layout.variants[-1], strict=True))
    return {s: max(counts[s], highest.get(s, -1) + 1) for s in layout.sections}


def main_blocks(layout: Layout, counts: dict[str, int]) -> list[str]:
    """The main-stack block ids in run order (middle is the single `middle_0`)."""
    out: list[str] = []
    for section in layout.sections:
        n = 1 if section == "middle" else counts[section]
        out.extend(f"{section}_{i}" for i in range(n))
    return out


def _by_ratio(ratio: float) -> str:
    if ratio < 0.30:
        return POSE
    if ratio < 0.60:
        return IDENTITY
    if ratio < 0.80:
        return STYLE
    return DETAILS


def block_tag(layout: Layout | None, block_id: str, counts: dict[str, int] | None = None) -> str:
    """Semantic tag of one block id in `layout` (None layout: CLIP/OTHER, main-stack ids by position)."""
    section, index = split_block_id(block_id)
    if section in ("te", "te1", "te2", "t5"):
        return CLIP
    if section in ("base_embeds", "base_head", "other") or index is None:
        return OTHER
    if layout is None or section not in layout.sections:
        return OTHER
    counts = counts or dict(zip(layout.sections, layout.variants[-1], strict=True))
    if layout.kind == "sd15":
        if section == "input":
            return POSE if index <= 8 else IDENTITY
        if section == "middle":
            return IDENTITY
        return IDENTITY if index <= 2 else STYLE if index <= 8 else DETAILS
    if layout.kind == "sdxl":
        if section == "input":
            return POSE
        if section == "middle":
            return IDENTITY
        return IDENTITY if index <= 2 else STYLE if index <= 5 else DETAILS
    if layout.kind == "dual":
        if section == "double":
            return POSE if index < round(0.58 * counts["double"]) else IDENTITY
        return STYLE if index < round(0.55 * counts["single"]) else DETAILS
    if layout.kind == "joint":
        return (POSE, IDENTITY, STYLE, DETAILS)[min(3, 4 * index // max(1, counts["joint"]))]
    # sequential: refiners run before the main layers and shape the input -> POSE.
    if section != "layers":
        return POSE
    return _by_ratio(index / max(1, counts["layers"]))
