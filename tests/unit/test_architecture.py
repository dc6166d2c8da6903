"""Architecture detection on a labelled table of real (tiny) safetensors files.

Every file carries real module names and real model dims (only the rank is small), in the namings
trainers actually write: kohya `lora_unet_...`, diffusers/PEFT `lora_A/lora_B`, old diffusers
attention processors, BFL/ComfyUI `diffusion_model.`, OneTrainer, SimpleTuner/LyCORIS, musubi,
diffusion-pipe, XLabs.
"""

import pytest
import torch
from lora_weights_builder.modules.arch import ids as A
from lora_weights_builder.modules.arch.detect import (
    SOURCE_DIMS,
    SOURCE_HEADER,
    SOURCE_KEYS,
    SOURCE_NONE,
    SOURCE_SIDECAR,
    detect_architecture,
    detect_checkpoint_architecture,
    map_base_model_string,
    map_tag,
)
from lora_weights_builder.modules.inspection.header import read_header
from safetensors.torch import save_file

RANK = 2

# suffix sets: (down, up, extra)
KOHYA = (".lora_down.weight", ".lora_up.weight", ".alpha")
PEFT = (".lora_A.weight", ".lora_B.weight", None)
PEFT_DEFAULT = (".lora_A.default.weight", ".lora_B.default.weight", None)
OLD_DIFFUSERS = ("_lora.down.weight", "_lora.up.weight", None)
XLABS = (".down.weight", ".up.weight", None)


def tensors_for(modules: dict, suffixes=KOHYA) -> dict:
    down, up, extra = suffixes
    out = {}
    for name, (o, i) in modules.items():
        out[name + down] = torch.zeros(RANK, i, dtype=torch.float16)
        out[name + up] = torch.zeros(o, RANK, dtype=torch.float16)
        if extra:
            out[name + extra] = torch.tensor(float(RANK))
    return out


def write(tmp_path, tensors: dict, metadata=None, name="lora.safetensors"):
    path = tmp_path / name
    save_file(tensors, str(path), metadata=metadata)
    return read_header(path)


def detect(tmp_path, modules, suffixes=KOHYA, metadata=None, sidecar=None, extra=None):
    tensors = tensors_for(modules, suffixes)
    tensors.update(extra or {})
    return detect_architecture(write(tmp_path, tensors, metadata), sidecar=sidecar)


# --------------------------------------------------------------------------------------------
# Key sets per family (module name -> (out, in))

SD15_KOHYA = {
    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k": (320, 768),
    "lora_unet_up_blocks_3_attentions_2_proj_out": (320, 320),
    "lora_te_text_model_encoder_layers_0_self_attn_q_proj": (768, 768),
}
SD15_PEFT = {
    "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k": (320, 768),
    "unet.mid_block.attentions.0.proj_in": (1280, 1280),
}
SD15_OLD_DIFFUSERS = {"unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.processor.to_k": (640, 768)}
SD15_LOCON_NO_ATTN = {  # conv-only LoCon: no context dim, only the UNet's outer levels tell
    "lora_unet_down_blocks_0_resnets_0_conv1": (320, 320),
    "lora_unet_up_blocks_3_resnets_0_conv1": (320, 640),
}
SD21_KOHYA = {
    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k": (320, 1024),
    "lora_te_text_model_encoder_layers_0_self_attn_q_proj": (1024, 1024),
}
SD21_BY_TE = {"lora_unet_up_blocks_3_resnets_0_conv1": (320, 640),
              "lora_te_text_model_encoder_layers_22_self_attn_q_proj": (1024, 1024)}
