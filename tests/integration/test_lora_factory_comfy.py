"""The factory's LoRA files, read by the real ComfyUI: every key maps, every patch fits its weight.

ComfyUI's key map comes from its own model and text-encoder classes built on the `meta` device
(`lwb_testkit.comfy_meta_models`), so the check needs no model file.
"""

from __future__ import annotations

import logging
import math

import pytest
import torch
from lwb_testkit.comfy_inprocess import load_comfy
from lwb_testkit.comfy_meta_models import lora_key_map
from lwb_testkit.lora_factory import ARCH_KEYS, make_lora, supported_combinations

pytestmark = pytest.mark.comfy

SHAPE_CHECK_LIMIT = 30_000_000  # elements: skip calculate_weight on the few huge fused weights to save time


@pytest.fixture(scope="module")
def comfy():
    return load_comfy()


@pytest.fixture(scope="module")
def key_maps(comfy):
    cache: dict[str, tuple[dict, dict]] = {}

    def get(arch: str):
        if arch not in cache:
            cache[arch] = lora_key_map(comfy, arch)
        return cache[arch]

    return get


def _patch_key(module):
    """The key `comfy.lora.load_lora` files a module's patch under."""
    if module.offset is None:
        return module.target
    return module.target, module.offset


def _check_patch_fits(comfy, caplog, name, full_shape, patch, offset, function):
    weight = torch.full(full_shape, 0.01)
    before = weight.clone()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        out = comfy.lora.calculate_weight([(1.0, patch, 1.0, offset, function)], weight, name)
    problems = [r.getMessage() for r in caplog.records]
    assert problems == [], f"{name}: {problems}"
    changed = out != before
    if offset is None:
        assert changed.any(), f"{name}: the patch changed nothing"
        return
    dim, start, length = offset
    assert changed.narrow(dim, start, length).any(), f"{name}: the slice {offset} did not change"
    outside = torch.cat([changed.narrow(dim, 0, start),
                         changed.narrow(dim, start + length, full_shape[dim] - start - length)], dim)
    assert not outside.any(), f"{name}: a slice patch changed rows outside {offset}"


def _check_file(comfy, key_maps, spec, caplog, shape_checks: int | None = 6, only_conv: bool = False):
    key_map, shapes = key_maps(spec.arch)
    lora = comfy.utils.load_torch_file(str(spec.path), safe_load=True)
    assert sorted(lora) == list(spec.keys)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        patches = comfy.lora.load_lora(comfy.lora_convert.convert_lora(lora), key_map)
    not_loaded = [r.getMessage() for r in caplog.records if "lora key not loaded" in r.getMessage()]
    assert not_loaded == []
    expected = {}
    for m in spec.modules:
        expected[_patch_key(m)] = m
        if spec.adapter == "full" and m.bias and m.offset is None:
            expected[m.target[: -len(".weight")] + ".bias"] = m
    # Keys are "target", (target, offset) for slices, or (target, None, fn) for ComfyUI's scale/shift swap.
    got = {k if isinstance(k, str) else (k[0] if k[1] is None else k[:2]): v for k, v in patches.items()}
    assert set(got) == set(expected)
    for key in got:
        target = key if isinstance(key, str) else key[0]
        assert target in shapes, f"{target} is not a weight of the {spec.arch} model"
    # The patch must produce a delta of the real weight's shape (ComfyUI logs and skips it otherwise).
    # One patch per distinct geometry (weight shape, slice, conv or not) covers every reshape path.
    seen = set()
    for key, patch in patches.items():
        name, offset, function = (key, None, None) if isinstance(key, str) else (*key, None)[:3]
        full_shape = tuple(shapes[name])
        geometry = (full_shape, offset)
        if geometry in seen or math.prod(full_shape) > SHAPE_CHECK_LIMIT or (only_conv and len(full_shape) != 4):
            continue
        if shape_checks is not None and len(seen) >= shape_checks:
            break
        seen.add(geometry)
        _check_patch_fits(comfy, caplog, name, full_shape, patch, offset, function)
    assert seen, f"{spec.path.name}: no patch was shape-checked"
    return patches


@pytest.mark.parametrize(("arch", "naming", "adapter"), supported_combinations())
def test_every_key_maps_and_fits(comfy, key_maps, tmp_path, caplog, arch, naming, adapter):
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, adapter, alpha=2.0, seed=1)
    patches = _check_file(comfy, key_maps, spec, caplog)
    n_bias = sum(1 for m in spec.modules if adapter == "full" and m.bias and m.offset is None)
    assert len(patches) == len(spec.modules) + n_bias


@pytest.mark.parametrize("adapter", ["lora", "loha", "lokr", "lokr_full", "dora"])
@pytest.mark.parametrize("arch", ["SD15", "SDXL"])
@pytest.mark.parametrize("naming", ["kohya", "diffusers", "comfy"])
def test_locon_conv_layers_map_and_fit(comfy, key_maps, tmp_path, caplog, arch, naming, adapter):
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, adapter, conv=True, text_encoder=False, rank=2,
                     alpha=1.0)
    assert any(len(m.shape) == 4 and m.shape[2:] == (3, 3) for m in spec.modules)
    # Shape-check every distinct conv geometry: the kernel reshape is where a LoCon file goes wrong.
    _check_file(comfy, key_maps, spec, caplog, shape_checks=None, only_conv=True)


@pytest.mark.parametrize(("arch", "naming"), [(a, n) for a, keys in ARCH_KEYS.items() for n in keys.namings])
def test_full_module_tables_map(comfy, key_maps, tmp_path, caplog, arch, naming):
    """Every layer of the `all` tables (fused qkv, MLPs, modulation, every TE layer) is a real weight."""
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, "lora", modules="all", rank=1,
                     conv=ARCH_KEYS[arch].conv)
    _check_file(comfy, key_maps, spec, caplog, shape_checks=3)


def test_block_subset_only_patches_those_blocks(comfy, key_maps, tmp_path, caplog):
    spec = make_lora(tmp_path / "x.safetensors", "SDXL", "kohya", blocks=["input_blocks.4", "output_blocks.0"],
                     text_encoder=["te2"])
    patches = _check_file(comfy, key_maps, spec, caplog)
    targets = {k if isinstance(k, str) else k[0] for k in patches}
    assert {t.split(".")[1] + "." + t.split(".")[2] for t in targets if t.startswith("diffusion_model.")} == {
        "input_blocks.4", "output_blocks.0"}
    assert {t for t in targets if not t.startswith("diffusion_model.")} and all(
        t.startswith(("diffusion_model.", "clip_g.")) for t in targets)
