"""‖(A₁B₁) ⊙ (A₂B₂)‖²_F exactly, the cheaper of two ways (LoHa's ΔW up to its scale).

A₁ (m×r₁), B₁ (r₁×n), A₂ (m×r₂), B₂ (r₂×n); M₁ = A₁B₁, M₂ = A₂B₂; ‖M₁⊙M₂‖² = Σᵢⱼ M₁[i,j]²·M₂[i,j]².

1. Symmetric Gram form (small ranks). M₁⊙M₁ = X₁Y₁ exactly, with one column of X₁ and one row of Y₁
   per unordered pair a ≤ a′ of rank indices:
       X₁[i,(a,a′)] = c·A₁[i,a]·A₁[i,a′]   (c = 2 if a ≠ a′ else 1: the pair stands for both orders)
       Y₁[(a,a′),j] = B₁[a,j]·B₁[a′,j]
   (expand (Σₐ A₁[i,a]B₁[a,j])² and group the terms a,a′ with a′,a). The same for M₂⊙M₂ = X₂Y₂. Then
       ‖M₁⊙M₂‖² = ⟨X₁Y₁, X₂Y₂⟩ = Σ (X₁ᵀX₂) ⊙ (Y₁Y₂ᵀ),
   two Gram matrices of R₁×R₂ (Rₖ = rₖ(rₖ+1)/2), about 2·(m+n)·R₁·R₂ multiply-adds, computed in
   float64. ΔW is never built. (The face-splitting form P·Q of rank r₁r₂ costs 4× as much.)
2. Tiled materialisation (larger ranks, where (1) costs more than 2·m·n·(r₁+r₂)): M₁ and M₂ are
   rebuilt `TILE_VALUES` values at a time (whole modules for most SDXL layers), both in one batched
   matmul when r₁ = r₂, into one reused buffer; the product is squared and summed per row in float32
   (cascade summation) and the rows are added in float64. The naive way (whole M₁, M₂ and their
   product as fresh full-size temporaries, then a float64 copy and sum) is bound by memory traffic.
   Why tiles of 4 M values (16 MB) and not L2-sized ones: every torch op is a parallel region, and on a
   busy machine a region waits for a descheduled thread; measured at load 9-18 on 2 cores, 64 K-value
   tiles were 2x slower than the naive way, 4 M-value tiles 2-3.4x faster (same run, same modules).

Both are exact up to float rounding: relative error ~1e-7 against a float64 materialisation (tests).
Multi-core: torch's intra-op threads split each matmul.
"""

from __future__ import annotations

import math

import torch

TILE_VALUES = 1 << 22  # values of M₁ (and of M₂) per tile: 16 MB each in float32


def pair_products(a: torch.Tensor, dim: int, weighted: bool) -> torch.Tensor:
    """Products of all unordered pairs a ≤ a′ of the rank index along `dim` (0: rows, 1: columns).

    `weighted` doubles the off-diagonal pairs (see the module docstring)."""
    r = a.shape[dim]
    i, j = torch.triu_indices(r, r)
    if dim == 1:
        out = a[:, i] * a[:, j]
        if weighted:
            out[:, i != j] *= 2
    else:
        out = a[i] * a[j]
        if weighted:
            out[i != j] *= 2
    return out


def gram_cost(m: int, n: int, r1: int, r2: int) -> int:
    """Multiply-adds of the symmetric Gram form (float64, counted twice for its lower speed)."""
    return 4 * (m + n) * (r1 * (r1 + 1) // 2) * (r2 * (r2 + 1) // 2)


def tiled_cost(m: int, n: int, r1: int, r2: int) -> int:
    return m * n * (r1 + r2)


def hadamard_sq_norm(a1: torch.Tensor, b1: torch.Tensor, a2: torch.Tensor, b2: torch.Tensor) -> float:
    """‖(a1@b1) ⊙ (a2@b2)‖²_F; factors float32 (or float64), a (m, r), b (r, n)."""
    m, n, r1, r2 = a1.shape[0], b1.shape[1], a1.shape[1], a2.shape[1]
    if m == 0 or n == 0:
        return 0.0
    if gram_cost(m, n, r1, r2) <= tiled_cost(m, n, r1, r2):
        return gram_sq_norm(a1, b1, a2, b2)
    return tiled_sq_norm(a1, b1, a2, b2)


def gram_sq_norm(a1, b1, a2, b2) -> float:
    """Form 1: Σ (X₁ᵀX₂) ⊙ (Y₁Y₂ᵀ) in float64."""
    a1, b1, a2, b2 = (t.double() for t in (a1, b1, a2, b2))
    x1, x2 = pair_products(a1, 1, True), pair_products(a2, 1, True)
    y1, y2 = pair_products(b1, 0, False), pair_products(b2, 0, False)
    return float(((x1.T @ x2) * (y1 @ y2.T)).sum())


def tiled_sq_norm(a1, b1, a2, b2) -> float:
    """Form 2: rebuild M₁, M₂ a few rows at a time; per-row float32 sums, float64 total."""
    m, n = a1.shape[0], b1.shape[1]
    a1, b1, a2, b2 = (t.float() for t in (a1, b1, a2, b2))
    rows = max(1, min(m, TILE_VALUES // n))
    sums: list[torch.Tensor] = []
    if a1.shape[1] == a2.shape[1]:
        a = torch.stack((a1, a2))
        b = torch.stack((b1, b2))
        buf = torch.empty((2, rows, n), dtype=torch.float32)
        for s in range(0, m, rows):
            k = min(rows, m - s)
            tile = buf if k == rows else torch.empty((2, k, n), dtype=torch.float32)
            torch.bmm(a[:, s:s + k], b, out=tile)
            prod = tile[0].mul_(tile[1])
            sums.append(torch.linalg.vecdot(prod, prod))
    else:
        m1 = torch.empty((rows, n), dtype=torch.float32)
        m2 = torch.empty((rows, n), dtype=torch.float32)
        for s in range(0, m, rows):
            k = min(rows, m - s)
            t1, t2 = m1[:k], m2[:k]
            torch.mm(a1[s:s + k], b1, out=t1)
            torch.mm(a2[s:s + k], b2, out=t2)
            prod = t1.mul_(t2)
            sums.append(torch.linalg.vecdot(prod, prod))
    total = float(torch.cat(sums).sum(dtype=torch.float64))
    return total if math.isfinite(total) else math.nan