SDXL_KOHYA = {
    "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k": (640, 2048),
    "lora_unet_output_blocks_0_1_proj_out": (1280, 1280),
    "lora_te1_text_model_encoder_layers_0_self_attn_q_proj": (768, 768),
    "lora_te2_text_model_encoder_layers_0_self_attn_q_proj": (1280, 1280),
}
SDXL_PEFT = {
    "unet.down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k": (640, 2048),
    "unet.up_blocks.0.attentions.0.proj_out": (1280, 1280),
}
FLUX_KOHYA = {
    "lora_unet_double_blocks_0_img_attn_qkv": (9216, 3072),
    "lora_unet_double_blocks_0_img_mod_lin": (18432, 3072),
    "lora_unet_double_blocks_18_img_mlp_0": (12288, 3072),
    "lora_unet_single_blocks_0_linear1": (21504, 3072),
    "lora_unet_single_blocks_37_linear2": (3072, 15360),
    "lora_te1_text_model_encoder_layers_0_self_attn_q_proj": (768, 768),
}
FLUX_AITOOLKIT = {
    "transformer.transformer_blocks.0.attn.to_q": (3072, 3072),
    "transformer.transformer_blocks.0.norm1.linear": (18432, 3072),
    "transformer.single_transformer_blocks.0.proj_mlp": (12288, 3072),
    "transformer.single_transformer_blocks.0.proj_out": (3072, 15360),
}
FLUX_BFL = {
    "diffusion_model.double_blocks.0.img_attn.qkv": (9216, 3072),
    "diffusion_model.double_blocks.0.txt_mod.lin": (18432, 3072),
    "diffusion_model.single_blocks.3.linear1": (21504, 3072),
}
FLUX_ONETRAINER = {
    "lora_transformer_transformer_blocks_0_attn_to_q": (3072, 3072),
    "lora_transformer_single_transformer_blocks_0_attn_to_q": (3072, 3072),
    "lora_transformer_single_transformer_blocks_0_norm_linear": (9216, 3072),
}
FLUX_XLABS = {"double_blocks.0.processor.qkv_lora1": (9216, 3072),
              "double_blocks.0.processor.proj_lora2": (3072, 3072)}
CHROMA_BFL = {  # Chroma has no per-block modulation layers
    "diffusion_model.double_blocks.0.img_attn.qkv": (9216, 3072),
    "diffusion_model.double_blocks.0.img_mlp.0": (12288, 3072),
    "diffusion_model.single_blocks.0.linear1": (21504, 3072),
}
FLUX_ATTN_ONLY = {"diffusion_model.double_blocks.0.img_attn.qkv": (9216, 3072),
                  "diffusion_model.single_blocks.0.linear2": (3072, 15360)}
FLUX2_BFL = {
    "diffusion_model.double_blocks.0.img_attn.qkv": (18432, 6144),
    "diffusion_model.double_blocks.0.img_mlp.0": (36864, 6144),
    "diffusion_model.single_blocks.47.linear1": (55296, 6144),
}
FLUX2_KLEIN_BFL = {  # hidden 3072 like FLUX.1, but the SwiGLU MLP is 6x wide, not 4x
    "diffusion_model.double_blocks.0.img_attn.qkv": (9216, 3072),
    "diffusion_model.double_blocks.0.img_mlp.0": (18432, 3072),
}
FLUX2_DIFFUSERS = {
    "transformer.transformer_blocks.0.attn.to_q": (6144, 6144),
    "transformer.transformer_blocks.0.ff.linear_in": (36864, 6144),
    "transformer.single_transformer_blocks.0.attn.to_qkv_mlp_proj": (55296, 6144),
}
HYVID_DIFFUSION_PIPE = {
    "transformer.double_blocks.0.img_attn_qkv": (9216, 3072),
    "transformer.double_blocks.0.img_mlp.fc1": (12288, 3072),
    "transformer.single_blocks.0.linear1": (21504, 3072),
}
HYVID_MUSUBI = {
    "lora_unet_double_blocks_0_img_mod_linear": (18432, 3072),
    "lora_unet_single_blocks_39_linear1": (21504, 3072),
}
HYVID_BY_COUNT = {  # FLUX-style names, but a 20th double block
    "diffusion_model.double_blocks.19.img_attn.qkv": (9216, 3072),
    "diffusion_model.double_blocks.19.img_mod.lin": (18432, 3072),
}
SD3_KOHYA = {"lora_unet_joint_blocks_0_x_block_attn_qkv": (4608, 1536),
             "lora_unet_joint_blocks_23_context_block_mlp_fc1": (6144, 1536)}
