"""SD1.5 and SDXL UNet layer tables (ComfyUI/SGM `input_blocks` paths with their diffusers names).

The channel bookkeeping follows the UNet layout every SD1.x/SDXL checkpoint has: `input_blocks.0` is
conv_in, then per level `num_res_blocks` ResBlocks (with a SpatialTransformer where the config has
attention) and a downsampler; the middle block is ResBlock, transformer, ResBlock; output blocks take
the skip channels concatenated. Diffusers indices: input n>=1 -> down_blocks.(n-1)//3 .(n-1)%3,
output n -> up_blocks.n//3 .n%3, middle_block.1 -> mid_block.attentions.0, middle_block.2j -> resnets.j.
"""

from __future__ import annotations

from dataclasses import dataclass

from .lora_keys import ALL, CLIP_G, CLIP_L, COMFY, COMPACT, DIFFUSERS, KOHYA, ArchKeys, Layer, TextEncoder


@dataclass(frozen=True)
class UNetConfig:
    model_channels: int
    channel_mult: tuple[int, ...]
    context_dim: int
    linear_proj: bool  # SDXL: proj_in/proj_out are Linear; SD1.5: 1x1 Conv
    input_depth: dict[int, int]  # input block index -> transformer depth
    middle_depth: int
    output_depth: dict[int, int]
    num_res_blocks: int = 2


SD15_UNET = UNetConfig(320, (1, 2, 4, 4), 768, False, {1: 1, 2: 1, 4: 1, 5: 1, 7: 1, 8: 1}, 1,
                       {n: 1 for n in range(3, 12)})
SDXL_UNET = UNetConfig(320, (1, 2, 4), 2048, True, {4: 2, 5: 2, 7: 10, 8: 10}, 10,
                       {0: 10, 1: 10, 2: 10, 3: 2, 4: 2, 5: 2})


def _transformer(prefix: str, dprefix: str, block: str, c: int, ctx: int, depth: int, linear: bool,
                 module_set: str) -> list[Layer]:
    proj = (c, c) if linear else (c, c, 1, 1)
    out = [Layer(f"{prefix}.proj_in", proj, block, diffusers=f"{dprefix}.proj_in")]
    for j in range(depth if module_set == ALL else 1):
        tb = f"transformer_blocks.{j}"
        shapes = [
            ("attn1.to_q", (c, c), False), ("attn1.to_k", (c, c), False), ("attn1.to_v", (c, c), False),
            ("attn1.to_out.0", (c, c), True), ("attn2.to_q", (c, c), False), ("attn2.to_k", (c, ctx), False),
            ("attn2.to_v", (c, ctx), False), ("attn2.to_out.0", (c, c), True),
            ("ff.net.0.proj", (8 * c, c), True), ("ff.net.2", (c, 4 * c), True),
        ]
        out.extend(Layer(f"{prefix}.{tb}.{n}", s, block, b, diffusers=f"{dprefix}.{tb}.{n}") for n, s, b in shapes)
    out.append(Layer(f"{prefix}.proj_out", proj, block, diffusers=f"{dprefix}.proj_out"))
    return out


def _resblock(prefix: str, dprefix: str, block: str, cin: int, cout: int, temb: int) -> list[Layer]:
    out = [
        Layer(f"{prefix}.in_layers.2", (cout, cin, 3, 3), block, diffusers=f"{dprefix}.conv1"),
        Layer(f"{prefix}.emb_layers.1", (cout, temb), block, diffusers=f"{dprefix}.time_emb_proj"),
        Layer(f"{prefix}.out_layers.3", (cout, cout, 3, 3), block, diffusers=f"{dprefix}.conv2"),
    ]
    if cin != cout:
        out.append(Layer(f"{prefix}.skip_connection", (cout, cin, 1, 1), block, diffusers=f"{dprefix}.conv_shortcut"))
    return out


