"""Combiner outputs: Inspire vectors, schedule strings, verdicts, clip handling, determinism."""

from __future__ import annotations

import re

import pytest
from lora_weights_builder.modules.blocks.layouts import block_of_key, inspire_slots, module_of_key
from lora_weights_builder.modules.blocks.weights import module_multipliers
from lora_weights_builder.modules.combiner.analysis import LoraAnalyzer
from lora_weights_builder.modules.combiner.engine import CombineInput, combine
from lora_weights_builder.modules.combiner.report import lora_config_text, report_text
from lora_weights_builder.modules.combiner.verdicts import CompatEntry, check_compatibility
from lora_weights_builder.modules.library.roles import role_of_name
from lora_weights_builder.modules.schedule.model import LoraItem
from lora_weights_builder.modules.schedule.parse import parse_schedule_string
from lora_weights_builder.modules.schedule.serialize import serialize_schedule
from lwb_testkit.lora_factory import make_lora
from safetensors import safe_open

ENTRY = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def sdxl(tmp_path_factory):
    d = tmp_path_factory.mktemp("sdxl")
    return {
        "char": make_lora(d / "characters" / "alice.safetensors", arch="SDXL", rank=4, seed=1),
        "style": make_lora(d / "styles" / "ink.safetensors", arch="SDXL", rank=4, seed=2, text_encoder=False),
        "partial": make_lora(d / "misc" / "hands.safetensors", arch="SDXL", rank=4, seed=3,
                             blocks=["input_blocks.4", "output_blocks.1"], text_encoder=["te1"]),
        "sd15": make_lora(d / "old.safetensors", arch="SD15", rank=4, seed=4),
    }


def inp(spec, arch=None, sm=1.0, sc=1.0, vectors=None, name=None):
    """The LoRA as ComfyUI would list it: relative to the fixture's folder."""
    top = spec.path.parent.name.startswith("sdxl")
    rel = name or (spec.path.name if top else f"{spec.path.parent.name}/{spec.path.name}")
    return CombineInput(rel, str(spec.path), arch or spec.arch, role_of_name(rel),
                        LoraItem(rel, sm, sc, vectors=dict(vectors or {})))


def set_inputs(sdxl):
    return [inp(sdxl["char"], sm=0.9), inp(sdxl["style"], sm=1.2, sc=0.8), inp(sdxl["partial"], sc=0.6),
            inp(sdxl["sd15"]), inp(sdxl["char"], arch="UNKNOWN", name="mystery.safetensors")]


def test_role_comes_from_the_deepest_known_folder():
    assert role_of_name("characters/alice.safetensors") == "character"
    assert role_of_name("Styles\\ink\\v2.safetensors") == "style"
    assert role_of_name("characters/outfits/dress.safetensors") == "clothing"
    assert role_of_name("alice.safetensors") == "other"


def test_verdicts_exclude_other_families_and_unknown_layouts_with_reasons(sdxl):
    result = combine(set_inputs(sdxl), "budget", 1.5, LoraAnalyzer())
    codes = {v.code: v for v in result.verdicts}
    assert set(codes) == {"unknown_layout", "base_model_mismatch"}
    assert codes["unknown_layout"].loras == ("mystery.safetensors",)
    assert codes["base_model_mismatch"].loras == (result.loras[3].name,)
    assert result.family == "SDXL" and result.included == (0, 1, 2)
    assert result.loras[3].excluded_reason.startswith("base_model_mismatch")
    assert result.loras[4].inspire is None
    assert "EXCLUDED (unknown_layout" in report_text(result)


def test_layout_mismatch_names_the_weight_and_both_loras():
    small, large = {"layers_0_q": (1536, 1536)}, {"layers_0_q": (5120, 5120)}
    entries = [CompatEntry("a", "WAN", small), CompatEntry("b", "WAN", large), CompatEntry("c", "WAN", small),
               CompatEntry("d", "SDXL_PONY"), CompatEntry("e", "SDXL_PONY"), CompatEntry("f", "SDXL_ILLUSTRIOUS")]
    compat = check_compatibility(entries)
    assert compat.family == "WAN" and compat.included == (0, 2)
    mismatch = [v for v in compat.verdicts if v.code == "layout_mismatch"]
    assert mismatch[0].loras == ("b", "a") and "layers_0_q" in mismatch[0].detail
    assert check_compatibility(entries[3:]).verdicts[0].code == "lineage_mix"
    assert check_compatibility(entries[3:]).included == (0, 1, 2)


