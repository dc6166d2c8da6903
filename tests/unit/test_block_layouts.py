"""Key -> block mapping, layouts and Inspire slots."""

from __future__ import annotations

import re

import pytest
from lora_weights_builder.modules.arch import ids as A
from lora_weights_builder.modules.blocks.layouts import (
    ARCH_BLOCK_MAPPINGS,
    BLOCK_GROUPS,
    block_metadata,
    block_of_key,
    inspire_block_slots,
    inspire_slots,
    module_of_key,
    resolve_block_id,
    sort_blocks,
    split_block_id,
)
from lwb_testkit.lora_factory import plan_modules

_MODEL = [(re.compile(rf"^diffusion_model\.{p}\.(\d+)\."), s) for p, s in (
    ("input_blocks", "input"), ("output_blocks", "output"), ("double_blocks", "double"),
    ("single_blocks", "single"), ("joint_blocks", "joint"), ("blocks", "layers"))]
_TE = re.compile(r"^(clip_l|clip_g)\.transformer\.text_model\.encoder\.layers\.(\d+)\.")
_CLIP_NAME = {A.SD15: {"clip_l": "te"}, A.SDXL: {"clip_l": "te1", "clip_g": "te2"}, A.SD3: {"clip_l": "te1",
              "clip_g": "te2"}, A.FLUX1: {"clip_l": "te"}}


def expected_block(arch: str, target: str) -> str:
    """The block id from the ComfyUI model key the module patches (the ground truth)."""
    if target.startswith("diffusion_model.middle_block."):
        return "middle_0"
    for rx, section in _MODEL:
        if m := rx.match(target):
            return f"{section}_{m.group(1)}"
    m = _TE.match(target)
    assert m, target
    return f"{_CLIP_NAME[arch][m.group(1)]}_layer_{m.group(2)}"


CASES = [(A.SD15, n, c) for n in ("kohya", "diffusers", "comfy") for c in (False, True)]
CASES += [(A.SDXL, n, c) for n in ("kohya", "diffusers", "comfy") for c in (False, True)]
CASES += [(a, n, False) for a in (A.FLUX1, A.CHROMA, A.SD3) for n in ("kohya", "diffusers", "comfy")]
CASES += [(A.WAN, n, False) for n in ("kohya", "comfy")]


@pytest.mark.parametrize(("arch", "naming", "conv"), CASES)
def test_every_factory_key_maps_to_the_block_comfyui_patches(arch, naming, conv):
    modules = plan_modules(arch, naming, "lora", modules="all", conv=conv)
    assert modules
    for m in modules:
        for suffix in (".lora_up.weight", ".lora_down.weight", ".alpha"):
            assert block_of_key(arch, m.name + suffix) == expected_block(arch, m.target), (m.name, m.target)


def test_sd15_kohya_and_diffusers_names_give_the_same_ldm_ids():
    pairs = [
        ("lora_unet_down_blocks_0_attentions_1_proj_in.lora_down.weight", "input_2"),
        ("unet.down_blocks.0.attentions.1.proj_in.lora_A.weight", "input_2"),
        ("lora_unet_down_blocks_2_downsamplers_0_conv.lora_up.weight", "input_9"),
        ("lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k.alpha", "middle_0"),
        ("unet.mid_block.resnets.1.conv2.lora_B.weight", "middle_0"),
        ("lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_ff_net_2.lora_up.weight", "output_11"),
        ("unet.up_blocks.0.upsamplers.0.conv.lora_A.weight", "output_2"),
        ("lora_unet_conv_in.lora_up.weight", "input_0"),
        ("lora_unet_time_embedding_linear_1.lora_up.weight", "base_embeds"),
        ("lora_unet_conv_out.lora_up.weight", "base_head"),
        ("lora_te_text_model_encoder_layers_11_mlp_fc2.lora_up.weight", "te_layer_11"),
        ("text_encoder.text_model.encoder.layers.11.mlp.fc2.lora_A.weight", "te_layer_11"),
    ]
    for key, block in pairs:
        assert block_of_key(A.SD15, key) == block, key


