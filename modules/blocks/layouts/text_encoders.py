"""Text-encoder block ids: one block per encoder layer, the encoders kept apart.

The encoder is taken from the key prefix (`lora_te1_` / `text_encoder` = CLIP-L in SDXL and SD3,
`lora_te2_` / `text_encoder_2` = CLIP-G) and from the content for T5 (`encoder_block_N`), because
OneTrainer writes FLUX's T5 as `lora_te2_` and ComfyUI maps `lora_te3_` for it too. Families with a
single CLIP (SD1.x, SD2.x, FLUX, HunyuanVideo) call it `te`; SDXL and SD3 call their two `te1`/`te2`.
"""

from __future__ import annotations

import re

from .keys import ModulePath

_CLIP_LAYER = re.compile(r"(?:^|_)encoder_layers_(\d+)_")
_T5_BLOCK = re.compile(r"(?:^|_)encoder_block_(\d+)_")
_ANY_LAYER = re.compile(r"(?:^|_)(?:layers|layer|blocks|block|h)_(\d+)_")


def _encoder(token: str, dual_clip: bool, known: bool) -> str:
    if token == "t5":
        return "t5"
    if not known:  # UNKNOWN architecture: keep the trainer's numbering apart, never merge.
        return {"clip_l": "te1", "clip_g": "te2", "te3": "t5"}.get(token, token)
    if dual_clip:
        return {"te": "te1", "clip_l": "te1", "te1": "te1", "clip_g": "te2", "te2": "te2"}.get(token, "t5")
    return "t5" if token == "te3" else "te"


def text_encoder_block(module: ModulePath, dual_clip: bool, known: bool = True) -> str:
    """`te*_layer_N`, `t5_layer_N` or `te*_other` for a text-encoder module."""
    path = module.path
    if m := _T5_BLOCK.search(path):
        return f"t5_layer_{int(m.group(1))}"
    encoder = _encoder(module.scope, dual_clip, known)
    m = _CLIP_LAYER.search(path) or (None if encoder == "t5" else _ANY_LAYER.search(path))
    if m:
        return f"{encoder}_layer_{int(m.group(1))}"
    return f"{encoder}_other"
