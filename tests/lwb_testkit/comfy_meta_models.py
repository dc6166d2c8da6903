"""ComfyUI's real model and text-encoder classes built on the `meta` device (no weights, no memory).

The state dict of a meta model has the real key names and shapes, which is all ComfyUI's LoRA key
mapping (`comfy.lora.model_lora_keys_unet` / `model_lora_keys_clip`) and shape checks need. The UNet
configs are the ones `comfy.model_detection` derives from the real checkpoints (SD1.5, SDXL base,
FLUX.1-dev, Chroma, SD3-medium, Wan 2.1 T2V 1.3B).

`comfy` is the namespace returned by `lwb_testkit.comfy_inprocess.load_comfy()`.
"""

from __future__ import annotations

import dataclasses
import importlib
from types import SimpleNamespace

import torch

META = torch.device("meta")

_UNET_CONFIGS: dict[str, dict] = {
    "SD15": {
        "use_checkpoint": False, "image_size": 32, "out_channels": 4, "use_spatial_transformer": True,
        "legacy": False, "adm_in_channels": None, "in_channels": 4, "model_channels": 320,
        "num_res_blocks": [2, 2, 2, 2], "transformer_depth": [1, 1, 1, 1, 1, 1, 0, 0], "channel_mult": [1, 2, 4, 4],
        "transformer_depth_middle": 1, "use_linear_in_transformer": False, "context_dim": 768, "num_heads": 8,
        "transformer_depth_output": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], "use_temporal_attention": False,
        "use_temporal_resblock": False,
    },
    "SDXL": {
        "use_checkpoint": False, "image_size": 32, "out_channels": 4, "use_spatial_transformer": True,
        "legacy": False, "num_classes": "sequential", "adm_in_channels": 2816, "in_channels": 4,
        "model_channels": 320, "num_res_blocks": [2, 2, 2], "transformer_depth": [0, 0, 2, 2, 10, 10],
        "channel_mult": [1, 2, 4], "transformer_depth_middle": 10, "use_linear_in_transformer": True,
        "context_dim": 2048, "num_head_channels": 64, "transformer_depth_output": [0, 0, 0, 2, 2, 2, 10, 10, 10],
        "use_temporal_attention": False, "use_temporal_resblock": False,
    },
    "FLUX.1": {
        "image_model": "flux", "in_channels": 16, "out_channels": 16, "vec_in_dim": 768, "context_in_dim": 4096,
        "hidden_size": 3072, "mlp_ratio": 4.0, "num_heads": 24, "depth": 19, "depth_single_blocks": 38,
        "axes_dim": [16, 56, 56], "theta": 10000, "patch_size": 2, "qkv_bias": True, "guidance_embed": True,
    },
    "CHROMA": {
        "image_model": "chroma", "in_channels": 16, "out_channels": 16, "context_in_dim": 4096,
        "hidden_size": 3072, "mlp_ratio": 4.0, "num_heads": 24, "depth": 19, "depth_single_blocks": 38,
        "axes_dim": [16, 56, 56], "theta": 10000, "patch_size": 2, "qkv_bias": True, "in_dim": 64,
        "out_dim": 3072, "hidden_dim": 5120, "n_layers": 5,
    },
    "SD3": {
        "in_channels": 16, "patch_size": 2, "out_channels": 16, "depth": 24, "input_size": None,
        "adm_in_channels": 2048, "pos_embed_scaling_factor": None, "num_patches": 36864, "pos_embed_max_size": 192,
        "context_embedder_config": {"target": "torch.nn.Linear", "params": {"in_features": 4096, "out_features": 1536}},
        "x_block_self_attn_layers": [],
    },
    "WAN": {
        "image_model": "wan2.1", "model_type": "t2v", "dim": 1536, "out_dim": 16, "num_heads": 12,
        "ffn_dim": 8960, "num_layers": 30, "patch_size": (1, 2, 2), "freq_dim": 256, "window_size": (-1, -1),
        "qk_norm": True, "cross_attn_norm": True, "eps": 1e-6, "in_dim": 16,
    },
}

META_ARCHS = tuple(_UNET_CONFIGS)


# Values ComfyUI 0.8.0's detection gives FLUX.1-dev and Chroma for params fields 0.3.75 does not have (or
# that 0.8.0 made required): `txt_ids_dims` is [] for both, Chroma has no `vector_in` so `vec_in_dim` is None.
_DETECTED_DEFAULTS = {"txt_ids_dims": [], "vec_in_dim": None}


def _unet_config(arch: str) -> dict:
    """The config of `arch` in the keys this ComfyUI's model classes take: required fields of the installed
    FLUX.1/Chroma params class that the config lacks get the value ComfyUI's own detection sets."""
    config = dict(_UNET_CONFIGS[arch])
    if arch in ("FLUX.1", "CHROMA"):
        module = importlib.import_module("comfy.ldm.flux.model" if arch == "FLUX.1" else "comfy.ldm.chroma.model")
        params_cls = module.FluxParams if arch == "FLUX.1" else module.ChromaParams
        for f in dataclasses.fields(params_cls):
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required and f.name not in config and f.name in _DETECTED_DEFAULTS:
                config[f.name] = _DETECTED_DEFAULTS[f.name]
    return config


def meta_model(comfy: SimpleNamespace, arch: str):
    """`comfy.model_base.BaseModel` subclass instance of `arch` with every parameter on `meta`."""
    if arch not in _UNET_CONFIGS:
        raise ValueError(f"no meta model config for {arch!r} (known: {', '.join(_UNET_CONFIGS)})")
    detection = importlib.import_module("comfy.model_detection")
    config = detection.model_config_from_unet_config(_unet_config(arch))
    if config is None:
        raise RuntimeError(f"{arch}: ComfyUI matched no supported model for the unet config")
    return config.get_model({}, device=META)


def meta_clip(comfy: SimpleNamespace, arch: str) -> torch.nn.Module | None:
    """The text-encoder module (`cond_stage_model`) ComfyUI builds for `arch`, on `meta`; None if only T5/UMT5."""
    if arch == "SD15":
        return comfy.sd1_clip.SD1ClipModel(device=META)
    if arch == "SDXL":
        return comfy.sdxl_clip.SDXLClipModel(device=META)
    if arch == "FLUX.1":
        return comfy.text_encoders.flux.FluxClipModel(device=META)
    if arch == "SD3":
        return comfy.text_encoders.sd3_clip.SD3ClipModel(clip_l=True, clip_g=True, t5=False, device=META)
    return None


def lora_key_map(comfy: SimpleNamespace, arch: str) -> tuple[dict, dict[str, torch.Size]]:
    """ComfyUI's LoRA key map for `arch` (model + text encoders, as `load_lora_for_models` builds it)
    and the shapes of every weight it can target."""
    model = meta_model(comfy, arch)
    key_map = comfy.lora.model_lora_keys_unet(model, {})
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    clip = meta_clip(comfy, arch)
    if clip is not None:
        key_map = comfy.lora.model_lora_keys_clip(clip, key_map)
        shapes.update({k: v.shape for k, v in clip.state_dict().items()})
    return key_map, shapes
