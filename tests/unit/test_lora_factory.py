"""The LoRA file factory writes real safetensors LoRAs: readable, right names and shapes, deterministic."""

from __future__ import annotations

import json
import math

import pytest
import torch
from lwb_testkit.lora_factory import (
    ARCH_KEYS,
    kohya_metadata,
    make_checkpoint_stub,
    make_lora,
    modelspec_metadata,
    plan_modules,
    supported_combinations,
)
from lwb_testkit.sidecars import PREVIEW_SUFFIXES, write_sidecars
from PIL import Image
from safetensors import safe_open


def _read(path):
    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata()  # noqa: SIM118 (safe_open is not a dict)


def _delta_shape_ok(tensors: dict, name: str, adapter: str, shape: tuple) -> bool:
    """The delta the adapter's factors define (LoRA/LyCORIS rules) has the module weight's size."""
    t = {k[len(name) + 1:]: tuple(v.shape) for k, v in tensors.items() if k.startswith(name + ".")}
    out, fan_in = shape[0], math.prod(shape[1:])
    if adapter in ("lora", "dora"):
        down = t.get("lora_down.weight", t.get("lora_A.weight"))
        up = t.get("lora_up.weight", t.get("lora_B.weight"))
        ok = up[0] == out and up[1] == down[0] and math.prod(down[1:]) == fan_in
        return ok and (adapter == "lora" or t["dora_scale"][0] == out)
    if adapter == "loha":
        return all(t[f"hada_{w}_a"][0] == out and t[f"hada_{w}_b"][1] == fan_in
                   and t[f"hada_{w}_a"][1] == t[f"hada_{w}_b"][0] for w in ("w1", "w2"))
    if adapter in ("lokr", "lokr_full"):
        w1 = t["lokr_w1"]
        w2 = t["lokr_w2"] if "lokr_w2" in t else (t["lokr_w2_a"][0], t["lokr_w2_b"][1])
        return (w1[0] * w2[0], w1[1] * w2[1], *w2[2:]) == shape
    return t["diff"] == shape


@pytest.mark.parametrize(("arch", "naming", "adapter"), supported_combinations())
def test_every_combination_loads_with_matching_shapes(tmp_path, arch, naming, adapter):
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, adapter, rank=2, alpha=2.0)
    tensors, _ = _read(spec.path)
    assert sorted(tensors) == list(spec.keys)
    assert spec.path.stat().st_size < 20 * 2**20
    for m in spec.modules:
        assert _delta_shape_ok(tensors, m.name, adapter, m.shape), m.name
        if adapter not in ("full", "lokr_full"):
            assert tensors[m.name + ".alpha"].item() == 2.0
    assert all(t.dtype == torch.float16 for t in tensors.values())


@pytest.mark.parametrize(("arch", "naming", "key", "shape"), [
    ("SD15", "kohya", "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", (4, 320, 1, 1)),
    ("SD15", "kohya", "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight", (4, 768)),
    ("SD15", "kohya", "lora_te_text_model_encoder_layers_11_self_attn_q_proj.lora_up.weight", (768, 4)),
    ("SD15", "diffusers", "unet.up_blocks.3.attentions.2.transformer_blocks.0.attn1.processor.to_out.lora_B.weight",
     (320, 4)),
    ("SDXL", "kohya", "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k.lora_down.weight", (4, 2048)),
    ("SDXL", "kohya", "lora_unet_output_blocks_0_1_transformer_blocks_0_ff_net_0_proj.lora_up.weight", (10240, 4)),
    ("SDXL", "kohya", "lora_te2_text_model_encoder_layers_31_self_attn_v_proj.lora_down.weight", (4, 1280)),
    ("SDXL", "diffusers", "text_encoder_2.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight", (4, 1280)),
    ("FLUX.1", "kohya", "lora_unet_double_blocks_18_txt_attn_proj.lora_down.weight", (4, 3072)),
    ("FLUX.1", "comfy", "diffusion_model.single_blocks.37.modulation.lin.lora_B.weight", (9216, 4)),
    ("FLUX.1", "diffusers", "transformer.transformer_blocks.0.attn.to_add_out.lora_A.weight", (4, 3072)),
    ("FLUX.1", "kohya", "lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", (4, 768)),
    ("SD3", "kohya", "lora_unet_joint_blocks_0_context_block_attn_proj.lora_down.weight", (4, 1536)),
    ("SD3", "diffusers", "transformer.transformer_blocks.22.attn.to_out.0.lora_B.weight", (1536, 4)),
    ("CHROMA", "kohya", "lora_unet_single_blocks_0_linear2.lora_down.weight", (4, 15360)),
    ("WAN", "comfy", "diffusion_model.blocks.29.cross_attn.o.lora_A.weight", (4, 1536)),
])
def test_real_trainer_key_names_and_dims(tmp_path, arch, naming, key, shape):
    spec = make_lora(tmp_path / "x.safetensors", arch, naming)
    tensors, _ = _read(spec.path)
    assert tuple(tensors[key].shape) == shape