def test_proj_out_stays_in_its_block():
    assert block_of_key(A.SD15, "lora_unet_up_blocks_1_attentions_2_proj_out.lora_up.weight") == "output_5"
    assert block_of_key(A.SDXL, "lora_unet_input_blocks_8_1_proj_out.lora_up.weight") == "input_8"
    assert block_of_key(A.FLUX1, "transformer.single_transformer_blocks.12.proj_out.lora_B.weight") == "single_12"
    # The top-level proj_out is FLUX's final layer, not a block.
    assert block_of_key(A.FLUX1, "transformer.proj_out.lora_B.weight") == "base_head"


def test_sdxl_text_encoders_are_distinct():
    te1 = block_of_key(A.SDXL, "lora_te1_text_model_encoder_layers_3_self_attn_q_proj.lora_up.weight")
    te2 = block_of_key(A.SDXL, "lora_te2_text_model_encoder_layers_3_self_attn_q_proj.lora_up.weight")
    assert (te1, te2) == ("te1_layer_3", "te2_layer_3")
    assert block_of_key(A.SDXL_PONY, "text_encoder_2.text_model.encoder.layers.30.mlp.fc1.lora_A.weight") == \
        "te2_layer_30"
    assert block_of_key(A.SDXL, "lora_te2_text_projection.lora_up.weight") == "te2_other"


def test_t5_blocks_are_their_own_encoder():
    assert block_of_key(A.FLUX1, "lora_te3_encoder_block_17_layer_0_SelfAttention_q.lora_up.weight") == "t5_layer_17"
    # OneTrainer writes FLUX's T5 as lora_te2_.
    assert block_of_key(A.FLUX1, "lora_te2_encoder_block_4_layer_1_DenseReluDense_wi_0.lora_up.weight") == "t5_layer_4"
    t5_key = "text_encoders.t5xxl.transformer.encoder.block.2.layer.0.SelfAttention.k.lora_A.weight"
    assert block_of_key(A.SD3, t5_key) == "t5_layer_2"


def test_flux_bfl_and_diffusers_names_share_double_and_single_ids():
    same = [
        ("lora_unet_double_blocks_7_img_attn_qkv.lora_up.weight",
         "transformer.transformer_blocks.7.attn.to_q.lora_B.weight"),
        ("diffusion_model.single_blocks.7.linear1.lora_A.weight",
         "transformer.single_transformer_blocks.7.proj_mlp.lora_A.weight"),
        ("lora_unet_img_in.lora_up.weight", "transformer.x_embedder.lora_B.weight"),
    ]
    for bfl, diffusers in same:
        assert block_of_key(A.FLUX1, bfl) == block_of_key(A.FLUX1, diffusers)
    assert block_of_key(A.FLUX1, "transformer.transformer_blocks.7.attn.to_q.lora_B.weight") == "double_7"
    assert block_of_key(A.FLUX1, "transformer.single_transformer_blocks.7.attn.to_q.lora_B.weight") == "single_7"
    assert block_of_key(A.CHROMA, "lora_unet_single_blocks_3_linear1.lora_up.weight") == "single_3"
    assert block_of_key(A.CHROMA, "lora_unet_double_blocks_3_img_mlp_0.lora_up.weight") == "double_3"
    assert block_of_key(A.HUNYUAN_VIDEO, "transformer.double_blocks.19.img_attn_qkv.lora_A.weight") == "double_19"


