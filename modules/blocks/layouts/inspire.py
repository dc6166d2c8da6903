"""Slots of the Inspire Pack "LoRA Loader (Block Weight)" vector for one LoRA.

Inspire (`inspire/lora_block_weight.py:load_lbw`, see reference/block-weight-formats.md section 0 and
1.3) strips `diffusion_model.` from each ComfyUI model key the LoRA patches, keeps the keys under
`input_blocks.` / `middle_block.` / `output_blocks.` / `double_blocks.` / `single_blocks.`, orders them
family by family (in, mid, out, double, single) and by block number, and opens a new slot whenever the
block number differs from the previous key's. Everything else is BASE, slot 0. So the slot list is
BASE + one slot per distinct model block present, where consecutive families whose boundary numbers
are equal share one slot (Inspire's quirk, reproduced). Middle sub-blocks are distinct slots there
(`middle_block.0/1/2`) although our block id for all of them is `middle_0`.

Only families whose *ComfyUI model keys* use those names get slots: SD1.x/SDXL (UNet) and the
FLUX-like models with `double_blocks`/`single_blocks` (FLUX.1, FLUX.2, Chroma, HunyuanVideo). SD3,
Wan, Qwen, Lumina, HiDream and AuraFlow LoRAs are BASE only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...arch import ids as A
from .keys import module_of_key, normalise_module
from .mapping import block_of_module

_FAMILY_ORDER = {"input": 0, "middle": 1, "output": 2, "double": 3, "single": 4}
_FAMILY_LABEL = {"input": "IN", "middle": "MID", "output": "OUT", "double": "DOUBLE", "single": "SINGLE"}
_SD_FAMILIES = {A.SD15, A.SD21, A.SDXL, *A.SDXL_LINEAGES}
_DOUBLE_SINGLE = {A.FLUX1, A.FLUX2, A.CHROMA, A.HUNYUAN_VIDEO}

_LDM_MIDDLE = re.compile(r"^middle_block_(\d+)(?:_|$)")
_DIFF_MID_RESNET = re.compile(r"^mid_block_resnets_(\d+)(?:_|$)")


@dataclass(frozen=True)
class InspireSlot:
    """One position of the vector: its label (BASE, IN04, MID1, OUT00, DOUBLE3, SINGLE0; shared slots
    join labels with '+') and the block ids whose keys it weights."""

    label: str
    blocks: tuple[str, ...]


def _model_block(arch: str, key: str) -> tuple[str, int, str] | None:
    """(family, model block number, our block id) of a key Inspire gives a slot, else None (BASE)."""
    module = normalise_module(module_of_key(key)[0])
    if module.scope != "model":
        return None
    block = block_of_module(arch, module)
    family, _, number = block.rpartition("_")
    if family not in _FAMILY_ORDER:
        return None
    if family == "middle":
        if m := _LDM_MIDDLE.match(module.path):
            return family, int(m.group(1)), block
        if m := _DIFF_MID_RESNET.match(module.path):
            return family, 2 * int(m.group(1)), block
        return family, 1, block  # mid_block.attentions.0 -> middle_block.1
    return family, int(number), block


def inspire_slots(arch: str, keys) -> list[InspireSlot]:
    """The slots of this LoRA's Inspire block vector, BASE first (see module docstring)."""
    if arch not in _SD_FAMILIES and arch not in _DOUBLE_SINGLE:
        return [InspireSlot("BASE", ())]
    present: dict[tuple[int, int], tuple[str, str]] = {}
    for key in keys:
        found = _model_block(arch, key)
        if found:
            family, number, block = found
            present[(_FAMILY_ORDER[family], number)] = (family, block)
    slots = [InspireSlot("BASE", ())]
    previous = None
    for (_, number), (family, block) in sorted(present.items()):
        label = f"{_FAMILY_LABEL[family]}{number:02d}" if family in ("input", "output") else (
            f"{_FAMILY_LABEL[family]}{number}")
        if number == previous:
            last = slots[-1]
            blocks = last.blocks if block in last.blocks else (*last.blocks, block)
            slots[-1] = InspireSlot(f"{last.label}+{label}", blocks)
        else:
            slots.append(InspireSlot(label, (block,)))
        previous = number
    return slots


def inspire_block_slots(arch: str, keys) -> list[str]:
    """Per slot of the Inspire vector, BASE first: "BASE", then the block id it weights.

    A block id can repeat (SD LoCon middle sub-blocks are three slots of `middle_0`); a slot shared by
    two blocks (Inspire's equal-number quirk) gives the first block's id: `inspire_slots` has both.
    """
    return ["BASE"] + [slot.blocks[0] for slot in inspire_slots(arch, keys)[1:]]