SD3_DIFFUSERS = {
    "transformer.transformer_blocks.0.attn.to_q": (1536, 1536),
    "transformer.transformer_blocks.0.attn.add_q_proj": (1536, 1536),
    "transformer.transformer_blocks.0.ff.net.0.proj": (6144, 1536),
}
SD35L_DIFFUSERS = {"transformer.transformer_blocks.37.attn.to_k": (2432, 2432)}
AURA_NATIVE = {"diffusion_model.double_layers.0.attn.w1q": (3072, 3072),
               "diffusion_model.single_layers.31.mlp.c_fc1": (8192, 3072)}
AURA_DIFFUSERS = {"transformer.joint_transformer_blocks.0.attn.to_q": (3072, 3072),
                  "transformer.single_transformer_blocks.0.attn.to_q": (3072, 3072)}
LUMINA_BFL = {"diffusion_model.layers.0.attention.qkv": (6912, 2304),
              "diffusion_model.context_refiner.0.attention.out": (2304, 2304)}
LUMINA_KOHYA = {"lora_unet_layers_0_attention_qkv": (6912, 2304),
                "lora_unet_layers_25_feed_forward_w1": (6144, 2304)}
ZIMAGE_DIFFUSERS = {"diffusion_model.layers.0.attention.to_q": (3840, 3840),
                    "diffusion_model.layers.29.feed_forward.w2": (3840, 10240)}
QWEN_BARE = {"transformer_blocks.0.img_mlp.net.0.proj": (12288, 3072),
             "transformer_blocks.0.attn.to_q": (3072, 3072)}
QWEN_MUSUBI = {"lora_unet_transformer_blocks_0_txt_mod_1": (18432, 3072)}
QWEN_ATTN_ONLY_60 = {"transformer.transformer_blocks.0.attn.to_q": (3072, 3072),
                     "transformer.transformer_blocks.59.attn.add_k_proj": (3072, 3072)}
WAN_COMFY = {"diffusion_model.blocks.0.self_attn.q": (5120, 5120),
             "diffusion_model.blocks.39.cross_attn.k_img": (5120, 5120)}
WAN_MUSUBI = {"lora_unet_blocks_0_cross_attn_k": (1536, 1536), "lora_unet_blocks_29_ffn_0": (8960, 1536)}
WAN_FUN = {"lora_unet__blocks_0_ffn_0": (8960, 1536)}
WAN_DIFFUSERS = {"transformer.blocks.0.attn1.to_q": (5120, 5120), "transformer.blocks.0.attn2.to_k": (5120, 5120)}
HIDREAM = {"diffusion_model.double_stream_blocks.0.block.attn1.to_q": (2560, 2560),
           "diffusion_model.single_stream_blocks.31.block.attn1.to_k": (2560, 2560)}
HIDREAM_LYCORIS = {"lycoris_double_stream_blocks_0_block_attn1_to_q": (2560, 2560)}
UNRELATED = {"some.custom.module": (8, 8)}


