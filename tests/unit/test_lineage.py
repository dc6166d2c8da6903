"""SDXL lineage heuristic: every rule can fire, and ordinary LoRAs stay plain SDXL."""

from __future__ import annotations

import pytest
from lora_weights_builder.modules.arch import ids as A
from lora_weights_builder.modules.arch.lineage import classify_sdxl_lineage, explain_sdxl_lineage
from lora_weights_builder.modules.blocks.energy import compute_stats, summarise
from lora_weights_builder.modules.blocks.layouts import block_metadata


def stats_for(energies: dict[str, float]) -> dict:
    """Stats exactly as compute_stats builds them, from chosen per-block squared norms."""
    stats = summarise(A.SDXL, energies)
    stats["block_metadata"] = {b: block_metadata(A.SDXL, b) for b in stats["energy_distribution"]}
    return stats


EVEN = {b: 1.0 for b in ["input_4", "input_5", "input_7", "input_8", "middle_0", "output_0", "output_1", "output_2",
                         "output_3", "output_4", "output_5"]}


@pytest.mark.parametrize(("energies", "lineage"), [
    ({**EVEN, "output_3": 60.0, "output_4": 1.0, "output_5": 50.0}, A.SDXL_PONY),
    ({**EVEN, "middle_0": 20.0}, A.SDXL_NOOBAI),
    ({"input_1": 1.0, "input_2": 1.0, "input_4": 1.0, "input_5": 1.0, "input_7": 1.0, "input_8": 1.0,
      "middle_0": 1.0, "output_0": 0.8, "output_1": 0.8}, A.SDXL_ILLUSTRIOUS),
    ({"input_4": 1.0, "middle_0": 1.0, "output_2": 1.0, "output_6": 1.3, "output_7": 1.3, "output_8": 1.3},
     A.SDXL_REALISM),
    (EVEN, A.SDXL),
])
def test_each_rule_can_fire_from_computed_stats(energies, lineage):
    assert classify_sdxl_lineage(stats_for(energies)) == lineage, explain_sdxl_lineage(stats_for(energies))


def test_no_energy_or_too_few_blocks_stay_sdxl():
    assert classify_sdxl_lineage(stats_for({b: 0.0 for b in EVEN})) == A.SDXL
    assert classify_sdxl_lineage(stats_for({"middle_0": 5.0})) == A.SDXL
    assert classify_sdxl_lineage({}) == A.SDXL
    assert classify_sdxl_lineage({"mid_ratio": float("nan"), "energy_distribution": None}) == A.SDXL


def test_a_real_evenly_trained_lora_is_not_labelled_a_lineage(tmp_path):
    factory = pytest.importorskip("lwb_testkit.lora_factory")
    path = tmp_path / "sdxl_even.safetensors"
    factory.make_lora(path, arch="SDXL", naming="kohya", adapter="lora", rank=2, alpha=1, modules="all",
                      text_encoder=False)
    stats = compute_stats(path, A.SDXL)
    assert stats["input_ratio"] > 0 and stats["mid_ratio"] > 0 and stats["output_ratio"] > 0
    assert classify_sdxl_lineage(stats) == A.SDXL, explain_sdxl_lineage(stats)
