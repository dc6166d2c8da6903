"""Combiner maths against brute force: every ΔW materialised in float64 with torch (ComfyUI's formulas)."""

from __future__ import annotations

import math

import pytest
from lora_weights_builder.modules.combiner.analysis import LoraAnalyzer
from lora_weights_builder.modules.combiner.engine import CombineInput, combine
from lora_weights_builder.modules.combiner.maths import UnitMaths
from lora_weights_builder.modules.combiner.policies import budget_factors, role_aware_factors
from lora_weights_builder.modules.schedule.model import LoraItem
from lwb_testkit.dense_deltas import brute, materialise
from lwb_testkit.lora_factory import make_lora

REL = 1e-5


@pytest.fixture(scope="module")
def sd15_set(tmp_path_factory):
    d = tmp_path_factory.mktemp("sd15")
    # Blocks of the 320/640-channel levels keep the dense float64 matrices small.
    a = make_lora(d / "characters" / "a.safetensors", arch="SD15", rank=4, alpha=2, seed=1,
                  blocks=["input_blocks.1", "input_blocks.4", "output_blocks.9", "output_blocks.10"])
    b = make_lora(d / "styles" / "b.safetensors", arch="SD15", rank=4, seed=2, text_encoder=False,
                  blocks=["input_blocks.4", "output_blocks.9", "output_blocks.10", "output_blocks.11"])
    c = make_lora(d / "c.safetensors", arch="SD15", adapter="loha", rank=2, alpha=1, seed=3,
                  blocks=["input_blocks.1", "output_blocks.9"])
    return [a, b, c]


@pytest.fixture(scope="module")
def sd15_deltas(sd15_set):
    return [materialise(s) for s in sd15_set]


def inputs_for(specs, strengths, vectors=None):
    vectors = vectors or [{}] * len(specs)
    return [CombineInput(s.path.name, str(s.path), "SD15", role, LoraItem(s.path.name, sm, sc, vectors=v))
            for s, (sm, sc), v, role in zip(specs, strengths, vectors, ["character", "style", "other"], strict=True)]


STRENGTHS = [(0.9, 0.7), (1.3, 1.0), (-0.6, 0.5)]
VECTORS = [{"output_9": 0.5, "input_4": 2.0}, {}, {"input_1": 0.25}]


def coefficient(strength, vector):
    return lambda u: strength[1] if u == "CLIP" else strength[0] * vector.get(u, 1.0)


def test_norms_cosines_and_combined_norm_match_materialised_deltas(sd15_set, sd15_deltas):
    result = combine(inputs_for(sd15_set, STRENGTHS, VECTORS), "weighted", 1.0, LoraAnalyzer())
    expected = brute(sd15_deltas,
                     [coefficient(s, v) for s, v in zip(STRENGTHS, VECTORS, strict=True)])
    assert [r.unit for r in result.units][-1] == "CLIP"
    assert {r.unit for r in result.units} == set(expected)
    for row in result.units:
        e = expected[row.unit]
        for got, want in zip(row.requested_norms, e["norms"], strict=True):
            assert got == pytest.approx(want, rel=REL, abs=1e-12)
        assert row.combined_requested == pytest.approx(e["combined"], rel=REL)
        for (i, j), cos in row.cosines.items():
            want = e["gram"][(i, j)] / math.sqrt(e["sq"][i] * e["sq"][j])
            assert cos == pytest.approx(want, abs=REL)
        assert row.factors == (1.0, 1.0, 1.0), "weighted keeps the requested strengths"
    assert sum(len(row.cosines) for row in result.units) >= 4, "the set must overlap in several blocks"


def test_budget_scales_each_block_to_its_budget_exactly(sd15_set, sd15_deltas):
    headroom = 1.1
    result = combine(inputs_for(sd15_set, STRENGTHS, VECTORS), "budget", headroom, LoraAnalyzer())
    deltas = sd15_deltas
    expected = brute(deltas, [coefficient(s, v) for s, v in zip(STRENGTHS, VECTORS, strict=True)])
    scaled = 0
    for row in result.units:
        e = expected[row.unit]
        budget = headroom * max(math.sqrt(v) for v in e["sq"])
        assert row.budget == pytest.approx(budget, rel=REL)
        want = min(1.0, budget / e["combined"])
        assert row.factors == pytest.approx((want,) * 3, rel=REL)
        scaled += want < 1
    assert scaled >= 2, "the test set must exercise the scaling"
    # The outputs (rounded to 4 decimals) give a combined change at the budget, from dense matrices.
    out = result.loras
    achieved = brute(deltas, [lambda u, lo=lo: lo.strength_clip if u == "CLIP" else lo.strength_model * lo.values[u]
                              for lo in out])
    for row in result.units:
        assert row.combined_result == pytest.approx(achieved[row.unit]["combined"], rel=REL)
        assert row.combined_result <= row.budget * (1 + 1e-3)


def um(m, norms=(1.0, 1.0)):
    return UnitMaths("u", ("u",), tuple(tuple(r) for r in m), tuple(norms))


def test_budget_loses_more_for_aligned_than_orthogonal_and_nothing_for_opposed():
    assert budget_factors(um([[1, 1], [1, 1]]), 1.0) == pytest.approx([0.5, 0.5])
    assert budget_factors(um([[1, 0], [0, 1]]), 1.0) == pytest.approx([1 / math.sqrt(2)] * 2)
    assert budget_factors(um([[1, -1], [-1, 1]]), 1.0) == [1.0, 1.0]


def test_role_aware_scales_the_lower_priority_tier_first():
    # Orthogonal, headroom 1.2: the low tier keeps x with 1 + x² = 1.44.
    assert role_aware_factors(um([[1, 0], [0, 1]]), 1.2, [7, 3]) == pytest.approx([1.0, math.sqrt(0.44)])
    # Aligned, headroom 1: the low tier goes to 0 and the high tier alone fits.
    assert role_aware_factors(um([[1, 1], [1, 1]]), 1.0, [3, 7]) == pytest.approx([0.0, 1.0])
    # Equal priority: the budget policy.
    m = [[1, 0.3], [0.3, 2]]
    assert role_aware_factors(um(m, (1, math.sqrt(2))), 1.0, [5, 5]) == pytest.approx(
        budget_factors(um(m, (1, math.sqrt(2))), 1.0))
    # Two high-priority aligned LoRAs over budget even with the low tier at 0: they share the cut.
    m3 = [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    t = role_aware_factors(UnitMaths("u", ("u",), tuple(map(tuple, m3)), (1, 1, 1)), 1.0, [7, 7, 1])
    assert t == pytest.approx([0.5, 0.5, 0.0])
