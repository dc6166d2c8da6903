"""The interference-aware budget against brute force: dense float64 ΔW of real factory files.

For every block the Gram matrix M is rebuilt from materialised ΔW (lwb_testkit.dense_deltas), and the
combiner's factors are checked for the stated properties — within budget, none raised, opposed LoRAs
not cut, aligned LoRAs cut more than orthogonal ones — and for optimality against a grid search over
every factor triple in [0, 1]³ (no feasible triple removes less of the LoRAs' changes).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from lora_weights_builder.modules.combiner.analysis import LoraAnalyzer
from lora_weights_builder.modules.combiner.engine import CombineInput, combine
from lora_weights_builder.modules.combiner.interference import interference_factors
from lora_weights_builder.modules.combiner.maths import UnitMaths
from lora_weights_builder.modules.combiner.policies import budget_factors
from lora_weights_builder.modules.schedule.model import LoraItem
from lwb_testkit.dense_deltas import materialise
from lwb_testkit.lora_factory import make_lora

BLOCKS = ["input_blocks.1", "input_blocks.4", "output_blocks.9", "output_blocks.10"]
GRID = np.linspace(0.0, 1.0, 121)
REL = 1e-5  # the engine's inner products come from the factors, the brute force's from dense float64 ΔW


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("interference")
    # `aligned` is `base` with another alpha: the same direction in every block (cosine 1), another size.
    base = make_lora(d / "a.safetensors", arch="SD15", rank=4, alpha=2, seed=1, blocks=BLOCKS, text_encoder=False)
    aligned = make_lora(d / "a2.safetensors", arch="SD15", rank=4, alpha=3, seed=1, blocks=BLOCKS,
                        text_encoder=False)
    orthogonal = make_lora(d / "o.safetensors", arch="SD15", rank=4, alpha=4, seed=5, blocks=BLOCKS,
                           text_encoder=False)
    specs = {"base": base, "aligned": aligned, "orthogonal": orthogonal}
    return specs, {k: materialise(s) for k, s in specs.items()}


def dense_gram(deltas: list[dict], strengths: list[float]) -> dict[str, tuple[np.ndarray, list[float]]]:
    """Per unit: M_ij = ⟨k_i·ΔW_i, k_j·ΔW_j⟩ and each LoRA's ‖ΔW_i‖ at strength 1, from dense matrices."""
    out = {}
    for unit in sorted({u for d in deltas for u, _ in d.values()}):
        targets = sorted({t for d in deltas for t, (u, _) in d.items() if u == unit})
        n = len(deltas)
        m = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                m[i, j] = strengths[i] * strengths[j] * sum(
                    float((deltas[i][t][1] * deltas[j][t][1]).sum()) for t in targets
                    if t in deltas[i] and t in deltas[j])
        unit_norms = [math.sqrt(sum(float(d[t][1].pow(2).sum()) for t in targets if t in d)) for d in deltas]
        out[unit] = (m, unit_norms)
    return out


def run(specs: list, strengths: list[float], headroom: float):
    inputs = [CombineInput(s.path.name, str(s.path), "SD15", "other", LoraItem(s.path.name, k, 1.0))
              for s, k in zip(specs, strengths, strict=True)]
    return combine(inputs, "interference", headroom, LoraAnalyzer())


def grid_best(m: np.ndarray, budget: float) -> float:
    """The least Σ M_ii·(1 − t_i)² over the feasible grid points of [0, 1]³."""
    d = np.diag(m)
    best = math.inf
    for a in GRID:
        t = np.stack(np.meshgrid([a], GRID, GRID, indexing="ij"), -1).reshape(-1, 3)
        feasible = np.einsum("ki,ij,kj->k", t, m, t) <= budget * budget
        if feasible.any():
            best = min(best, float(((1 - t[feasible]) ** 2 @ d).min()))
    return best


def check_unit(t: np.ndarray, m: np.ndarray, budget: float) -> None:
    assert ((t >= 0) & (t <= 1)).all(), t
    assert float(t @ m @ t) <= budget * budget * (1 + REL), "within budget (dense ΔW)"
    removed = float(((1 - t) ** 2) @ np.diag(m))
    assert removed <= grid_best(m, budget) + REL * float(np.trace(m)), "no feasible grid point removes less"


