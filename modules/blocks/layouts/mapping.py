"""`block_of_key(arch, key)`: the one block id a LoRA tensor key belongs to.

The key is first reduced to its module (`module_of_key`) and its trainer prefix stripped
(`normalise_module`), so kohya, diffusers/PEFT, BFL, OneTrainer, SimpleTuner and ComfyUI spellings of
one layer give the same block. The index arithmetic is ComfyUI's own (`comfy.utils.unet_to_diffusers`,
`flux_to_diffusers`, `mmdit_to_diffusers`, `auraflow_to_diffusers`, `z_image_to_diffusers`):

- SD1.x/SDXL diffusers: `down_blocks.x.(resnets|attentions).i` -> `input_(3x+1+i)`,
  `down_blocks.x.downsamplers` -> `input_(3x+3)`, `mid_block.*` -> `middle_0`,
  `up_blocks.x.(resnets|attentions).i` -> `output_(3x+i)`, `up_blocks.x.upsamplers` -> `output_(3x+2)`,
  `conv_in` -> `input_0`. A transformer's `proj_in`/`proj_out` stay in their block.
- FLUX-like diffusers: `transformer_blocks.N` -> `double_N`, `single_transformer_blocks.N` -> `single_N`
  (its `proj_out` is `single_blocks.N.linear2`); the top-level `proj_out` is the final layer.
- SD3 diffusers `transformer_blocks.N` -> `joint_N`; AuraFlow `joint_transformer_blocks.N` /
  `double_layers.N` -> `double_N`, `single_transformer_blocks.N` / `single_layers.N` -> `single_N`;
  Qwen `transformer_blocks.N`, Wan `blocks.N`, Lumina `layers.N` -> `layers_N`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from ...arch import ids as A
from .keys import ModulePath, module_of_key, normalise_module
from .layouts import layout_for
from .text_encoders import text_encoder_block


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_SD_DOWN = _rx(r"^down_blocks_(\d+)_(attentions|resnets)_(\d+)(?:_|$)")
_SD_DOWNSAMPLE = _rx(r"^down_blocks_(\d+)_downsamplers_")
_SD_UP = _rx(r"^up_blocks_(\d+)_(attentions|resnets)_(\d+)(?:_|$)")
_SD_UPSAMPLE = _rx(r"^up_blocks_(\d+)_upsamplers_")
_LDM_IN = _rx(r"^input_blocks_(\d+)(?:_|$)")
_LDM_OUT = _rx(r"^output_blocks_(\d+)(?:_|$)")
_SD_EMBEDS = _rx(r"^(time_embed|time_embedding|label_emb|add_embedding|class_embedding)(?:_|$)")
_SD_HEAD = _rx(r"^(out_\d|conv_out|conv_norm_out)(?:_|$)")


def _sd_block(path: str) -> str:
    if m := _LDM_IN.match(path):
        return f"input_{int(m.group(1))}"
    if path == "middle_block" or path.startswith(("middle_block_", "mid_block_")):
        return "middle_0"
    if m := _LDM_OUT.match(path):
        return f"output_{int(m.group(1))}"
    if m := _SD_DOWN.match(path):
        return f"input_{3 * int(m.group(1)) + 1 + int(m.group(3))}"
    if m := _SD_DOWNSAMPLE.match(path):
        return f"input_{3 * int(m.group(1)) + 3}"
    if m := _SD_UP.match(path):
        return f"output_{3 * int(m.group(1)) + int(m.group(3))}"
    if m := _SD_UPSAMPLE.match(path):
        return f"output_{3 * int(m.group(1)) + 2}"
    if path == "conv_in" or path.startswith("conv_in_"):
        return "input_0"
    if _SD_EMBEDS.match(path):
        return "base_embeds"
    if _SD_HEAD.match(path):
        return "base_head"
    return "other"


def _dit(blocks: list[tuple[str, str]], embeds: str, head: str) -> Callable[[str], str]:
    """A mapper from (regex with one index group, section) rules plus embed/head prefix lists."""
    rules = [(_rx(rf"^{pattern}_(\d+)(?:_|$)"), section) for pattern, section in blocks]
    embeds_rx = _rx(rf"^({embeds})(?:_|$)")
    head_rx = _rx(rf"^({head})(?:_|$)")

    def block(path: str) -> str:
        for rx, section in rules:
            if m := rx.match(path):
                return f"{section}_{int(m.group(1))}"
        if embeds_rx.match(path):
            return "base_embeds"
        if head_rx.match(path):
            return "base_head"
        return "other"

    return block


_FLUX_EMBEDS = ("img_in|txt_in|time_in|vector_in|guidance_in|x_embedder|context_embedder|time_text_embed|"
                "pos_embed_input|controlnet_x_embedder|distilled_guidance_layer|double_stream_modulation_img|"
                "double_stream_modulation_txt|single_stream_modulation|txt_norm|byt5_in|cond_type_embedding")
_flux_block = _dit([("double_blocks", "double"), ("single_blocks", "single"),
                    ("single_transformer_blocks", "single"), ("transformer_blocks", "double")],
                   _FLUX_EMBEDS, "final_layer|norm_out|proj_out")
_hidream_block = _dit([("double_stream_blocks", "double"), ("single_stream_blocks", "single")],
                      "t_embedder|p_embedder|x_embedder|pe_embedder|caption_projection", "final_layer")
_aura_block = _dit([("double_layers", "double"), ("joint_transformer_blocks", "double"),
                    ("single_layers", "single"), ("single_transformer_blocks", "single")],
                   "t_embedder|cond_seq_linear|init_x_linear|positional_encoding|register_tokens|time_step_proj|"
                   "context_embedder|pos_embed", "final_linear|modF|proj_out|norm_out")
_sd3_block = _dit([("joint_blocks", "joint"), ("transformer_blocks", "joint")],
                  "x_embedder|context_embedder|t_embedder|y_embedder|pos_embed|time_text_embed",
                  "final_layer|norm_out|proj_out")
_lumina_block = _dit([("layers", "layers"), ("noise_refiner", "noise_refiner"), ("context_refiner", "context_refiner")],
                     "x_embedder|all_x_embedder|cap_embedder|t_embedder", "final_layer|all_final_layer|norm_final")
_qwen_block = _dit([("transformer_blocks", "layers")], "img_in|txt_in|txt_norm|time_text_embed",
                   "norm_out|proj_out")
_wan_block = _dit([("blocks", "layers")],
                  "patch_embedding|text_embedding|time_embedding|time_projection|img_emb", "head")
# UNKNOWN: only the unambiguous families; `transformer_blocks` means different things per model.
_generic_block = _dit([("double_blocks", "double"), ("single_blocks", "single"), ("joint_blocks", "joint"),
                       ("layers", "layers"), ("blocks", "layers")], "time_embed|label_emb|img_in|txt_in",
                      "final_layer|norm_out")


def _unknown_block(path: str) -> str:
    sd = _sd_block(path)
    if sd.startswith(("input_", "middle_", "output_")) and not path.startswith("conv_in"):
        return sd
    return _generic_block(path)


_MODEL_MAPPERS: dict[str, Callable[[str], str]] = {
    A.SD15: _sd_block, A.SD21: _sd_block, A.SDXL: _sd_block,
    A.FLUX1: _flux_block, A.FLUX2: _flux_block, A.CHROMA: _flux_block, A.HUNYUAN_VIDEO: _flux_block,
    A.HIDREAM: _hidream_block, A.AURAFLOW: _aura_block, A.SD3: _sd3_block,
    A.LUMINA2: _lumina_block, A.ZIMAGE: _lumina_block, A.QWEN_IMAGE: _qwen_block, A.WAN: _wan_block,
}


def block_of_module(arch: str, module: ModulePath) -> str:
    """Block id of a normalised module (see block_of_key)."""
    family = A.base_family(arch) if arch in A.SDXL_LINEAGES else arch
    if module.scope != "model":
        layout = layout_for(family)
        return text_encoder_block(module, dual_clip=bool(layout and layout.dual_clip), known=layout is not None)
    return _MODEL_MAPPERS.get(family, _unknown_block)(module.path)


@functools.lru_cache(maxsize=1 << 16)  # bounded, thread-safe; see `module_of_key`
def block_of_key(arch: str, key: str) -> str:
    """The block id of tensor `key` of a LoRA for `arch` (always one id; `other` when unrecognised)."""
    module, _part = module_of_key(key)
    return block_of_module(arch, normalise_module(module))