def test_unet_only_lora_gets_strength_clip_zero_and_clip_contributors_share_one_budget(sdxl):
    result = combine(set_inputs(sdxl), "budget", 1.0, LoraAnalyzer())
    char, style, partial = result.loras[:3]
    assert not style.has_clip and style.strength_clip == 0.0
    assert char.has_clip and partial.has_clip
    clip = next(u for u in result.units if u.unit == "CLIP")
    assert clip.combined_requested > clip.budget
    assert clip.factors[0] == clip.factors[2] < 1
    assert char.strength_clip == pytest.approx(1.0 * clip.factors[0], abs=1e-4)
    assert partial.strength_clip == pytest.approx(0.6 * clip.factors[0], abs=1e-4)


@pytest.mark.parametrize("which", ["char", "style", "partial"])
def test_inspire_vector_is_pasteable(sdxl, which):
    result = combine(set_inputs(sdxl), "budget", 1.0, LoraAnalyzer())
    lora = result.loras[["char", "style", "partial"].index(which)]
    slots = inspire_slots("SDXL", make_keys(sdxl[which]))
    entries = lora.inspire.text.split(",")
    assert len(entries) >= 12 and all(ENTRY.match(e) for e in entries)
    assert lora.inspire.slot_count == len(slots)
    assert list(lora.inspire.labels[:len(slots)]) == [s.label for s in slots]
    for slot, entry in zip(slots[1:], entries[1:], strict=False):
        assert float(entry) == lora.values[slot.blocks[0]]
    if which == "partial":
        assert lora.inspire.slot_count == 3 and set(entries[2:]) == {entries[2]}, "padding repeats the last value"


def make_keys(spec):
    with safe_open(str(spec.path), framework="pt") as f:
        return list(f.keys())


def test_schedule_string_carries_the_values_and_the_pack_applies_them_per_block(sdxl):
    result = combine(set_inputs(sdxl), "budget", 1.0, LoraAnalyzer())
    text = serialize_schedule(result.schedule_items())
    parsed = parse_schedule_string(text)
    assert [p.lora_name for p in parsed] == ["alice", "ink", "hands"]
    for item, k in zip(parsed, result.included, strict=True):
        lora = result.loras[k]
        assert (item.strength_model, item.strength_clip) == (lora.strength_model, lora.strength_clip)
        keys = make_keys([sdxl["char"], sdxl["style"], sdxl["partial"]][k])
        mults = module_multipliers("SDXL", keys, item.preset, item.vectors)
        for key in keys:
            module, block = module_of_key(key)[0], block_of_key("SDXL", key)
            if not block.startswith("te"):
                assert mults.get(module, 1.0) == lora.values[block], f"{lora.name}: {key}"


def test_weighted_policy_keeps_requested_values(sdxl):
    vectors = {"output_1": 0.5, "input_4": 0}
    result = combine([inp(sdxl["char"], sm=0.7, vectors=vectors), inp(sdxl["style"])], "weighted", 1.0, LoraAnalyzer())
    char = result.loras[0]
    assert char.values["output_1"] == 0.5 and char.values["input_4"] == 0.0 and char.values["output_2"] == 1.0
    assert char.strength_model == 0.7 and char.strength_clip == 1.0
    assert char.inspire.text.startswith("1,0,")


def test_same_inputs_give_byte_identical_outputs(sdxl):
    a = combine(set_inputs(sdxl), "role_aware", 1.2, LoraAnalyzer())
    warm = LoraAnalyzer()
    warm.grams([str(sdxl["partial"].path), str(sdxl["style"].path)], ["SDXL", "SDXL"])  # a different cold order
    b = combine(set_inputs(sdxl), "role_aware", 1.2, warm)
    c = combine(set_inputs(sdxl), "role_aware", 1.2, warm)
    outs = [(report_text(r), lora_config_text(r), serialize_schedule(r.schedule_items())) for r in (a, b, c)]
    assert outs[0] == outs[1] == outs[2]


def test_bad_policy_headroom_and_block_are_named(sdxl):
    with pytest.raises(ValueError, match="unknown policy 'loud'"):
        combine(set_inputs(sdxl), "loud", 1.0, LoraAnalyzer())
    with pytest.raises(ValueError, match="headroom"):
        combine(set_inputs(sdxl), "budget", 0.0, LoraAnalyzer())
    with pytest.raises(ValueError, match="alice.*double_3"):
        combine([inp(sdxl["char"], vectors={"double_3": 0.5})], "budget", 1.0, LoraAnalyzer())