def test_two_aligned_and_one_orthogonal_lora(files):
    specs, deltas = files
    order = ["base", "aligned", "orthogonal"]
    strengths = [1.0, 0.8, 1.0]
    headroom = 1.3
    result = run([specs[k] for k in order], strengths, headroom)
    dense = dense_gram([deltas[k] for k in order], strengths)
    assert {row.unit for row in result.units} == set(dense)
    cut = 0
    for row in result.units:
        m, unit_norms = dense[row.unit]
        budget = headroom * max(unit_norms)
        assert row.budget == pytest.approx(budget, rel=1e-5)
        assert m[0, 1] / math.sqrt(m[0, 0] * m[1, 1]) == pytest.approx(1.0, abs=1e-6), "the pair is aligned"
        assert abs(m[0, 2] / math.sqrt(m[0, 0] * m[2, 2])) < 0.2, "the third is nearly orthogonal"
        t = np.array(row.factors)
        check_unit(t, m, budget)
        if t.min() < 1:
            cut += 1
            assert max(t[0], t[1]) < t[2] - 0.05, f"{row.unit}: the aligned pair is cut more than the orthogonal one"
            # Each LoRA loses in proportion to the share of the combined change along it: one μ per block.
            mu = (1 - t) * np.diag(m) / (m @ t)
            assert mu == pytest.approx(np.full(3, mu[2]), rel=1e-3), mu
        achieved = float(np.array([lo.strength_model * lo.values[row.unit] / k for lo, k in
                                   zip(result.loras, strengths, strict=True)]) @ m @
                         np.array([lo.strength_model * lo.values[row.unit] / k for lo, k in
                                   zip(result.loras, strengths, strict=True)]))
        assert math.sqrt(achieved) <= budget * (1 + 1e-3), "the rounded outputs stay within budget"
    assert cut == len(result.units), "headroom 1.3 must cut every block of this set"


def test_an_opposed_lora_is_not_cut(files):
    specs, deltas = files
    order = ["base", "aligned", "orthogonal"]
    strengths = [1.2, -0.4, 1.0]  # `aligned` at a negative strength points against `base`
    headroom = 1.0
    result = run([specs[k] for k in order], strengths, headroom)
    dense = dense_gram([deltas[k] for k in order], strengths)
    for row in result.units:
        m, unit_norms = dense[row.unit]
        budget = headroom * max(unit_norms)
        t = np.array(row.factors)
        check_unit(t, m, budget)
        assert t[1] == 1.0, f"{row.unit}: the opposed LoRA keeps its strength"
        assert t[0] < 1 and t[2] < 1, "the others carry the cut"
        combined = sum(t[j] * m[1, j] for j in range(3))
        assert combined < 0, "its change points against the combined change"


def test_factors_follow_the_loras_not_their_order(files):
    specs, _ = files
    order = ["base", "aligned", "orthogonal"]
    forward = run([specs[k] for k in order], [1.0, 0.8, 1.0], 1.3)
    backward = run([specs[k] for k in reversed(order)], [1.0, 0.8, 1.0][::-1], 1.3)
    for a, b in zip(forward.units, backward.units, strict=True):
        assert a.factors == pytest.approx(b.factors[::-1], abs=1e-9)
    again = run([specs[k] for k in order], [1.0, 0.8, 1.0], 1.3)
    assert [u.factors for u in again.units] == [u.factors for u in forward.units], "deterministic"


def test_mutually_orthogonal_loras_get_the_budget_policy_factors():
    m = ((4.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 2.25))
    um = UnitMaths("input_4", ("input_4",), m, (2.0, 1.0, 1.5))
    budget = 1.5 * 2.0
    assert interference_factors(m, budget) == pytest.approx(budget_factors(um, 1.5), abs=1e-9)
    assert interference_factors(m, 100.0) == [1.0, 1.0, 1.0], "within budget: nothing cut"
