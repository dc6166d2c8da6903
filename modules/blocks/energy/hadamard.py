"""‖(A₁B₁) ⊙ (A₂B₂)‖²_F exactly, the cheaper of two ways (LoHa's ΔW up to its scale).

A₁ (m×r₁), B₁ (r₁×n), A₂ (m×r₂), B₂ (r₂×n); M₁ = A₁B₁, M₂ = A₂B₂; ‖M₁⊙M₂‖² = Σᵢⱼ M₁[i,j]²·M₂[i,j]².

1. Symmetric Gram form (small ranks). M₁⊙M₁ = X₁Y₁ exactly, with one column of X₁ and one row of Y₁
   per unordered pair a ≤ a′ of rank indices:
       X₁[i,(a,a′)] = c·A₁[i,a]·A₁[i,a′]   (c = 2 if a ≠ a′ else 1: the pair stands for both orders)
       Y₁[(a,a′),j] = B₁[a,j]·B₁[a′,j]
   (expand (Σₐ A₁[i,a]B₁[a,j])² and group the terms a,a′ with a′,a). The same for M₂⊙M₂ = X₂Y₂. Then
       ‖M₁⊙M₂‖² = ⟨X₁Y₁, X₂Y₂⟩ = Σ (X₁ᵀX₂) ⊙ (Y₁Y₂ᵀ) = Σ G ⊙ H,
   two Gram matrices of R₁×R₂ (Rₖ = rₖ(rₖ+1)/2), (m+n)·R₁·R₂ multiply-adds with a long inner dimension
   (fast matmuls). ΔW is never built. G and H are float32 matmuls over `GRAM_CHUNK_VALUES`-sized
   column chunks of the pair products (built in cache), the chunks added in float64.
   Exactness guard: the sum Σ G⊙H can cancel (factors whose products nearly cancel), and float32 G, H
   then lose digits: measured, the relative error stays below 0.6·u·κ with u = 2⁻²⁴ and
   κ = Σ|G⊙H| / Σ G⊙H (free to compute), on Gaussian, offset, log-scaled and near-cancelling factors
   (κ from 1 to 10⁷). The result is kept only when κ ≤ `GRAM_MAX_CANCELLATION` (error ≲ 6e-7);
   otherwise the module is measured by form 2.
2. Tiled materialisation: M₁ and M₂ are rebuilt `TILE_VALUES` values at a time (1 MB each: measured
   on one core, 256 K-value tiles beat 32 K-128 K ones by 5-30 %), both in one batched matmul when
   r₁ = r₂; the tile's product M₁⊙M₂ is formed in place and its row norms taken in float32 (row sums
   of ≤ a few thousand positive terms), squared and added in float64. The naive way (whole M₁, M₂ and
   their product as fresh full-size temporaries) is bound by memory traffic; tiles that stay in the
   caches are bound by the matmul.

Both forms are meant to run with one torch intra-op thread per calling thread (`energy.py` measures
several modules at once, one per core): small tiles with a parallel region each are slow, and on a
busy machine each region waits for descheduled threads.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

TILE_VALUES = 1 << 18  # values of M₁ (and of M₂) per tile: 1 MB each in float32
GRAM_CHUNK_VALUES = 1 << 20  # pair-product values (both sides) per Gram chunk: 4 MB in float32
GRAM_MAX_CANCELLATION = 16.0  # κ above which the float32 Gram result is not trusted (see docstring)
GRAM_SPEEDUP = 0.75  # a Gram multiply-add costs ~0.75 of a tiled one here (long-inner-dimension matmuls)


def pair_count(r: int) -> int:
    return r * (r + 1) // 2


def gram_cost(m: int, n: int, r1: int, r2: int) -> float:
    """Relative cost of form 1: its multiply-adds, weighted by their measured speed."""
    return GRAM_SPEEDUP * (m + n) * pair_count(r1) * pair_count(r2)


def tiled_cost(m: int, n: int, r1: int, r2: int) -> float:
    return m * n * (r1 + r2)


def hadamard_sq_norm(a1: torch.Tensor, b1: torch.Tensor, a2: torch.Tensor, b2: torch.Tensor) -> float:
    """‖(a1@b1) ⊙ (a2@b2)‖²_F; factors float32 (or float64), a (m, r), b (r, n)."""
    m, n, r1, r2 = a1.shape[0], b1.shape[1], a1.shape[1], a2.shape[1]
    if m == 0 or n == 0 or r1 == 0 or r2 == 0:
        return 0.0
    if gram_cost(m, n, r1, r2) <= tiled_cost(m, n, r1, r2):
        total = gram_sq_norm(a1, b1, a2, b2)
        if total is not None:
            return total
    return tiled_sq_norm(a1, b1, a2, b2)


@lru_cache(maxsize=64)
def _pair_index(r: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row indices (a, a′) of the pairs a ≤ a′ of r rank indices (never written to: shared)."""
    return torch.triu_indices(r, r).unbind(0)


