"""The model weight (and row range of it) a LoRA module patches, spelled one way for every trainer.

Two LoRAs can only be compared weight by weight: `block_gram` pairs modules whose canonical target is
the same. Kohya, ComfyUI and BFL names differ only by prefix and "."/"_", which `normalise_module`
already removes. Diffusers names are translated to the ComfyUI model path with ComfyUI's own tables
(`comfy.utils.unet_to_diffusers`, `flux_to_diffusers`, `mmdit_to_diffusers`, `z_image_to_diffusers`),
including the q/k/v modules that patch a slice of a fused qkv weight: those get a row range in units
of the slice height (`to_k` of FLUX = rows [1H, 2H) of `img_attn.qkv`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...arch import ids as A
from ..layouts import ModulePath, block_of_module


@dataclass(frozen=True)
class Target:
    """`name`: canonical weight name. `units`: (start, length) of the patched rows in slice-height units,
    or None when the module patches the whole weight."""

    name: str
    units: tuple[int, int] | None = None


_RESNET = {"conv1": "in_layers_2", "conv2": "out_layers_3", "time_emb_proj": "emb_layers_1",
           "conv_shortcut": "skip_connection", "norm1": "in_layers_0", "norm2": "out_layers_0"}
_SD_BASIC = {"conv_in": "input_blocks_0_0", "time_embedding_linear_1": "time_embed_0",
             "time_embedding_linear_2": "time_embed_2", "add_embedding_linear_1": "label_emb_0_0",
             "add_embedding_linear_2": "label_emb_0_2", "class_embedding_linear_1": "label_emb_0_0",
             "class_embedding_linear_2": "label_emb_0_2", "conv_norm_out": "out_0", "conv_out": "out_2"}
_SD_PART = re.compile(r"^(down|up)_blocks_(\d+)_(attentions|resnets|downsamplers|upsamplers)_(\d+)_?(.*)$")
_SD_MID = re.compile(r"^mid_block_(attentions|resnets)_(\d+)_?(.*)$")


def _resnet(rest: str) -> str:
    for name, ldm in _RESNET.items():
        if rest == name or rest.startswith(name + "_"):
            return ldm + rest[len(name):]
    return rest


def _sd_target(arch: str, path: str) -> str:
    if path in _SD_BASIC:
        return _SD_BASIC[path]
    if m := _SD_MID.match(path):
        kind, j, rest = m.group(1), int(m.group(2)), m.group(3)
        return f"middle_block_1_{rest}" if kind == "attentions" else f"middle_block_{2 * j}_{_resnet(rest)}"
    m = _SD_PART.match(path)
    if not m:
        return path
    side, x, kind, i, rest = m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), m.group(5)
    if side == "down":
        if kind == "downsamplers":
            return f"input_blocks_{3 * x + 3}_0_op"
        n = 3 * x + 1 + i
        return f"input_blocks_{n}_1_{rest}" if kind == "attentions" else f"input_blocks_{n}_0_{_resnet(rest)}"
    if kind == "upsamplers":
        no_attention = x == (2 if A.base_family(arch) == A.SDXL else 0)
        return f"output_blocks_{3 * x + 2}_{1 if no_attention else 2}_conv"
    n = 3 * x + i
    return f"output_blocks_{n}_1_{rest}" if kind == "attentions" else f"output_blocks_{n}_0_{_resnet(rest)}"


_QKV = {"to_q": 0, "to_k": 1, "to_v": 2}
_FLUX_DOUBLE = {"attn_to_out_0": "img_attn_proj", "attn_to_add_out": "txt_attn_proj", "ff_net_0_proj": "img_mlp_0",
                "ff_net_2": "img_mlp_2", "ff_context_net_0_proj": "txt_mlp_0", "ff_context_net_2": "txt_mlp_2",
                "norm1_linear": "img_mod_lin", "norm1_context_linear": "txt_mod_lin"}
_FLUX_BASIC = {"x_embedder": "img_in", "context_embedder": "txt_in", "proj_out": "final_layer_linear",
               "norm_out_linear": "final_layer_adaLN_modulation_1",
               "time_text_embed_timestep_embedder_linear_1": "time_in_in_layer",
               "time_text_embed_timestep_embedder_linear_2": "time_in_out_layer",
               "time_text_embed_text_embedder_linear_1": "vector_in_in_layer",
               "time_text_embed_text_embedder_linear_2": "vector_in_out_layer",
               "time_text_embed_guidance_embedder_linear_1": "guidance_in_in_layer",
               "time_text_embed_guidance_embedder_linear_2": "guidance_in_out_layer"}
_HYVID = (("_mod_linear", "_mod_lin"), ("mlp_fc1", "mlp_0"), ("mlp_fc2", "mlp_2"),
          ("modulation_linear", "modulation_lin"))
_BLOCK = re.compile(r"^([a-z_]*?blocks|layers)_(\d+)_(.*)$")


def _flux_target(arch: str, path: str) -> Target:
    if path in _FLUX_BASIC:
        return Target(_FLUX_BASIC[path])
    m = _BLOCK.match(path)
    if not m:
        return Target(path)
    family, n, rest = m.group(1), m.group(2), m.group(3)
    if family == "transformer_blocks":
        if rest.startswith("attn_add_") and rest[len("attn_add_"):-len("_proj")] in ("q", "k", "v"):
            return Target(f"double_blocks_{n}_txt_attn_qkv", (_QKV["to_" + rest[9]], 1))
        if rest.startswith("attn_") and rest[5:] in _QKV:
            return Target(f"double_blocks_{n}_img_attn_qkv", (_QKV[rest[5:]], 1))
        return Target(f"double_blocks_{n}_{_FLUX_DOUBLE.get(rest, rest)}")
    if family == "single_transformer_blocks":
        if rest.startswith("attn_") and rest[5:] in _QKV:
            return Target(f"single_blocks_{n}_linear1", (_QKV[rest[5:]], 1))
        if rest == "proj_mlp":
            return Target(f"single_blocks_{n}_linear1", (3, 4))
        return Target(f"single_blocks_{n}_" + {"proj_out": "linear2", "norm_linear": "modulation_lin"}.get(rest, rest))
    if family == "single_blocks" and rest == "linear1_qkv":
        return Target(f"single_blocks_{n}_linear1", (0, 3))
    if arch == A.HUNYUAN_VIDEO:
        for old, new in _HYVID:
            rest = rest.replace(old, new)
    return Target(f"{family}_{n}_{rest}")


_SD3_BLOCK = {"attn_to_out_0": "x_block_attn_proj", "attn_to_add_out": "context_block_attn_proj",
              "ff_net_0_proj": "x_block_mlp_fc1", "ff_net_2": "x_block_mlp_fc2",
              "ff_context_net_0_proj": "context_block_mlp_fc1", "ff_context_net_2": "context_block_mlp_fc2",
              "norm1_linear": "x_block_adaLN_modulation_1", "norm1_context_linear": "context_block_adaLN_modulation_1",
              "attn2_to_out_0": "x_block_attn2_proj"}


def _sd3_target(path: str) -> Target:
    m = re.match(r"^transformer_blocks_(\d+)_(.*)$", path)
    if not m:
        return Target(path)
    n, rest = m.group(1), m.group(2)
    for attn, side in (("attn_", "x_block_attn"), ("attn2_", "x_block_attn2")):
        if rest.startswith(attn) and rest[len(attn):] in _QKV:
            return Target(f"joint_blocks_{n}_{side}_qkv", (_QKV[rest[len(attn):]], 1))
    if rest.startswith("attn_add_") and rest.endswith("_proj") and rest[9] in "qkv":
        return Target(f"joint_blocks_{n}_context_block_attn_qkv", (_QKV["to_" + rest[9]], 1))
    return Target(f"joint_blocks_{n}_{_SD3_BLOCK.get(rest, rest)}")


def _lumina_target(path: str) -> Target:
    m = re.match(r"^((?:layers|noise_refiner|context_refiner)_\d+)_attention_(to_q|to_k|to_v|to_out_0)$", path)
    if not m:
        return Target(path)
    if m.group(2) == "to_out_0":
        return Target(f"{m.group(1)}_attention_out")
    return Target(f"{m.group(1)}_attention_qkv", (_QKV[m.group(2)], 1))


def target_of_module(arch: str, module: ModulePath) -> Target:
    """Canonical target of a normalised module (see module docstring)."""
    if module.scope != "model":
        encoder = block_of_module(arch, module).split("_", 1)[0]
        return Target(f"{encoder}:{module.path.removeprefix('transformer_')}")
    family = A.key_family(arch)
    if family in (A.SD15, A.SD21, A.SDXL):
        return Target(_sd_target(arch, module.path))
    if family in (A.FLUX1, A.FLUX2, A.CHROMA, A.HUNYUAN_VIDEO):
        return _flux_target(arch, module.path)
    if family == A.SD3:
        return _sd3_target(module.path)
    if family == A.LUMINA2:
        return _lumina_target(module.path)
    return Target(module.path)