def test_sd3_joint_blocks_and_other_families():
    assert block_of_key(A.SD3, "lora_unet_joint_blocks_23_context_block_mlp_fc1.lora_up.weight") == "joint_23"
    assert block_of_key(A.SD3, "transformer.transformer_blocks.23.attn.add_q_proj.lora_A.weight") == "joint_23"
    assert block_of_key(A.SD3, "lora_transformer_transformer_blocks_5_attn_to_k.lora_up.weight") == "joint_5"
    assert block_of_key(A.QWEN_IMAGE, "transformer_blocks.59.img_mlp.net.2.lora_A.weight") == "layers_59"
    assert block_of_key(A.WAN, "lora_unet__blocks_3_cross_attn_k.lora_down.weight") == "layers_3"  # Wan-Fun
    assert block_of_key(A.ZIMAGE, "diffusion_model.layers.29.attention.to_q.lora_A.weight") == "layers_29"
    assert block_of_key(A.LUMINA2, "diffusion_model.context_refiner.1.feed_forward.w1.lora_A.weight") == \
        "context_refiner_1"
    assert block_of_key(A.AURAFLOW, "transformer.joint_transformer_blocks.2.attn.to_q.lora_A.weight") == "double_2"
    assert block_of_key(A.HIDREAM, "transformer.single_stream_blocks.31.block.ff_i.w1.lora_A.weight") == "single_31"


@pytest.mark.parametrize("arch", A.ALL_ARCHITECTURES)
def test_any_key_maps_to_exactly_one_valid_id(arch):
    keys = ["weird.key", "lora_unet_foo_bar.lora_up.weight", "", "alpha", "transformer.unknown_9.lora_A.weight",
            "lora_te9_whatever.alpha", "diffusion_model.final_layer.linear.lora_A.weight"]
    for key in keys:
        block = block_of_key(arch, key)
        split_block_id(block)  # raises on anything that is not a block id


def test_module_of_key_strips_every_adapter_suffix():
    m = "lora_unet_input_blocks_4_1_proj_in"
    for suffix, part in [(".lora_down.weight", "down"), (".lora_A.weight", "down"), (".lora_B.default.weight", "up"),
                         ("_lora.up.weight", "up"), (".hada_w1_a", "hada_w1_a"), (".lokr_w2_b", "lokr_w2_b"),
                         (".lokr_w1", "lokr_w1"), (".alpha", "alpha"), (".dora_scale", "dora_scale"),
                         (".diff", "diff"), (".diff_b", "diff_b"), (".lora_B", "up")]:
        assert module_of_key(m + suffix) == (m, part)
    assert module_of_key("no_suffix_here") == ("no_suffix_here", "unknown")


def _keys(arch, **kw):
    return [m.name + ".lora_up.weight" for m in plan_modules(arch, "kohya", "lora", **kw)]


@pytest.mark.parametrize(("arch", "kw", "count"), [
    (A.SD15, {}, 17), (A.SD15, {"conv": True}, 27), (A.SDXL, {}, 12), (A.SDXL, {"conv": True}, 21),
    (A.FLUX1, {}, 58), (A.FLUX1, {"blocks": ["double_blocks"]}, 20), (A.FLUX1, {"blocks": ["single_blocks"]}, 39),
    (A.CHROMA, {}, 58), (A.SD3, {}, 1), (A.WAN, {}, 1),
])
def test_inspire_slot_counts_match_the_reference_layouts(arch, kw, count):
    slots = inspire_block_slots(arch, _keys(arch, **kw))
    assert len(slots) == count
    assert slots[0] == "BASE"


def test_inspire_slot_order_and_quirks():
    sdxl = inspire_slots(A.SDXL, _keys(A.SDXL))
    assert [s.label for s in sdxl] == ["BASE", "IN04", "IN05", "IN07", "IN08", "MID1", "OUT00", "OUT01", "OUT02",
                                       "OUT03", "OUT04", "OUT05"]
    locon = inspire_block_slots(A.SDXL, _keys(A.SDXL, conv=True))
    assert locon[9:12] == ["middle_0", "middle_0", "middle_0"]  # three Inspire slots, one block id
    # Inspire opens a slot only when the block number changes: middle_block.1 then output_blocks.1 share one.
    shared = inspire_slots(A.SDXL, ["lora_unet_middle_block_1_proj_in.alpha",
                                    "lora_unet_output_blocks_1_1_proj_in.alpha"])
    assert [(s.label, s.blocks) for s in shared] == [("BASE", ()), ("MID1+OUT01", ("middle_0", "output_1"))]
    # diffusers FLUX names land on the same slots as BFL ones
    diffusers = [m.name + ".lora_B.weight" for m in plan_modules(A.FLUX1, "diffusers", "lora")]
    assert inspire_block_slots(A.FLUX1, diffusers) == inspire_block_slots(A.FLUX1, _keys(A.FLUX1))


