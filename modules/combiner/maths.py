"""Per-unit quadratic forms of a LoRA set, from per-block energies and inner products.

Notation: G_ij[b] = ⟨ΔW_i,b, ΔW_j,b⟩_F at strength 1 (G_ii[b] = ‖ΔW_i,b‖²), k_i[b] the requested
coefficient of LoRA i in block b: strength_model·w_i[b] on the diffusion model, strength_clip·w_i[b]
on the text encoders. A *unit* is what one number of the output scales: a main-stack block, `BASE`
(the model's non-block weights: embeddings, head, unrecognised keys; Inspire's BASE slot) or `CLIP`
(every text-encoder layer; the LoRA's strength_clip). Blocks of a unit patch different weights, so
their squares add up exactly:

    M_ij(u) = Σ_{b∈u} k_i[b]·k_j[b]·G_ij[b]          (the unit's Gram matrix at requested strengths)
    ‖ΔW_i,u‖ = √M_ii                                (LoRA i's change in u, as requested)
    ‖Σ_i t_i·k_i·ΔW_i,u‖² = Σ_ij t_i·t_j·M_ij       (the combined change when LoRA i is scaled by t_i)
    cos_ij(b) = G_ij[b] / √(G_ii[b]·G_jj[b])        (0 when either change is 0)
    S_i(u) = √Σ_{b∈u} G_ii[b]                        (LoRA i's change in u at strength 1, vector 1)

Sums use math.fsum in a fixed (sorted) order, so the results do not depend on dict order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..blocks.layouts import BASE_BUCKETS, TEXT_ENCODERS, block_sort_key, split_block_id

BASE_UNIT = "BASE"
CLIP_UNIT = "CLIP"

Gram = dict[tuple[int, int], dict[str, float]]  # (i, j) with i < j -> {block: G_ij[b]}


def unit_of_block(block: str) -> str:
    section, _ = split_block_id(block)
    if section in TEXT_ENCODERS:
        return CLIP_UNIT
    if section in BASE_BUCKETS:
        return BASE_UNIT
    return block


def unit_sort_key(unit: str) -> tuple[int, tuple[int, int]]:
    """BASE first, then main-stack blocks in model order, CLIP last."""
    if unit == BASE_UNIT:
        return 0, (0, 0)
    if unit == CLIP_UNIT:
        return 2, (0, 0)
    return 1, block_sort_key(unit)


def gram_entry(gram: Gram, block_sq: list[dict[str, float]], i: int, j: int, block: str) -> float:
    """G_ij[b] (the diagonal comes from the per-LoRA energies)."""
    if i == j:
        return block_sq[i].get(block, 0.0)
    a, b = (i, j) if i < j else (j, i)
    return gram.get((a, b), {}).get(block, 0.0)


def cosine(gram: Gram, block_sq: list[dict[str, float]], i: int, j: int, block: str) -> float:
    """cos_ij(b), clamped to [-1, 1]; 0 when either LoRA has no change in the block."""
    ni, nj = block_sq[i].get(block, 0.0), block_sq[j].get(block, 0.0)
    if ni <= 0 or nj <= 0:
        return 0.0
    return max(-1.0, min(1.0, gram_entry(gram, block_sq, i, j, block) / math.sqrt(ni * nj)))


@dataclass(frozen=True)
class UnitMaths:
    """The quadratic form of one unit: `m` (n×n, M_ij), `unit_norms` S_i, and its blocks."""

    unit: str
    blocks: tuple[str, ...]
    m: tuple[tuple[float, ...], ...]
    unit_norms: tuple[float, ...]

    def requested_norm(self, i: int) -> float:
        return math.sqrt(max(0.0, self.m[i][i]))

    def combined_norm(self, t: list[float] | tuple[float, ...] | None = None) -> float:
        """‖Σ_i t_i·k_i·ΔW_i,u‖ (t = 1 for every LoRA when None)."""
        n = len(self.m)
        t = t if t is not None else (1.0,) * n
        return math.sqrt(max(0.0, math.fsum(t[i] * t[j] * self.m[i][j] for i in range(n) for j in range(n))))


def unit_maths(unit: str, blocks: list[str], coeffs: list[dict[str, float]], gram: Gram,
               block_sq: list[dict[str, float]]) -> UnitMaths:
    """M(u) and S(u) over `blocks` for LoRAs with coefficients `coeffs[i][block]` (missing: 0)."""
    n = len(coeffs)
    blocks = sorted(blocks, key=block_sort_key)
    m = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            v = math.fsum(coeffs[i].get(b, 0.0) * coeffs[j].get(b, 0.0) * gram_entry(gram, block_sq, i, j, b)
                          for b in blocks)
            m[i][j] = m[j][i] = v
    norms = tuple(math.sqrt(math.fsum(block_sq[i].get(b, 0.0) for b in blocks)) for i in range(n))
    return UnitMaths(unit, tuple(blocks), tuple(tuple(row) for row in m), norms)


def unit_cosines(um: UnitMaths) -> tuple[tuple[float, ...], ...]:
    """M_ij / √(M_ii·M_jj) for every pair (1 on the diagonal; 0 when either change is 0), clamped to [-1, 1].

    The cosine of the LoRAs' changes in the unit *as requested* (strength and block-value signs included):
    the geometry the policies act on."""
    n = len(um.m)
    rows = []
    for i in range(n):
        row = []
        for j in range(n):
            a, b = um.m[i][i], um.m[j][j]
            row.append(0.0 if a <= 0 or b <= 0 else
                       1.0 if i == j else max(-1.0, min(1.0, um.m[i][j] / math.sqrt(a * b))))
        rows.append(tuple(row))
    return tuple(rows)
