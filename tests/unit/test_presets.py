"""Preset expansion over the blocks a LoRA has."""

from __future__ import annotations

import pytest
from lora_weights_builder.modules.arch import ids as A
from lora_weights_builder.modules.blocks.layouts import ARCH_BLOCK_MAPPINGS
from lora_weights_builder.modules.blocks.presets import PRESET_COMPATIBLE_ARCHS, PRESET_STRATEGIES, vectors_for_preset


def test_seed_values_and_labels():
    assert list(PRESET_STRATEGIES) == ["LINEAR", "STYLE_FOCUSED", "BALANCED", "HEAVY_STYLE", "REALISM"]
    assert PRESET_STRATEGIES["HEAVY_STYLE"]["label"] == "Heavy Style Transfer"
    w = PRESET_STRATEGIES["STYLE_FOCUSED"]["weights"]
    assert (w["POSE"], w["IDENTITY"], w["STYLE"], w["DETAILS"], w["CLIP"], w["OTHER"]) == (0.6, 1.0, 1.4, 1.6, 1.0, 1.0)
    assert PRESET_STRATEGIES["REALISM"]["weights"]["STYLE"] == 1.05


def test_sdxl_style_focused_vector():
    blocks = ["te1_layer_0", "input_4", "input_8", "middle_0", "output_0", "output_4", "output_7", "base_embeds"]
    assert vectors_for_preset(A.SDXL, "STYLE_FOCUSED", blocks) == {
        "input_4": 0.6, "input_8": 0.6, "output_4": 1.4, "output_7": 1.6}
    assert vectors_for_preset(A.SDXL_PONY, "HEAVY_STYLE", ["middle_0"]) == {"middle_0": 1.2}
    assert vectors_for_preset(A.SDXL, "LINEAR", blocks) == {}


def test_depth_is_taken_from_the_present_blocks():
    medium = [f"joint_{i}" for i in range(24)]
    large = [f"joint_{i}" for i in range(38)]
    assert vectors_for_preset(A.SD3, "STYLE_FOCUSED", medium)["joint_23"] == 1.6
    assert vectors_for_preset(A.SD3, "STYLE_FOCUSED", medium)["joint_12"] == 1.4
    assert "joint_12" not in vectors_for_preset(A.SD3, "STYLE_FOCUSED", large)  # IDENTITY at depth 38


@pytest.mark.parametrize("arch", PRESET_COMPATIBLE_ARCHS)
def test_every_arch_with_blocks_gets_a_non_trivial_vector(arch):
    blocks = [b["id"] for b in ARCH_BLOCK_MAPPINGS[arch]["blocks"]]
    vec = vectors_for_preset(arch, "HEAVY_STYLE", blocks)
    assert set(vec.values()) == {0.4, 1.2, 1.6, 1.8}, arch
    assert all(b in blocks for b in vec)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"'SUPER'.*LINEAR, STYLE_FOCUSED"):
        vectors_for_preset(A.SDXL, "SUPER", ["input_4"])
    with pytest.raises(ValueError, match="UNKNOWN"):
        vectors_for_preset(A.UNKNOWN, "BALANCED", ["input_4"])
    with pytest.raises(ValueError, match="input_x"):
        vectors_for_preset(A.SDXL, "BALANCED", ["input_x"])
    assert A.UNKNOWN not in PRESET_COMPATIBLE_ARCHS


def test_values_are_rounded_and_near_one_dropped():
    vec = vectors_for_preset(A.FLUX1, "REALISM", ["double_0", "single_5", "single_30"])
    assert vec == {"single_5": 1.05, "single_30": 1.1}