# (id, modules, suffixes, metadata, sidecar, expected arch, expected source)
TABLE = [
    ("sd15-kohya", SD15_KOHYA, KOHYA, None, None, A.SD15, SOURCE_DIMS),
    ("sd15-peft", SD15_PEFT, PEFT, None, None, A.SD15, SOURCE_DIMS),
    ("sd15-old-diffusers", SD15_OLD_DIFFUSERS, OLD_DIFFUSERS, None, None, A.SD15, SOURCE_DIMS),
    ("sd15-locon-conv-only", SD15_LOCON_NO_ATTN, KOHYA, None, None, A.SD15, SOURCE_KEYS),
    ("sd15-kohya-metadata", SD15_KOHYA, KOHYA, {"ss_base_model_version": "sd_v1"}, None, A.SD15, SOURCE_HEADER),
    ("sd15-sidecar", SD15_KOHYA, KOHYA, None, {"baseModel": "SD 1.5"}, A.SD15, SOURCE_SIDECAR),
    ("sd21-kohya", SD21_KOHYA, KOHYA, None, None, A.SD21, SOURCE_DIMS),
    ("sd21-peft", {"unet.up_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v": (1280, 1024)}, PEFT, None,
     None, A.SD21, SOURCE_DIMS),
    ("sd21-by-te-width", SD21_BY_TE, KOHYA, None, None, A.SD21, SOURCE_DIMS),
    ("sd21-conv-only-labelled", SD15_LOCON_NO_ATTN, KOHYA, {"ss_base_model_version": "sd_v2"}, None, A.SD21,
     SOURCE_HEADER),
    ("sdxl-kohya", SDXL_KOHYA, KOHYA, None, None, A.SDXL, SOURCE_DIMS),
    ("sdxl-peft", SDXL_PEFT, PEFT, None, None, A.SDXL, SOURCE_DIMS),
    ("sdxl-pony-sidecar", SDXL_KOHYA, KOHYA, None, {"baseModel": "Pony"}, A.SDXL_PONY, SOURCE_SIDECAR),
    ("sdxl-illustrious-civitai", SDXL_KOHYA, KOHYA, None, {"civitai": {"baseModel": "Illustrious"}},
     A.SDXL_ILLUSTRIOUS, SOURCE_SIDECAR),
    ("sdxl-noobai-lm", SDXL_PEFT, PEFT, None, {"base_model": "NoobAI"}, A.SDXL_NOOBAI, SOURCE_SIDECAR),
    ("sdxl-playground", SDXL_KOHYA, KOHYA, None, {"baseModel": "Playground v2.5"}, A.SDXL, SOURCE_SIDECAR),
    ("sdxl-pony-model-name", SDXL_KOHYA, KOHYA,
     {"ss_base_model_version": "sdxl_base_v1-0",
      "ss_sd_model_name": "ponyDiffusionV6XL_v6StartWithThisOne.safetensors"},
     None, A.SDXL_PONY, SOURCE_HEADER),
    ("sdxl-pony-tag-only", SDXL_KOHYA, KOHYA, None, {"civitai": {"tags": ["character", "pony"]}}, A.SDXL_PONY,
     SOURCE_SIDECAR),
    ("sdxl-my-little-pony-tag", SDXL_KOHYA, KOHYA, None, {"tags": ["my little pony"]}, A.SDXL, SOURCE_DIMS),
    ("sd15-tag-traps", SD15_KOHYA, KOHYA, None,
     {"baseModel": "SD 1.5", "civitai": {"tags": ["my little pony", "chromatic aberration", "Laura", "luminance"]}},
     A.SD15, SOURCE_SIDECAR),
    ("sd15-tag-traps-no-basemodel", SD15_KOHYA, KOHYA, None,
     {"tags": ["my little pony", "chromatic aberration", "Laura Croft", "luminance"]}, A.SD15, SOURCE_DIMS),
    ("flux-kohya", FLUX_KOHYA, KOHYA, None, None, A.FLUX1, SOURCE_KEYS),
    ("flux-aitoolkit", FLUX_AITOOLKIT, PEFT, None, None, A.FLUX1, SOURCE_KEYS),
    ("flux-bfl", FLUX_BFL, PEFT, None, None, A.FLUX1, SOURCE_KEYS),
    ("flux-onetrainer", FLUX_ONETRAINER, KOHYA, None, None, A.FLUX1, SOURCE_KEYS),
    ("flux-xlabs", FLUX_XLABS, XLABS, None, None, A.FLUX1, SOURCE_KEYS),
    ("flux-sidecar-d", FLUX_KOHYA, KOHYA, None, {"baseModel": "Flux.1 D"}, A.FLUX1, SOURCE_SIDECAR),
    ("flux-modelspec", FLUX_BFL, PEFT, {"modelspec.architecture": "flux-1-dev/lora"}, None, A.FLUX1, SOURCE_HEADER),
    ("chroma-sidecar", CHROMA_BFL, PEFT, None, {"baseModel": "Chroma"}, A.CHROMA, SOURCE_SIDECAR),
    ("chroma-guidance-keys", {**CHROMA_BFL, "diffusion_model.distilled_guidance_layer.layers.0.in_layer": (5120, 5120)},
     PEFT, None, None, A.CHROMA, SOURCE_KEYS),
    ("flux2-bfl", FLUX2_BFL, PEFT, None, None, A.FLUX2, SOURCE_KEYS),
    ("flux2-klein-mlp-ratio", FLUX2_KLEIN_BFL, PEFT, None, None, A.FLUX2, SOURCE_KEYS),
    ("flux2-diffusers", FLUX2_DIFFUSERS, PEFT, None, None, A.FLUX2, SOURCE_KEYS),
    ("flux2-attention-only-labelled", FLUX_ATTN_ONLY, PEFT, None, {"baseModel": "Flux.2 D"}, A.FLUX2, SOURCE_SIDECAR),
    ("hyvid-diffusion-pipe", HYVID_DIFFUSION_PIPE, PEFT, None, None, A.HUNYUAN_VIDEO, SOURCE_KEYS),
    ("hyvid-musubi", HYVID_MUSUBI, KOHYA, None, None, A.HUNYUAN_VIDEO, SOURCE_KEYS),
    ("hyvid-block-count", HYVID_BY_COUNT, PEFT, None, None, A.HUNYUAN_VIDEO, SOURCE_KEYS),
    ("hyvid-labelled-flux-layout", FLUX_BFL, PEFT, None, {"baseModel": "Hunyuan Video"}, A.HUNYUAN_VIDEO,
     SOURCE_SIDECAR),
    ("sd3-kohya", SD3_KOHYA, KOHYA, None, None, A.SD3, SOURCE_KEYS),
    ("sd3-diffusers", SD3_DIFFUSERS, PEFT, None, None, A.SD3, SOURCE_DIMS),
    ("sd35-large-diffusers", SD35L_DIFFUSERS, PEFT, None, {"baseModel": "SD 3.5 Large"}, A.SD3, SOURCE_SIDECAR),
    ("aura-native", AURA_NATIVE, PEFT, None, None, A.AURAFLOW, SOURCE_KEYS),
    ("aura-diffusers", AURA_DIFFUSERS, PEFT, None, None, A.AURAFLOW, SOURCE_KEYS),
    ("aura-pony-v7", AURA_DIFFUSERS, PEFT, None, {"baseModel": "Pony V7"}, A.AURAFLOW, SOURCE_SIDECAR),
    ("lumina-bfl", LUMINA_BFL, PEFT, None, None, A.LUMINA2, SOURCE_DIMS),
    ("lumina-kohya", LUMINA_KOHYA, KOHYA, None, None, A.LUMINA2, SOURCE_DIMS),
    ("zimage-diffusers", ZIMAGE_DIFFUSERS, PEFT, None, None, A.ZIMAGE, SOURCE_DIMS),
    ("zimage-sidecar", ZIMAGE_DIFFUSERS, PEFT, None, {"baseModel": "ZImageTurbo"}, A.ZIMAGE, SOURCE_SIDECAR),
    ("qwen-bare", QWEN_BARE, PEFT, None, None, A.QWEN_IMAGE, SOURCE_KEYS),
    ("qwen-peft-default", QWEN_BARE, PEFT_DEFAULT, None, None, A.QWEN_IMAGE, SOURCE_KEYS),
    ("qwen-musubi", QWEN_MUSUBI, KOHYA, None, None, A.QWEN_IMAGE, SOURCE_KEYS),
    ("qwen-attention-only", QWEN_ATTN_ONLY_60, PEFT, None, None, A.QWEN_IMAGE, SOURCE_DIMS),
    ("qwen-sidecar", QWEN_BARE, PEFT, None, {"baseModel": "Qwen"}, A.QWEN_IMAGE, SOURCE_SIDECAR),
    ("wan-comfy", WAN_COMFY, PEFT, None, None, A.WAN, SOURCE_KEYS),
    ("wan-musubi", WAN_MUSUBI, KOHYA, None, None, A.WAN, SOURCE_KEYS),
    ("wan-fun", WAN_FUN, KOHYA, None, None, A.WAN, SOURCE_KEYS),
    ("wan-diffusers", WAN_DIFFUSERS, PEFT, None, None, A.WAN, SOURCE_KEYS),
    ("wan-sidecar-22", WAN_COMFY, PEFT, None, {"baseModel": "Wan Video 2.2 I2V-A14B"}, A.WAN, SOURCE_SIDECAR),
    ("hidream", HIDREAM, PEFT, None, None, A.HIDREAM, SOURCE_KEYS),
    ("hidream-lycoris", HIDREAM_LYCORIS, KOHYA, None, None, A.HIDREAM, SOURCE_KEYS),
    ("unknown", UNRELATED, PEFT, None, None, A.UNKNOWN, SOURCE_NONE),
    ("unknown-keys-sidecar", UNRELATED, PEFT, None, {"baseModel": "SDXL 1.0"}, A.SDXL, SOURCE_SIDECAR),
    ("unknown-keys-header", UNRELATED, PEFT, {"ss_base_model_version": "flux1"}, None, A.FLUX1, SOURCE_HEADER),
]