def test_default_blocks_cover_the_architectures_block_layout():
    sd15 = plan_modules("SD15", text_encoder=False)
    assert list(dict.fromkeys(m.block for m in sd15)) == [
        "input_blocks.1", "input_blocks.2", "input_blocks.4", "input_blocks.5", "input_blocks.7", "input_blocks.8",
        "middle_block.1", *[f"output_blocks.{n}" for n in range(3, 12)]]
    sdxl = {m.block for m in plan_modules("SDXL", text_encoder=False)}
    assert sdxl == {"input_blocks.4", "input_blocks.5", "input_blocks.7", "input_blocks.8", "middle_block.1",
                    *[f"output_blocks.{n}" for n in range(6)]}
    flux = {m.block for m in plan_modules("FLUX.1", text_encoder=False)}
    assert flux == {f"double_blocks.{i}" for i in range(19)} | {f"single_blocks.{i}" for i in range(38)}


def test_locon_adds_resnet_and_sampler_convs_across_27_sd15_blocks():
    blocks = {m.block for m in plan_modules("SD15", conv=True, text_encoder=False)}
    # Inspire's LoCon layout: input 1..11, middle 0..2, output 0..11 (27 with BASE).
    assert len(blocks) == 26
    sdxl = {m.block for m in plan_modules("SDXL", conv=True, text_encoder=False)}
    assert len(sdxl) == 20


def test_block_and_text_encoder_selection(tmp_path):
    spec = make_lora(tmp_path / "x.safetensors", "SDXL", "kohya", blocks=["input_blocks.7", "output_blocks"],
                     text_encoder=["te1"])
    assert spec.blocks == ["input_blocks.7", *[f"output_blocks.{n}" for n in range(6)], "te1"]
    assert not any(k.startswith("lora_te2_") for k in spec.keys)
    flux = make_lora(tmp_path / "f.safetensors", "FLUX.1", "kohya", blocks=["double_blocks"], text_encoder=False)
    assert all(k.startswith("lora_unet_double_blocks_") for k in flux.keys)
    assert len(flux.blocks) == 19


def test_rank_and_missing_alpha(tmp_path):
    spec = make_lora(tmp_path / "x.safetensors", "SD15", "kohya", rank=8, text_encoder=False)
    tensors, _ = _read(spec.path)
    assert not any(k.endswith(".alpha") for k in tensors)
    assert {t.shape[0] for k, t in tensors.items() if k.endswith("lora_down.weight")} == {8}


def test_metadata_round_trips(tmp_path):
    md = {**kohya_metadata("SDXL", rank=4, alpha=2, tags={"red hair": 3}), **modelspec_metadata("SDXL", title="X")}
    spec = make_lora(tmp_path / "x.safetensors", "SDXL", "kohya", metadata=md)
    _, got = _read(spec.path)
    assert got == md
    assert got["ss_base_model_version"] == "sdxl_base_v1-0"
    assert json.loads(got["ss_tag_frequency"]) == {"1_subject": {"red hair": 3}}
    assert got["modelspec.architecture"] == "stable-diffusion-xl-v1-base/lora"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    md = kohya_metadata("SD3", tags={"a": 1, "b": 2})
    opts = dict(arch="SD3", naming="diffusers", adapter="loha", blocks=["joint_blocks.0", "joint_blocks.23"])
    a = make_lora(tmp_path / "a.safetensors", **opts, seed=3, metadata=md)
    b = make_lora(tmp_path / "b.safetensors", **opts, seed=3, metadata=dict(reversed(md.items())))
    c = make_lora(tmp_path / "c.safetensors", **opts, seed=4, metadata=md)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.path.read_bytes() != c.path.read_bytes()


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"arch": "SD99"}, ["SD99", "SD15"]),
    ({"arch": "WAN", "naming": "diffusers"}, ["WAN", "diffusers"]),
    ({"arch": "SDXL", "adapter": "ia3"}, ["ia3"]),
    ({"arch": "SDXL", "blocks": ["input_blocks.99"]}, ["input_blocks.99"]),
    ({"arch": "FLUX.1", "conv": True}, ["FLUX.1", "conv"]),
    ({"arch": "SD15", "text_encoder": ["te2"]}, ["te2"]),
])
def test_bad_options_name_the_problem(tmp_path, kwargs, words):
    with pytest.raises(ValueError) as err:
        make_lora(tmp_path / "x.safetensors", **kwargs)
    assert all(w in str(err.value) for w in words)


