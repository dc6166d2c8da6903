"""The pack's block mapping agrees with the weights the real ComfyUI patches.

For every file the LoRA factory writes, ComfyUI's own key map (`comfy.lora.model_lora_keys_unet` /
`model_lora_keys_clip` on the real model classes, built on `meta`) and `comfy.lora.load_lora` say
which model weight each LoRA module patches. Every module the pack places in a block
(`blocks.layouts.block_of_key`) must be one ComfyUI patches, and the block must be the one that weight
belongs to: `diffusion_model.input_blocks.4.1...` is `input_4`, `double_blocks.3...` is `double_3`,
SDXL's `clip_l`/`clip_g` are `te1`/`te2`. A user weighting block `input_4` then changes exactly the
weights ComfyUI applies under `input_blocks.4`.
"""

from __future__ import annotations

import logging
import re

import pytest
from lora_weights_builder.modules.blocks.layouts import block_of_key, inspire_block_slots, module_of_key
from lwb_testkit.comfy_meta_models import lora_key_map
from lwb_testkit.lora_factory import ARCH_KEYS, make_lora, supported_combinations

pytestmark = pytest.mark.comfy

_MODEL_BLOCK = {  # ComfyUI model path (first two parts) -> our block section
    "input_blocks": "input", "output_blocks": "output", "double_blocks": "double", "single_blocks": "single",
    "joint_blocks": "joint", "blocks": "layers",
}
_DUAL_CLIP = {"SDXL", "SD3"}
_LAYER = re.compile(r"\.encoder\.(?:layers|block)\.(\d+)\.")


def expected_block(arch: str, target: str) -> str:
    """The block a ComfyUI target weight belongs to, read off ComfyUI's own state-dict key."""
    parts = target.split(".")
    if parts[0] == "diffusion_model":
        if parts[1] == "middle_block":
            return "middle_0"
        return f"{_MODEL_BLOCK[parts[1]]}_{int(parts[2])}"
    encoder = {"clip_l": "te1" if arch in _DUAL_CLIP else "te", "clip_g": "te2", "t5xxl": "t5"}[parts[0]]
    m = _LAYER.search(target)
    return f"{encoder}_layer_{int(m.group(1))}" if m else f"{encoder}_other"


@pytest.fixture(scope="module")
def key_maps(comfy):
    cache: dict[str, dict] = {}

    def get(arch: str) -> dict:
        if arch not in cache:
            cache[arch] = lora_key_map(comfy, arch)[0]
        return cache[arch]

    return get


def _target_name(value) -> str:
    """Key-map values are a weight name, (name, slice) or (name, None, function)."""
    return value if isinstance(value, str) else value[0]


def check_blocks_match_comfy(comfy, key_map: dict, spec, caplog) -> dict[str, str]:
    """Assert the pack's block of every module of `spec` is the block of the weight ComfyUI patches with it;
    returns {module: block}."""
    lora = comfy.utils.load_torch_file(str(spec.path), safe_load=True)
    with caplog.at_level(logging.WARNING):
        patches = comfy.lora.load_lora(comfy.lora_convert.convert_lora(lora), key_map)
    patched = {_target_name(k) for k in patches}
    blocks: dict[str, str] = {}
    for key in spec.keys:
        module = module_of_key(key)[0]
        block = block_of_key(spec.arch, key)
        assert blocks.setdefault(module, block) == block, f"{module}: its keys fall in different blocks"
    wrong = []
    for module, block in blocks.items():
        assert module in key_map, f"{spec.path.name}: {module} (our block {block}) is not a module ComfyUI maps"
        target = _target_name(key_map[module])
        assert target in patched, f"{spec.path.name}: ComfyUI did not patch {target} for {module}"
        if block != expected_block(spec.arch, target):
            wrong.append(f"{module}: ours {block}, ComfyUI patches {target}")
    assert wrong == [], f"{spec.arch} {spec.naming} {spec.adapter}: {len(wrong)} module(s) in the wrong block, " \
                        f"e.g. {wrong[:5]}"
    return blocks


@pytest.mark.parametrize(("arch", "naming", "adapter"), supported_combinations())
def test_every_module_is_in_the_block_comfyui_patches(comfy, key_maps, tmp_path, caplog, arch, naming, adapter):
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, adapter, rank=2, alpha=1.0)
    check_blocks_match_comfy(comfy, key_maps(arch), spec, caplog)


@pytest.mark.parametrize(("arch", "naming"), [(a, n) for a, keys in ARCH_KEYS.items() for n in keys.namings])
def test_every_layer_of_the_full_tables_is_in_its_block(comfy, key_maps, tmp_path, caplog, arch, naming):
    """Every layer the factory knows (all transformer depths, every text-encoder layer, LoCon convs)."""
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, "lora", modules="all", rank=1,
                     conv=ARCH_KEYS[arch].conv)
    blocks = check_blocks_match_comfy(comfy, key_maps(arch), spec, caplog)
    slots = inspire_block_slots(arch, spec.keys)
    if arch in ("SD15", "SDXL", "FLUX.1", "CHROMA"):  # the families Inspire gives block slots
        model_blocks = {b for b in blocks.values() if not b.startswith(("te", "t5"))}
        assert set(slots[1:]) == model_blocks
    else:
        assert slots == ["BASE"]
