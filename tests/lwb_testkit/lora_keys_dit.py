"""Layer tables of the DiT architectures: FLUX.1, Chroma, SD3 (medium) and Wan 2.1 (1.3B).

Paths are ComfyUI's module paths under `diffusion_model.`; `diffusers=` names the module a diffusers
trainer writes (`comfy.utils.flux_to_diffusers` / `mmdit_to_diffusers` are the reverse maps). The
`compact` module set keeps one or two small layers per block so a file stays a few MB while every
block of the model is still present; `all` is every linear layer a trainer usually targets.
"""

from __future__ import annotations

from .lora_keys import ALL, CLIP_G, CLIP_L, COMFY, DIFFUSERS, KOHYA, ArchKeys, Layer, TextEncoder, fused


def _dit_name(layer: Layer, naming: str) -> str:
    if naming == KOHYA:
        return "lora_unet_" + layer.path.replace(".", "_")
    if naming == COMFY:
        return f"diffusion_model.{layer.path}"
    return f"transformer.{layer.diffusers or layer.path}"


def _pick(layers: list[Layer], module_set: str, compact: set[str]) -> list[Layer]:
    if module_set == ALL:
        return layers
    return [layer for layer in layers if layer.path.split(".", 2)[2] in compact]


# ---- FLUX.1 / Chroma ------------------------------------------------------------------------------

FLUX_HIDDEN = 3072


def _flux_double(i: int, modulation: bool) -> list[Layer]:
    h, p, block = FLUX_HIDDEN, f"double_blocks.{i}", f"double_blocks.{i}"
    d = f"transformer_blocks.{i}"
    out: list[Layer] = []
    for side, dmod, dq, dout, dff in (
        ("img", "norm1", ("attn.to_q", "attn.to_k", "attn.to_v"), "attn.to_out.0", "ff"),
        ("txt", "norm1_context", ("attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj"), "attn.to_add_out",
         "ff_context"),
    ):
        if modulation:
            out.append(Layer(f"{p}.{side}_mod.lin", (6 * h, h), block, diffusers=f"{d}.{dmod}.linear"))
        out += fused(f"{p}.{side}_attn.qkv", (3 * h, h), block, [(f"{d}.{q}", h) for q in dq])
        out.append(Layer(f"{p}.{side}_attn.proj", (h, h), block, diffusers=f"{d}.{dout}"))
        out.append(Layer(f"{p}.{side}_mlp.0", (4 * h, h), block, diffusers=f"{d}.{dff}.net.0.proj"))
        out.append(Layer(f"{p}.{side}_mlp.2", (h, 4 * h), block, diffusers=f"{d}.{dff}.net.2"))
    return out


def _flux_single(i: int, modulation: bool) -> list[Layer]:
    h, p = FLUX_HIDDEN, f"single_blocks.{i}"
    d = f"single_transformer_blocks.{i}"
    out = fused(f"{p}.linear1", (7 * h, h), p,
                [(f"{d}.attn.to_q", h), (f"{d}.attn.to_k", h), (f"{d}.attn.to_v", h), (f"{d}.proj_mlp", 4 * h)])
    out.append(Layer(f"{p}.linear2", (h, 5 * h), p, diffusers=f"{d}.proj_out"))
    if modulation:
        out.append(Layer(f"{p}.modulation.lin", (3 * h, h), p, diffusers=f"{d}.norm.linear"))
    return out


def flux_layers(module_set: str, conv: bool = False, modulation: bool = True) -> list[Layer]:
    layers = [x for i in range(19) for x in _flux_double(i, modulation)]
    layers += [x for i in range(38) for x in _flux_single(i, modulation)]
    compact = {"img_attn.proj", "txt_attn.proj", "modulation.lin" if modulation else "linear2"}
    return _pick(layers, module_set, compact)


FLUX_KEYS = ArchKeys(
    arch="FLUX.1",
    namings=(KOHYA, DIFFUSERS, COMFY),
    layers=flux_layers,
    unet_name=_dit_name,
    text_encoders=(TextEncoder(label="te1", diffusers_prefix="text_encoder", **CLIP_L),),
)

CHROMA_KEYS = ArchKeys(
    arch="CHROMA",
    namings=(KOHYA, DIFFUSERS, COMFY),
    layers=lambda module_set, conv: flux_layers(module_set, conv, modulation=False),
    unet_name=_dit_name,
)

# ---- SD3 medium -----------------------------------------------------------------------------------

SD3_HIDDEN = 1536
SD3_DEPTH = 24


def sd3_layers(module_set: str, conv: bool = False) -> list[Layer]:
    h = SD3_HIDDEN
    layers: list[Layer] = []
    for i in range(SD3_DEPTH):
        p, d, block = f"joint_blocks.{i}", f"transformer_blocks.{i}", f"joint_blocks.{i}"
        last = i == SD3_DEPTH - 1
        for side, dmod, dq, dout, dff in (
            ("x_block", "norm1", ("attn.to_q", "attn.to_k", "attn.to_v"), "attn.to_out.0", "ff"),
            ("context_block", "norm1_context", ("attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj"),
             "attn.to_add_out", "ff_context"),
        ):
            pre_only = last and side == "context_block"  # the last context block only feeds the image stream
            layers.append(Layer(f"{p}.{side}.adaLN_modulation.1", ((2 if pre_only else 6) * h, h), block,
                                diffusers=f"{d}.{dmod}.linear"))
            layers += fused(f"{p}.{side}.attn.qkv", (3 * h, h), block, [(f"{d}.{q}", h) for q in dq])
            if not pre_only:
                layers.append(Layer(f"{p}.{side}.attn.proj", (h, h), block, diffusers=f"{d}.{dout}"))
                layers.append(Layer(f"{p}.{side}.mlp.fc1", (4 * h, h), block, diffusers=f"{d}.{dff}.net.0.proj"))
                layers.append(Layer(f"{p}.{side}.mlp.fc2", (h, 4 * h), block, diffusers=f"{d}.{dff}.net.2"))
    return _pick(layers, module_set, {"x_block.attn.proj", "context_block.attn.proj"})


SD3_KEYS = ArchKeys(
    arch="SD3",
    namings=(KOHYA, DIFFUSERS, COMFY),
    layers=sd3_layers,
    unet_name=_dit_name,
    text_encoders=(
        TextEncoder(label="te1", diffusers_prefix="text_encoder", **CLIP_L),
        TextEncoder(label="te2", diffusers_prefix="text_encoder_2", **CLIP_G),
    ),
)

# ---- Wan 2.1 (1.3B) -------------------------------------------------------------------------------

WAN_DIM = 1536
WAN_FFN = 8960
WAN_LAYERS = 30


def wan_layers(module_set: str, conv: bool = False) -> list[Layer]:
    d, f = WAN_DIM, WAN_FFN
    layers: list[Layer] = []
    for i in range(WAN_LAYERS):
        p = f"blocks.{i}"
        for attn in ("self_attn", "cross_attn"):
            layers += [Layer(f"{p}.{attn}.{x}", (d, d), p) for x in ("q", "k", "v", "o")]
        layers += [Layer(f"{p}.ffn.0", (f, d), p), Layer(f"{p}.ffn.2", (d, f), p)]
    return _pick(layers, module_set, {"self_attn.q", "self_attn.o", "cross_attn.q", "cross_attn.o"})


WAN_KEYS = ArchKeys(arch="WAN", namings=(KOHYA, COMFY), layers=wan_layers, unet_name=_dit_name)