@pytest.mark.parametrize("modules, suffixes, metadata, sidecar, arch, source",
                         [t[1:] for t in TABLE], ids=[t[0] for t in TABLE])
def test_labelled_table(tmp_path, modules, suffixes, metadata, sidecar, arch, source):
    verdict = detect(tmp_path, modules, suffixes, metadata, sidecar)
    assert (verdict.arch, verdict.source) == (arch, source), verdict.evidence
    assert verdict.conflicts == (), verdict.conflicts


def test_table_covers_every_family():
    assert len(TABLE) >= 40
    assert {t[5] for t in TABLE} >= set(A.ALL_ARCHITECTURES) - {A.SDXL_REALISM}


def test_aitoolkit_flux_labelled_sd15_keeps_flux_and_reports_the_conflict(tmp_path):
    verdict = detect(tmp_path, FLUX_AITOOLKIT, PEFT, metadata={"ss_base_model_version": "sd_v1"})
    assert verdict.arch == A.FLUX1
    assert verdict.source == SOURCE_KEYS
    assert len(verdict.conflicts) == 1
    assert "ss_base_model_version 'sd_v1' says SD15" in verdict.conflicts[0]


def test_diffusers_sdxl_is_not_sd15(tmp_path):
    """The seed's rule `down_blocks -> SD15` misfiled every diffusers SDXL LoRA."""
    assert detect(tmp_path, SDXL_PEFT, PEFT).arch == A.SDXL


