"""Checkpoint vs LoRA family comparison for `GET /mad-nodes/check-compatibility` (seed 004).

Both architectures are folded with `ids.base_family`, the rule the combiner and the library use too:
every SDXL lineage runs on any SDXL checkpoint. One deliberate difference from the seed: FLUX.2 stays
FLUX.2. The seed folded it into FLUX, which told users a FLUX.2 LoRA suits a FLUX.1 checkpoint; the two
models have different layers and such a LoRA does nothing there.
"""

from __future__ import annotations

from .ids import UNKNOWN, base_family


def compare(ckpt_arch: str, lora_arch: str, lora_missing: str | None = None) -> tuple[bool, str]:
    """(compatible, message); `lora_missing` explains why there is no LoRA architecture, if so."""
    if ckpt_arch == UNKNOWN:
        return False, "Cannot tell which model the checkpoint is, so compatibility is unknown."
    if lora_missing:
        return False, lora_missing
    if lora_arch == UNKNOWN:
        return False, "Cannot tell which model the LoRA was made for, so compatibility is unknown."
    ckpt_family, lora_family = base_family(ckpt_arch), base_family(lora_arch)
    if ckpt_family == lora_family:
        return True, ""
    return False, f"This LoRA is for {lora_family} ({lora_arch}), but the checkpoint is {ckpt_family} ({ckpt_arch})."
