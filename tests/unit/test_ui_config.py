"""GET /config payload: same data the nodes use, JSON-safe, stable."""

from __future__ import annotations

import json

from lora_weights_builder.modules.arch import ids as A
from lora_weights_builder.modules.blocks.layouts import ARCH_BLOCK_MAPPINGS
from lora_weights_builder.modules.blocks.presets import PRESET_STRATEGIES
from lora_weights_builder.modules.ui_config import get_ui_config


def test_keys_in_stable_order_and_json_safe():
    cfg = get_ui_config()
    assert list(cfg) == ["config_version", "ARCH_BLOCK_MAPPINGS", "PRESET_COMPATIBLE_ARCHS", "PRESET_STRATEGIES",
                         "BLOCK_ORDER", "BLOCK_GROUPS"]
    text = json.dumps(cfg, allow_nan=False)
    assert text == json.dumps(get_ui_config(), allow_nan=False)
    assert json.loads(text) == cfg


def test_content_is_the_backend_tables():
    cfg = get_ui_config()
    assert cfg["ARCH_BLOCK_MAPPINGS"] == ARCH_BLOCK_MAPPINGS
    assert cfg["PRESET_STRATEGIES"] == PRESET_STRATEGIES
    assert cfg["BLOCK_ORDER"][:4] == ["te", "te1", "te2", "t5"]
    assert [g["id"] for g in cfg["BLOCK_GROUPS"]] == ["POSE", "IDENTITY", "STYLE", "DETAILS", "CLIP", "OTHER"]
    assert A.SDXL in cfg["PRESET_COMPATIBLE_ARCHS"] and A.WAN in cfg["PRESET_COMPATIBLE_ARCHS"]


def test_callers_cannot_mutate_the_backend_tables():
    cfg = get_ui_config()
    cfg["ARCH_BLOCK_MAPPINGS"][A.SDXL]["blocks"].clear()
    cfg["PRESET_STRATEGIES"]["LINEAR"]["weights"]["POSE"] = 9
    assert ARCH_BLOCK_MAPPINGS[A.SDXL]["blocks"]
    assert PRESET_STRATEGIES["LINEAR"]["weights"]["POSE"] == 1.0