@pytest.mark.parametrize("preview", PREVIEW_SUFFIXES)
def test_sidecars_are_valid_json_and_previews_open(tmp_path, preview):
    spec = make_lora(tmp_path / "styles" / "ink_v2.safetensors", "SD15", "kohya", text_encoder=False)
    written = write_sidecars(spec.path, "SD15", trigger_words=["inkstyle"], tags=["style"], preview=preview,
                             civitai_info=True, plain_json=True, seed=5)
    assert written["preview"].name == "ink_v2" + preview
    with Image.open(written["preview"]) as img:
        img.load()
        assert img.size == (64, 80)
    meta = json.loads(written["metadata_json"].read_text())
    assert meta["file_name"] == "ink_v2" and meta["base_model"] == "SD 1.5"
    assert meta["size"] == spec.path.stat().st_size and len(meta["sha256"]) == 64
    assert meta["civitai"]["trainedWords"] == ["inkstyle"] and meta["tags"] == ["style"]
    assert meta["preview_url"].endswith("ink_v2" + preview)
    info = json.loads(written["civitai_info"].read_text())
    assert info["baseModel"] == "SD 1.5" and info["trainedWords"] == ["inkstyle"]
    assert json.loads(written["json"].read_text())["activation text"] == "inkstyle"


def test_sidecars_are_deterministic(tmp_path):
    spec = make_lora(tmp_path / "a.safetensors", "SD15", "kohya", text_encoder=False)
    first = {k: p.read_bytes() for k, p in write_sidecars(spec.path, "SD15", preview=".webp", seed=2).items()}
    second = {k: p.read_bytes() for k, p in write_sidecars(spec.path, "SD15", preview=".webp", seed=2).items()}
    assert first == second


@pytest.mark.parametrize(("arch", "marker"), [
    ("SD15", "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight"),
    ("SDXL", "model.diffusion_model.label_emb.0.0.weight"),
    ("FLUX.1", "double_blocks.0.img_attn.qkv.weight"),
    ("CHROMA", "distilled_guidance_layer.in_proj.weight"),
    ("SD3", "model.diffusion_model.joint_blocks.23.context_block.attn.qkv.weight"),
    ("WAN", "blocks.29.ffn.2.weight"),
])
def test_checkpoint_stub_has_the_architectures_key_names(tmp_path, arch, marker):
    keys = make_checkpoint_stub(tmp_path / "ckpt.safetensors", arch)
    tensors, _ = _read(tmp_path / "ckpt.safetensors")
    assert sorted(tensors) == keys and marker in tensors
    assert all(t.shape == (1,) for t in tensors.values())


def test_every_architecture_has_a_combination():
    combos = supported_combinations()
    assert {a for a, _, _ in combos} == set(ARCH_KEYS)
    assert ("SDXL", "kohya", "lokr") in combos and ("FLUX.1", "diffusers", "dora") in combos


def test_demo_library_is_small_varied_and_complete(tmp_path):
    from lwb_testkit.demo_library import make_demo_library

    specs = make_demo_library(tmp_path)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(specs) == 20 and all(s.path.is_file() for s in specs)
    assert sum(p.stat().st_size for p in files) < 60 * 2**20
    assert {s.path.relative_to(tmp_path).parts[0] for s in specs} >= {"characters", "styles", "concepts"}
    assert {s.arch for s in specs} == set(ARCH_KEYS)
    assert {s.adapter for s in specs} == {"lora", "loha", "lokr", "lokr_full", "dora", "full"}
    assert {s.naming for s in specs} == {"kohya", "diffusers", "comfy"}
    suffixes = {p.name.split(".", 1)[1] for p in files}
    assert {"metadata.json", "civitai.info", "json", "preview.png", "png", "jpg", "webp"} <= suffixes