def unet_layers(cfg: UNetConfig, module_set: str = COMPACT, conv: bool = False) -> list[Layer]:
    """Attention layers of every SpatialTransformer, plus ResBlock/sampler convs when `conv` (LoCon)."""
    mc, temb = cfg.model_channels, cfg.model_channels * 4
    levels = len(cfg.channel_mult)
    layers: list[Layer] = []
    chans, ch, n = [mc], mc, 1
    for level, mult in enumerate(cfg.channel_mult):
        for i in range(cfg.num_res_blocks):
            cout, block, dp = mc * mult, f"input_blocks.{n}", f"down_blocks.{level}"
            if conv:
                layers += _resblock(f"{block}.0", f"{dp}.resnets.{i}", block, ch, cout, temb)
            ch = cout
            if n in cfg.input_depth:
                layers += _transformer(f"{block}.1", f"{dp}.attentions.{i}", block, ch, cfg.context_dim,
                                       cfg.input_depth[n], cfg.linear_proj, module_set)
            chans.append(ch)
            n += 1
        if level != levels - 1:
            if conv:
                block = f"input_blocks.{n}"
                layers.append(Layer(f"{block}.0.op", (ch, ch, 3, 3), block,
                                    diffusers=f"down_blocks.{level}.downsamplers.0.conv"))
            chans.append(ch)
            n += 1
    if conv:
        layers += _resblock("middle_block.0", "mid_block.resnets.0", "middle_block.0", ch, ch, temb)
    layers += _transformer("middle_block.1", "mid_block.attentions.0", "middle_block.1", ch, cfg.context_dim,
                           cfg.middle_depth, cfg.linear_proj, module_set)
    if conv:
        layers += _resblock("middle_block.2", "mid_block.resnets.1", "middle_block.2", ch, ch, temb)
    n = 0
    for up, mult in enumerate(reversed(cfg.channel_mult)):
        for i in range(cfg.num_res_blocks + 1):
            cin, cout = ch + chans.pop(), mc * mult
            block, dp = f"output_blocks.{n}", f"up_blocks.{up}"
            if conv:
                layers += _resblock(f"{block}.0", f"{dp}.resnets.{i}", block, cin, cout, temb)
            ch = cout
            has_attn = n in cfg.output_depth
            if has_attn:
                layers += _transformer(f"{block}.1", f"{dp}.attentions.{i}", block, ch, cfg.context_dim,
                                       cfg.output_depth[n], cfg.linear_proj, module_set)
            if conv and up != levels - 1 and i == cfg.num_res_blocks:
                layers.append(Layer(f"{block}.{2 if has_attn else 1}.conv", (ch, ch, 3, 3), block,
                                    diffusers=f"{dp}.upsamplers.0.conv"))
            n += 1
    return layers


def _sd_name(use_diffusers_paths_for_kohya: bool):
    def name(layer: Layer, naming: str) -> str:
        if naming == COMFY:
            return f"diffusion_model.{layer.path}"
        if naming == KOHYA:
            path = layer.diffusers if use_diffusers_paths_for_kohya else layer.path
            return "lora_unet_" + path.replace(".", "_")
        # The attention-processor form ComfyUI maps for diffusers UNet LoRAs (comfy/lora.py).
        dpath = layer.diffusers.replace(".to_", ".processor.to_")
        if dpath.endswith(".to_out.0"):
            dpath = dpath[: -len(".0")]
        return f"unet.{dpath}"

    return name


SD15_KEYS = ArchKeys(
    arch="SD15",
    namings=(KOHYA, DIFFUSERS, COMFY),
    layers=lambda module_set, conv: unet_layers(SD15_UNET, module_set, conv),
    unet_name=_sd_name(True),
    text_encoders=(TextEncoder(label="te", diffusers_prefix="text_encoder", **CLIP_L),),
    conv=True,
)

SDXL_KEYS = ArchKeys(
    arch="SDXL",
    namings=(KOHYA, DIFFUSERS, COMFY),
    layers=lambda module_set, conv: unet_layers(SDXL_UNET, module_set, conv),
    unet_name=_sd_name(False),
    text_encoders=(
        TextEncoder(label="te1", diffusers_prefix="text_encoder", **CLIP_L),
        TextEncoder(label="te2", diffusers_prefix="text_encoder_2", **CLIP_G),
    ),
    conv=True,
)
