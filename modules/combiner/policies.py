"""Scaling policies: per unit u and LoRA i, the factor t_i(u) that multiplies its requested block value.

With M(u), S_i(u) as in `maths.py` and N(t) = √Σ_ij t_i·t_j·M_ij the combined norm:

- `weighted` (seed 000's arithmetic): t_i(u) = 1. The requested strengths and vectors, unchanged.
- `interference` (default): the same budget, met by the least cut Σ_i ‖(1 − t_i)·k_i·ΔW_i,u‖² with
  0 ≤ t_i ≤ 1, so that LoRAs aligned with others are cut more than orthogonal ones and LoRAs opposed
  to the combined change are not cut (`interference.py`: the formula, its properties and proofs).
- `budget`: the budget is B(u) = headroom · max_i S_i(u), the largest single LoRA's change in
  u at strength 1. If N(1) > B(u), every contribution in u is scaled by the one factor
  t(u) = B(u) / N(1), so the combined change is exactly B(u). N grows with the LoRAs' alignment
  (N² = Σ_i ‖·‖² + 2·Σ_{i<j} ‖·‖‖·‖cos_ij), so aligned LoRAs lose more than orthogonal ones, and
  opposed ones (cos < 0, N below the budget) lose nothing.
- `role_aware`: the same budget, but within u the LoRAs are split into tiers by the priority of their
  role in u's semantic group (`ROLE_PRIORITY`; e.g. a character LoRA ranks first in IDENTITY blocks, a
  style LoRA in STYLE and DETAILS blocks). Starting with the lowest tier, the tier's contributions get
  the largest common factor x ∈ [0, 1] with N ≤ B(u) (the root of the quadratic N(x)² = B(u)², with the
  other tiers fixed); if even x = 0 is over budget, the tier gets the x ∈ [0, 1] that minimises N and
  the next tier is scaled. Higher tiers keep full strength whenever lower ones can absorb the excess.
  With one tier it equals `budget`.

The CLIP unit is one budget for every text-encoder layer (clip contributors share it, by the same
rule); UNet-only LoRAs have no CLIP energy and get strength_clip = 0 under every policy.
"""

from __future__ import annotations

import math

from ..library.roles import ROLES as LIBRARY_ROLES
from .interference import interference_factors
from .maths import UnitMaths

WEIGHTED, BUDGET, ROLE_AWARE, INTERFERENCE = "weighted", "budget", "role_aware", "interference"
POLICIES = (INTERFERENCE, BUDGET, WEIGHTED, ROLE_AWARE)  # the first is the default
DEFAULT_HEADROOM = 1.5

ROLES = LIBRARY_ROLES

# Priority of each role per semantic group (higher keeps its strength longer). OTHER (BASE) has none:
# embeddings and heads are shared infrastructure, scaled like `budget`.
ROLE_PRIORITY: dict[str, dict[str, int]] = {
    "IDENTITY": {"character": 7, "clothing": 6, "concept": 5, "pose": 4, "style": 3, "background": 2,
                 "detail": 1, "other": 0},
    "POSE": {"pose": 7, "character": 6, "concept": 5, "clothing": 4, "background": 3, "style": 2,
             "detail": 1, "other": 0},
    "STYLE": {"style": 7, "background": 6, "concept": 5, "clothing": 4, "character": 3, "pose": 2,
              "detail": 1, "other": 0},
    "DETAILS": {"style": 7, "detail": 6, "clothing": 5, "character": 4, "background": 3, "concept": 2,
                "pose": 1, "other": 0},
    "CLIP": {"character": 7, "concept": 6, "clothing": 5, "style": 4, "pose": 3, "background": 2,
             "detail": 1, "other": 0},
    "OTHER": {},
}

_TOLERANCE = 1e-12


def budget_of(um: UnitMaths, headroom: float) -> float:
    return headroom * max(um.unit_norms, default=0.0)


def budget_factors(um: UnitMaths, headroom: float) -> list[float]:
    n = len(um.m)
    budget, total = budget_of(um, headroom), um.combined_norm()
    if total <= budget * (1 + _TOLERANCE) or total <= 0:
        return [1.0] * n
    return [budget / total] * n


def _largest_feasible(a: float, b: float, c: float, limit_sq: float) -> float:
    """Largest x in [0, 1] with c·x² + 2b·x + a ≤ limit_sq, else the x in [0, 1] minimising the left side."""
    if c <= 0:
        return 1.0  # the tier adds nothing here: scaling it cannot help
    disc = b * b - c * (a - limit_sq)
    if disc >= 0:
        root = math.sqrt(disc)
        lo, hi = (-b - root) / c, (-b + root) / c
        if hi >= 0 and lo <= 1:
            return max(0.0, min(1.0, hi))
    return max(0.0, min(1.0, -b / c))


def role_aware_factors(um: UnitMaths, headroom: float, priorities: list[int]) -> list[float]:
    n = len(um.m)
    t = [1.0] * n
    budget = budget_of(um, headroom)
    if um.combined_norm(t) <= budget * (1 + _TOLERANCE):
        return t
    for tier in sorted(set(priorities)):
        members = [i for i in range(n) if priorities[i] == tier]
        others = [i for i in range(n) if priorities[i] != tier]
        a = math.fsum(t[i] * t[j] * um.m[i][j] for i in others for j in others)
        b = math.fsum(t[j] * um.m[i][j] for i in members for j in others)
        c = math.fsum(um.m[i][j] for i in members for j in members)
        x = _largest_feasible(a, b, c, budget * budget)
        for i in members:
            t[i] = x
        if um.combined_norm(t) <= budget * (1 + 1e-9):
            break
    return t


def priorities_for(group: str, roles: list[str]) -> list[int]:
    table = ROLE_PRIORITY.get(group, {})
    return [table.get(role, 0) for role in roles]


def check_policy(policy: str, headroom: float) -> None:
    """ValueError naming an unknown policy or a headroom that is not a positive number."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r} (expected one of {', '.join(POLICIES)})")
    if isinstance(headroom, bool) or not isinstance(headroom, (int, float)) or not (
            math.isfinite(headroom) and headroom > 0):
        raise ValueError(f"headroom must be a positive number, got {headroom!r}")


def unit_factors(policy: str, um: UnitMaths, headroom: float, group: str, roles: list[str]) -> list[float]:
    """t_i(u) for every LoRA under `policy`."""
    check_policy(policy, headroom)
    if policy == WEIGHTED:
        return [1.0] * len(um.m)
    if policy == BUDGET:
        return budget_factors(um, headroom)
    if policy == INTERFERENCE:
        return interference_factors(um.m, budget_of(um, headroom))
    return role_aware_factors(um, headroom, priorities_for(group, roles))