@lru_cache(maxsize=64)
def _pair_weights(r1: int, r2: int) -> torch.Tensor:
    """c₁·c₂ for every pair of pairs (c = 2 off the diagonal), float64 (R₁×R₂; never written to: shared)."""
    (i1, j1), (i2, j2) = _pair_index(r1), _pair_index(r2)
    return torch.where(i1 == j1, 1.0, 2.0).double()[:, None] * torch.where(i2 == j2, 1.0, 2.0).double()[None, :]


def pair_gram(u1: torch.Tensor, u2: torch.Tensor) -> torch.Tensor:
    """Σₗ P₁[:, l] P₂[:, l]ᵀ (float64, R₁×R₂) with P[(a,a′), l] = u[a,l]·u[a′,l], a ≤ a′; u (r, L) float32.

    The pair products are built `GRAM_CHUNK_VALUES` at a time (in cache), each chunk's matmul is float32."""
    (r1, length), r2 = u1.shape, u2.shape[0]
    (i1, j1), (i2, j2) = _pair_index(r1), _pair_index(r2)
    chunk = max(1, min(length, GRAM_CHUNK_VALUES // (len(i1) + len(i2))))
    p1, p2 = torch.empty(len(i1), chunk), torch.empty(len(i2), chunk)
    g = torch.empty(len(i1), len(i2))
    total = None
    for s in range(0, length, chunk):
        k = min(chunk, length - s)
        c1, c2, q1, q2 = u1[:, s:s + k], u2[:, s:s + k], p1[:, :k], p2[:, :k]
        torch.index_select(c1, 0, i1, out=q1).mul_(c1.index_select(0, j1))
        torch.index_select(c2, 0, i2, out=q2).mul_(c2.index_select(0, j2))
        torch.mm(q1, q2.T, out=g)
        if total is None:
            total = g.double()
        else:
            total += g
    return total


def gram_sq_norm(a1, b1, a2, b2) -> float | None:
    """Form 1: Σ (X₁ᵀX₂) ⊙ (Y₁Y₂ᵀ); None when the sum cancels too much to trust float32 (see docstring)."""
    a1, b1, a2, b2 = (t.float() for t in (a1, b1, a2, b2))
    g = pair_gram(a1.T.contiguous(), a2.T.contiguous())
    g *= _pair_weights(a1.shape[1], a2.shape[1])  # c = 2 off the diagonal
    terms = g.mul_(pair_gram(b1.contiguous(), b2.contiguous()))
    total, magnitude = float(terms.sum()), float(terms.abs().sum())
    if magnitude == 0.0:
        return 0.0
    if not math.isfinite(magnitude) or not total > 0 or magnitude > GRAM_MAX_CANCELLATION * total:
        return None
    return total


def tiled_sq_norm(a1, b1, a2, b2) -> float:
    """Form 2: rebuild M₁, M₂ a few rows at a time; float32 row norms of M₁⊙M₂, float64 total."""
    m, n = a1.shape[0], b1.shape[1]
    a1, b1, a2, b2 = (t.float() for t in (a1, b1, a2, b2))
    rows = max(1, min(m, TILE_VALUES // n))
    norms = torch.empty(m, dtype=torch.float32)
    if a1.shape[1] == a2.shape[1]:
        a = torch.stack((a1, a2))
        b = torch.stack((b1, b2))
        buf = torch.empty((2, rows, n), dtype=torch.float32)
        for s in range(0, m, rows):
            k = min(rows, m - s)
            tile = buf[:, :k]
            torch.bmm(a[:, s:s + k], b, out=tile)
            torch.linalg.vector_norm(tile[0].mul_(tile[1]), dim=1, out=norms[s:s + k])
    else:
        m1 = torch.empty((rows, n), dtype=torch.float32)
        m2 = torch.empty((rows, n), dtype=torch.float32)
        for s in range(0, m, rows):
            k = min(rows, m - s)
            t1, t2 = m1[:k], m2[:k]
            torch.mm(a1[s:s + k], b1, out=t1)
            torch.mm(a2[s:s + k], b2, out=t2)
            torch.linalg.vector_norm(t1.mul_(t2), dim=1, out=norms[s:s + k])
    total = float(norms.double().square_().sum())
    return total if math.isfinite(total) else math.nan
