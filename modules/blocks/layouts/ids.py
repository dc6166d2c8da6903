"""Block ids: their syntax, sections, labels and sort order.

- `input_N`, `middle_0`, `output_N`: LDM UNet blocks (`input_blocks.N`, the whole `middle_block`,
  `output_blocks.N`) of SD15/SD21/SDXL; kohya and diffusers names map to the LDM index they patch.
- `double_N`, `single_N`: double-/single-stream blocks of FLUX.1, FLUX.2, Chroma, HunyuanVideo,
  HiDream and AuraFlow (`double_layers`/`single_layers`).
- `joint_N`: SD3 MMDiT joint blocks (`joint_blocks.N` = diffusers `transformer_blocks.N`).
- `layers_N`: block N of a single-stack DiT: Lumina2/Z-Image `layers.N`, Wan `blocks.N`, Qwen-Image
  `transformer_blocks.N` (the seed also wrote `layers_N` for these).
- `noise_refiner_N`, `context_refiner_N`: Lumina2/Z-Image refiner blocks.
- `te_layer_N`: layer N of the only CLIP (SD15, SD21, FLUX.1, HunyuanVideo...).
- `te1_layer_N`, `te2_layer_N`: CLIP-L / CLIP-G layer N (kohya `lora_te1_`/`lora_te2_`) of SDXL, SD3.
- `t5_layer_N`: T5 encoder block N (FLUX.1, SD3).
- `te_other`, `te1_other`, `te2_other`, `t5_other`: text-encoder weights outside the layers.
- `base_embeds`: input-side non-block weights (time/label/text embeddings, patch embedders).
- `base_head`: output-side non-block weights (final layer, norm_out, UNet `out.*`).
- `other`: any key the layout does not recognise.

`middle_0` is the whole middle block (the seed wrote every middle sub-block as `middle_0`, and saved
workflows use that id). Block ids never change with the trainer's naming.
"""

from __future__ import annotations

import re

TEXT_ENCODERS = ("te", "te1", "te2", "t5")
BASE_BUCKETS = ("base_embeds", "base_head", "other")
INDEXED_SECTIONS = ("input", "middle", "output", "double", "single", "joint", "noise_refiner", "context_refiner",
                    "layers")

# Sections in the order a block editor lists them; `block_sort_key` sorts any block id with it.
BLOCK_ORDER: tuple[str, ...] = (
    "te", "te1", "te2", "t5", "base_embeds", "input", "middle", "output", "double", "single", "joint",
    "noise_refiner", "context_refiner", "layers", "base_head", "other",
)
_RANK = {section: i for i, section in enumerate(BLOCK_ORDER)}

_TE_LAYER = re.compile(r"^(te|te1|te2|t5)_layer_(\d+)$")
_TE_OTHER = re.compile(r"^(te|te1|te2|t5)_other$")
_INDEXED = re.compile(r"^(" + "|".join(INDEXED_SECTIONS) + r")_(\d+)$")

_LABEL_PREFIX = {
    "input": "IN", "middle": "MID", "output": "OUT", "double": "DOUBLE", "single": "SINGLE", "joint": "JOINT",
    "noise_refiner": "NOISE_REFINER", "context_refiner": "CONTEXT_REFINER", "layers": "LAYER",
}
_TE_LABEL = {"te": "TE", "te1": "TE1", "te2": "TE2", "t5": "T5"}
_BUCKET_LABEL = {"base_embeds": "BASE embeddings", "base_head": "BASE head", "other": "Other"}


def split_block_id(block_id: str) -> tuple[str, int | None]:
    """`(section, index)` of a block id; ValueError naming the id when it is not one."""
    if block_id in BASE_BUCKETS:
        return block_id, None
    m = _TE_LAYER.match(block_id) or _INDEXED.match(block_id)
    if m:
        return m.group(1), int(m.group(2))
    m = _TE_OTHER.match(block_id)
    if m:
        return m.group(1), None
    raise ValueError(f"unknown block id {block_id!r} (expected e.g. input_4, middle_0, double_3, te1_layer_5, other)")


def block_label(block_id: str) -> str:
    """Short human label: IN04, MID, OUT05, DOUBLE3, TE2 L5, T5 B3, BASE head."""
    section, index = split_block_id(block_id)
    if section in _BUCKET_LABEL:
        return _BUCKET_LABEL[section]
    if section in _TE_LABEL:
        if index is None:
            return f"{_TE_LABEL[section]} other"
        return f"{_TE_LABEL[section]} {'B' if section == 't5' else 'L'}{index}"
    if section == "middle":
        return "MID"
    if section in ("input", "output"):
        return f"{_LABEL_PREFIX[section]}{index:02d}"
    return f"{_LABEL_PREFIX[section]}{index}"


def block_sort_key(block_id: str) -> tuple[int, int]:
    """Sort key: section rank in BLOCK_ORDER, then the block index (non-indexed ids last in section)."""
    section, index = split_block_id(block_id)
    return _RANK[section], 10**6 if index is None else index


def sort_blocks(block_ids) -> list[str]:
    """Block ids in BLOCK_ORDER (te, te1, te2, t5, base_embeds, input..., layers, base_head, other)."""
    return sorted(block_ids, key=block_sort_key)
