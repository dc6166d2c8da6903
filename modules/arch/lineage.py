"""SDXL lineage refinement from block-energy stats (seed 004's `classify_sdxl_lineage_from_stats`).

This is a heuristic with no validated basis: nothing shows that a LoRA's per-block energy reveals
whether it was trained on Pony, Illustrious, NoobAI or a realism checkpoint. Metadata (sidecars,
`ss_base_model_version`, `ss_sd_model_name`) is the real evidence and architecture detection uses it
first. So the rules here only fire on *extreme* distributions and otherwise keep plain SDXL; the
seed's rules fired REALISM on every evenly spread LoRA, which is a wrong label, not a refinement.

Every rule reads only fields `compute_stats` produces (`input_ratio`, `mid_ratio`, `output_ratio`,
`sparsity`, `balance`, `energy_distribution` + `block_metadata` tags), evaluated in order:

| # | condition | result |
| --- | --- | --- |
| 1 | output_ratio > 0.70 and sparsity > 0.30 | SDXL_PONY |
| 2 | mid_ratio > 0.45 | SDXL_NOOBAI |
| 3 | input_ratio + mid_ratio > 0.70 and sparsity < 0.15 | SDXL_ILLUSTRIOUS |
| 4 | DETAILS-tagged share of the main stack > 0.45 and sparsity < 0.15 | SDXL_REALISM |
| – | otherwise, no energy, or fewer than 4 main-stack blocks | SDXL |
"""

from __future__ import annotations

import math

from . import ids as A

MIN_BLOCKS = 4
_STACK_SECTIONS = ("input", "middle", "output")


def _num(stats: dict, key: str) -> float:
    value = stats.get(key, 0.0)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0


def _details_share(stats: dict) -> tuple[float, int]:
    """(share of main-stack energy in DETAILS blocks, number of main-stack blocks)."""
    dist = stats.get("energy_distribution") or {}
    meta = stats.get("block_metadata") or {}
    stack = {b: float(v) for b, v in dist.items() if meta.get(b, {}).get("section") in _STACK_SECTIONS}
    total = math.fsum(stack.values())
    details = math.fsum(v for b, v in stack.items() if meta[b].get("tag") == "DETAILS")
    return (details / total if total > 0 else 0.0), len(stack)


def explain_sdxl_lineage(stats: dict) -> tuple[str, str]:
    """(architecture, the rule that decided) for an SDXL LoRA's stats."""
    details, n_blocks = _details_share(stats)
    no_energy = "total_norm" in stats and _num(stats, "total_norm") <= 0
    if n_blocks < MIN_BLOCKS or no_energy:
        return A.SDXL, "not enough block energy to judge"
    out, mid, inp, sparsity = (_num(stats, k) for k in ("output_ratio", "mid_ratio", "input_ratio", "sparsity"))
    if out > 0.70 and sparsity > 0.30:
        return A.SDXL_PONY, f"output_ratio {out:.2f} > 0.70 and sparsity {sparsity:.2f} > 0.30"
    if mid > 0.45:
        return A.SDXL_NOOBAI, f"mid_ratio {mid:.2f} > 0.45"
    if inp + mid > 0.70 and sparsity < 0.15:
        return A.SDXL_ILLUSTRIOUS, f"input_ratio + mid_ratio {inp + mid:.2f} > 0.70 and sparsity {sparsity:.2f} < 0.15"
    if details > 0.45 and sparsity < 0.15:
        return A.SDXL_REALISM, f"DETAILS share {details:.2f} > 0.45 and sparsity {sparsity:.2f} < 0.15"
    return A.SDXL, "no rule fired"


def classify_sdxl_lineage(stats: dict) -> str:
    """SDXL, or a lineage when the stats are extreme enough (see module docstring)."""
    return explain_sdxl_lineage(stats)[0]