def test_sidecar_contradicting_keys_loses_and_tags_do_not_take_over(tmp_path):
    verdict = detect(tmp_path, SDXL_KOHYA, sidecar={"baseModel": "SD 1.5", "tags": ["pony"]})
    assert verdict.arch == A.SDXL
    assert verdict.source == SOURCE_DIMS
    assert any("baseModel 'SD 1.5' says SD15" in c for c in verdict.conflicts)


def test_modulated_flux_labelled_chroma_stays_flux(tmp_path):
    """Chroma has no per-block modulation; a LoRA that trains it cannot be a Chroma LoRA."""
    verdict = detect(tmp_path, FLUX_KOHYA, sidecar={"baseModel": "Chroma"})
    assert verdict.arch == A.FLUX1
    assert verdict.conflicts


def test_sidecar_beats_header_metadata(tmp_path):
    verdict = detect(tmp_path, SDXL_KOHYA, metadata={"ss_sd_model_name": "illustriousXL_v01.safetensors"},
                     sidecar={"baseModel": "Pony"})
    assert verdict.arch == A.SDXL_PONY
    assert verdict.source == SOURCE_SIDECAR


def test_keys_only_detection_without_shapes():
    assert detect_architecture(["lora_unet_joint_blocks_3_x_block_attn_qkv.lora_down.weight"]).arch == A.SD3
    assert detect_architecture(["diffusion_model.blocks.0.self_attn.q.lora_A.weight"]).arch == A.WAN


def test_loha_and_lokr_keys(tmp_path):
    loha = {"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.hada_w1_a": torch.zeros(320, 2),
            "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.hada_w1_b": torch.zeros(2, 768),
            "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.hada_w2_a": torch.zeros(320, 2),
            "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.hada_w2_b": torch.zeros(2, 768)}
    assert detect_architecture(write(tmp_path, loha, name="loha.safetensors")).arch == A.SD15
    lokr = {"lora_unet_input_blocks_7_1_transformer_blocks_3_attn1_to_q.lokr_w1": torch.zeros(8, 8),
            "lora_unet_input_blocks_7_1_transformer_blocks_3_attn1_to_q.lokr_w2": torch.zeros(160, 160)}
    verdict = detect_architecture(write(tmp_path, lokr, name="lokr.safetensors"))
    assert (verdict.arch, verdict.source) == (A.SDXL, SOURCE_KEYS)


