"""The interference-aware budget: per unit, the least cut that brings the combined change within budget.

With M(u) the unit's Gram matrix at the requested strengths (`maths.py`: M_ij = ⟨k_i·ΔW_i, k_j·ΔW_j⟩),
d_i = M_ii, B(u) the budget (`policies.budget_of`) and t_i the factor of LoRA i, the factors are the
unique solution of

    minimise   Σ_i d_i·(1 − t_i)²            (the squared size of what is removed, ‖(1 − t_i)·k_i·ΔW_i‖²)
    subject to tᵀ·M·t ≤ B(u)²,  0 ≤ t_i ≤ 1  (the combined change within budget; nothing raised, nothing flipped)

Properties (proved from the optimality conditions, checked against brute force in the tests):
1. Within budget: ‖Σ t_i·k_i·ΔW_i‖ ≤ B(u); when the request already is, every t_i = 1.
2. No LoRA raised or sign-flipped: 0 ≤ t_i ≤ 1.
3. Opposed LoRAs are not cut: with C = Σ_j t_j·k_j·ΔW_j the combined result, t_i < 1 only if
   ⟨k_i·ΔW_i, C⟩ > 0. A LoRA whose change points against the combined change (or is orthogonal to it)
   keeps its full strength: cutting it would make the combined change larger, not smaller.
4. Aligned LoRAs are cut more than orthogonal ones: for 0 < t_i < 1 the conditions read
   1 − t_i = μ·⟨k_i·ΔW_i, C⟩ / ‖k_i·ΔW_i‖² (one μ ≥ 0 for the unit): each LoRA loses in proportion to how
   much of the combined change lies along it. A LoRA orthogonal to every other gets t = 1/(1+μ); one
   whose overlap with the others is positive (Σ_{j≠i} t_j·M_ij > 0) gets strictly less; one whose
   overlap is negative strictly more. With mutually orthogonal LoRAs all factors are equal (= `budget`).
5. Deterministic: the objective is strictly convex (d_i > 0), so the solution is unique; it is found by
   bisection on μ (the combined norm of t(μ) does not increase with μ) with, for each μ, the box-constrained
   problem min Σ d_i(1 − t_i)² + μ·tᵀMt solved exactly by an active-set method. Fixed iteration order, no
   randomness. LoRAs with no change in the unit (d_i = 0) keep t_i = 1.
"""

from __future__ import annotations

import numpy as np

_MAX_ROUNDS = 8  # active-set rounds per LoRA (a strictly convex box problem needs far fewer)
_KKT_TOL = 1e-12
_REL_WIDTH = 1e-12  # bisection stops when the μ bracket is this narrow (relative)
_MAX_DOUBLINGS = 2000


def box_qp(h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """argmin ½·tᵀ·h·t − cᵀ·t over 0 ≤ t ≤ 1, for a symmetric positive definite h.

    The unconstrained minimum when it lies in the box; otherwise a primal active-set method from t = 1:
    each round minimises over the free coordinates with the others at their bounds, steps as far as
    the box allows (fixing the coordinate that blocks) or, at a stationary point, frees the bound whose
    multiplier is most negative. A strictly convex problem ends at its unique minimum in finitely many rounds.
    """
    t = np.linalg.solve(h, c)
    if (t >= 0.0).all() and (t <= 1.0).all():
        return t
    n = len(c)
    t = np.ones(n)
    fixed = np.zeros(n, dtype=bool)
    scale = 1.0 + float(np.abs(c).max(initial=0.0))
    for _ in range(_MAX_ROUNDS * (n + 1)):
        g = h @ t - c
        free = np.flatnonzero(~fixed)
        p = np.zeros(n)
        if free.size:
            p[free] = np.linalg.solve(h[np.ix_(free, free)], -g[free])
        if np.abs(p).max(initial=0.0) <= 1e-14:
            multipliers = np.where(t >= 1.0, -g, g)  # each must be ≥ 0 at the minimum
            multipliers[~fixed] = np.inf
            k = int(np.argmin(multipliers))
            if multipliers[k] >= -_KKT_TOL * scale:
                return t
            fixed[k] = False
            continue
        limits = np.full(n, np.inf)
        up, down = p > 0, p < 0
        limits[up] = (1.0 - t[up]) / p[up]
        limits[down] = -t[down] / p[down]
        k = int(np.argmin(limits))
        step = min(1.0, float(limits[k]))
        t = np.clip(t + step * p, 0.0, 1.0)
        if step < 1.0:
            t[k] = 1.0 if p[k] > 0 else 0.0
            fixed[k] = True
    raise ArithmeticError("interference budget: the box-constrained problem did not converge")


def interference_factors(m: tuple[tuple[float, ...], ...], budget: float) -> list[float]:
    """t_i for the unit with Gram matrix `m` and budget `budget` (see the module docstring)."""
    full = np.array(m, dtype=np.float64).reshape(len(m), len(m))
    n = len(full)
    t = np.ones(n)
    if n == 0 or budget <= 0 or float(t @ full @ t) <= budget * budget:
        return [1.0] * n
    active = np.flatnonzero(np.diag(full) > 0)
    ma = full[np.ix_(active, active)]
    d = np.diag(ma).copy()
    limit = budget * budget

    def solve(mu: float) -> tuple[bool, np.ndarray]:
        x = box_qp(np.diag(d) + mu * ma, d)
        return float(x @ ma @ x) <= limit, x

    lo, hi = 0.0, 1.0
    ok, best = solve(hi)
    for _ in range(_MAX_DOUBLINGS):
        if ok:
            break
        lo, hi = hi, hi * 2.0
        ok, best = solve(hi)
    else:
        best = np.zeros(len(active))  # t = 0 is always within a positive budget
    while hi - lo > _REL_WIDTH * hi:
        mid = (lo + hi) / 2.0
        if not lo < mid < hi:
            break
        ok, x = solve(mid)
        if ok:
            hi, best = mid, x
        else:
            lo = mid
    t[active] = best
    return [float(v) + 0.0 for v in t]