def test_tags_follow_the_seed_tables_scaled_to_depth():
    assert block_metadata(A.SDXL, "output_6")["tag"] == "DETAILS"
    assert block_metadata(A.SDXL, "output_3")["tag"] == "STYLE"
    assert block_metadata(A.SD15, "output_6")["tag"] == "STYLE"
    assert block_metadata(A.SD15, "input_9")["tag"] == "IDENTITY"
    assert block_metadata(A.FLUX1, "double_10")["tag"] == "POSE"
    assert block_metadata(A.FLUX1, "double_11")["tag"] == "IDENTITY"
    assert block_metadata(A.FLUX1, "single_20")["tag"] == "STYLE"
    assert block_metadata(A.FLUX1, "single_21")["tag"] == "DETAILS"
    assert block_metadata(A.SD3, "joint_6", {"joint": 24})["tag"] == "IDENTITY"
    assert block_metadata(A.SD3, "joint_6", {"joint": 38})["tag"] == "POSE"
    assert block_metadata(A.SDXL, "te2_layer_3") == {"label": "TE2 L3", "group": "CLIP", "tag": "CLIP",
                                                     "section": "te2"}
    assert block_metadata(A.SDXL, "base_embeds")["tag"] == "OTHER"


def test_mappings_and_groups_are_consistent():
    sdxl = [b["id"] for b in ARCH_BLOCK_MAPPINGS[A.SDXL]["blocks"]]
    assert sdxl[:2] == ["te1_layer_0", "te1_layer_1"]
    assert "input_8" in sdxl and "output_8" in sdxl and "input_9" not in sdxl
    assert len([b for b in sdxl if b.startswith(("input_", "middle_", "output_"))]) == 19
    flux = [b["id"] for b in ARCH_BLOCK_MAPPINGS[A.FLUX1]["blocks"]]
    assert len([b for b in flux if b.startswith(("double_", "single_"))]) == 57
    assert len([b for b in ARCH_BLOCK_MAPPINGS[A.SD3]["blocks"] if b["section"] == "joint"]) == 38
    assert A.UNKNOWN not in ARCH_BLOCK_MAPPINGS
    for arch, mapping in ARCH_BLOCK_MAPPINGS.items():
        ids = [b["id"] for b in mapping["blocks"]]
        assert len(ids) == len(set(ids)), arch
        grouped = [b for g in BLOCK_GROUPS for b in g["blocks"][arch]]
        assert sorted(grouped) == sorted(ids), arch


def test_sort_and_validation_and_seed_aliases():
    assert sort_blocks(["output_0", "te2_layer_1", "input_4", "other", "middle_0", "te1_layer_5", "base_embeds"]) == \
        ["te1_layer_5", "te2_layer_1", "base_embeds", "input_4", "middle_0", "output_0", "other"]
    with pytest.raises(ValueError, match="input_x"):
        split_block_id("input_x")
    assert resolve_block_id(A.SDXL, "clip_layer_3") == ("te1_layer_3", "te2_layer_3")
    assert resolve_block_id(A.SD15, "clip_layer_3") == ("te_layer_3",)
    assert resolve_block_id(A.SDXL, "specialized_embeds") == ("base_embeds", "base_head")
    assert resolve_block_id(A.SDXL, "output_6") == ("output_6",)
    with pytest.raises(ValueError, match="bogus"):
        resolve_block_id(A.SDXL, "bogus")