def test_verdict_serialises(tmp_path):
    data = detect(tmp_path, FLUX_AITOOLKIT, PEFT, metadata={"ss_base_model_version": "sd_v1"}).to_dict()
    assert data["arch"] == "FLUX.1" and data["keys_arch"] == "FLUX.1" and data["conflicts"]


# --------------------------------------------------------------------------------------------
# Name mapping

@pytest.mark.parametrize("text, arch", [
    ("SD 1.4", A.SD15), ("SD 1.5", A.SD15), ("SD 1.5 LCM", A.SD15), ("sd_v1", A.SD15),
    ("stable-diffusion-v1/lora", A.SD15), ("v1-5-pruned-emaonly.safetensors", A.SD15),
    ("SD 2.1", A.SD21), ("SD 2.1 768", A.SD21), ("sd_v2", A.SD21), ("stable-diffusion-v2-768-v/lora", A.SD21),
    ("SDXL 1.0", A.SDXL), ("SDXL Turbo", A.SDXL), ("sdxl_base_v1-0", A.SDXL),
    ("stable-diffusion-xl-v1-base/lora", A.SDXL), ("Playground v2.5", A.SDXL), ("Playground v2", A.SDXL),
    ("Pony", A.SDXL_PONY), ("Illustrious", A.SDXL_ILLUSTRIOUS), ("NoobAI", A.SDXL_NOOBAI),
    ("noobaiXLNAIXL_vPred10Version.safetensors", A.SDXL_NOOBAI), ("Pony V7", A.AURAFLOW),
    ("Flux.1 D", A.FLUX1), ("Flux.1 S", A.FLUX1), ("Flux.1 Kontext", A.FLUX1), ("flux1", A.FLUX1),
    ("flux-1-dev/lora", A.FLUX1), ("Flux.2 D", A.FLUX2), ("Flux.2 Klein 9B", A.FLUX2),
    ("SD 3", A.SD3), ("SD 3.5", A.SD3), ("SD 3.5 Large", A.SD3), ("SD 3.5 Medium", A.SD3),
    ("stable-diffusion-v3-medium/lora", A.SD3),
    ("Wan Video 14B t2v", A.WAN), ("Wan Video 1.3B t2v", A.WAN), ("Wan Video 2.2 TI2V-5B", A.WAN), ("wan2.1", A.WAN),
    ("Hunyuan Video", A.HUNYUAN_VIDEO), ("hunyuan_video", A.HUNYUAN_VIDEO),
    ("Qwen", A.QWEN_IMAGE), ("qwen_image", A.QWEN_IMAGE), ("Lumina", A.LUMINA2), ("lumina2", A.LUMINA2),
    ("ZImageTurbo", A.ZIMAGE), ("Z-Image", A.ZIMAGE), ("Chroma", A.CHROMA), ("AuraFlow", A.AURAFLOW),
    ("HiDream", A.HIDREAM),
    # traps: word boundaries
    ("chromatic aberration", None), ("Laura Croft", None), ("luminance", None), ("swan lake", None),
    ("Hunyuan 1", None), ("Kolors", None), ("Stable Cascade", None), ("aurora", None), ("", None),
])
def test_map_base_model_string(text, arch):
    assert map_base_model_string(text) == arch


@pytest.mark.parametrize("tag, arch", [
    ("pony", A.SDXL_PONY), ("sdxl", A.SDXL), ("flux", A.FLUX1), ("SD 1.5", A.SD15),
    ("my little pony", None), ("pony girl", None), ("chroma", A.CHROMA), ("chromatic aberration", None),
    ("style", None), (42, None),
])
def test_tags_match_only_whole_names(tag, arch):
    assert map_tag(tag) == arch


def test_non_string_metadata_values_are_ignored(tmp_path):
    verdict = detect(tmp_path, SD15_KOHYA, sidecar={"baseModel": None, "base_model": 15, "tags": "pony",
                                                    "civitai": None})
    assert verdict.arch == A.SD15


# --------------------------------------------------------------------------------------------
# Checkpoints

def _unet_ckpt(prefix, ctx, label_emb=False):
    keys = {f"{prefix}input_blocks.0.0.weight": (320, 4, 3, 3),
            f"{prefix}input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": (640, ctx)}
    if label_emb:
        keys[f"{prefix}label_emb.0.0.weight"] = (1280, 2816)
    return keys


@pytest.mark.parametrize("keys, arch", [
    (_unet_ckpt("model.diffusion_model.", 768), A.SD15),
    (_unet_ckpt("model.diffusion_model.", 1024), A.SD21),
    (_unet_ckpt("model.diffusion_model.", 2048, label_emb=True), A.SDXL),
    (_unet_ckpt("", 2048), A.SDXL),
    ({"model.diffusion_model.joint_blocks.0.context_block.attn.qkv.weight": (4608, 1536)}, A.SD3),
    ({"double_layers.0.attn.w1q.weight": (3072, 3072)}, A.AURAFLOW),
    ({"txt_in.individual_token_refiner.blocks.0.norm1.weight": (3072,)}, A.HUNYUAN_VIDEO),
    ({"double_blocks.0.img_attn.norm.key_norm.scale": (128,), "img_in.weight": (3072, 64)}, A.FLUX1),
    ({"model.diffusion_model.double_blocks.0.img_attn.norm.key_norm.scale": (128,),
      "model.diffusion_model.img_in.weight": (3072, 64)}, A.FLUX1),
    ({"double_blocks.0.img_attn.norm.key_norm.scale": (128,), "img_in.weight": (6144, 128),
      "double_stream_modulation_img.lin.weight": (36864, 6144)}, A.FLUX2),
    ({"double_blocks.0.img_attn.norm.key_norm.scale": (128,), "img_in.weight": (3072, 64),
      "distilled_guidance_layer.norms.0.scale": (5120,)}, A.CHROMA),
    ({"cap_embedder.1.weight": (2304, 2304)}, A.LUMINA2),
    ({"cap_embedder.1.weight": (3840, 2560)}, A.ZIMAGE),
    ({"head.modulation": (1, 2, 5120)}, A.WAN),
    ({"caption_projection.0.linear.weight": (2560, 4096)}, A.HIDREAM),
    ({"txt_norm.weight": (3584,), "img_in.weight": (3072, 64)}, A.QWEN_IMAGE),
])
def test_checkpoint_detection(tmp_path, keys, arch):
    tensors = {k: torch.zeros(shape, dtype=torch.float16) for k, shape in keys.items()}
    verdict = detect_checkpoint_architecture(write(tmp_path, tensors, name="ckpt.safetensors"))
    assert verdict.arch == arch, verdict.evidence
    assert verdict.source == SOURCE_KEYS


def test_sd15_checkpoint_is_not_sdxl():
    """The seed's `input_blocks -> SDXL` rule misfiled every SD1.5 single-file checkpoint."""
    assert detect_checkpoint_architecture(_unet_ckpt("model.diffusion_model.", 768)).arch == A.SD15


def test_unrecognised_checkpoint_is_unknown():
    assert detect_checkpoint_architecture({"foo.weight": (3, 3)}).arch == A.UNKNOWN


def test_text_encoder_only_lora_defers_to_metadata(tmp_path):
    clip_l = {"text_encoder.text_model.encoder.layers.0.self_attn.q_proj": (768, 768)}
    assert detect(tmp_path, clip_l, PEFT).arch == A.UNKNOWN  # CLIP-L alone: SD1.5, SDXL, FLUX, SD3 all use it
    verdict = detect(tmp_path, clip_l, PEFT, sidecar={"baseModel": "Flux.1 D"})
    assert (verdict.arch, verdict.conflicts) == (A.FLUX1, ())
    open_clip_h = {"lora_te_text_model_encoder_layers_0_self_attn_q_proj": (1024, 1024)}
    assert detect(tmp_path, open_clip_h, KOHYA).arch == A.SD21
