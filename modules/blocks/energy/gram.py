"""Per-block inner products ⟨ΔW₁,b, ΔW₂,b⟩_F between two LoRAs, from their factors.

Modules are paired by canonical target (`targets.py`), so a kohya and a diffusers LoRA of the same
model compare weight by weight; a diffusers q/k/v slice is compared with the matching rows of a fused
qkv module. Weights only one LoRA touches contribute 0, which is exact.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from .deltas import inner
from .factors import LoraFactors, ModuleEntry, load_factors


def _row_range(entry: ModuleEntry) -> tuple[int, int]:
    """Rows of the target weight this module patches."""
    if entry.target.units is None:
        return 0, entry.delta.rows
    start, length = entry.target.units
    height = entry.delta.rows // length
    return start * height, (start + length) * height


def _pair(a: ModuleEntry, b: ModuleEntry) -> float:
    a0, a1 = _row_range(a)
    b0, b1 = _row_range(b)
    lo, hi = max(a0, b0), min(a1, b1)
    if lo >= hi:
        return 0.0
    return inner(a.delta, (lo - a0, hi - a0), b.delta, (lo - b0, hi - b0))


def factor_gram(fa: LoraFactors, fb: LoraFactors) -> dict[str, float]:
    """{block: ⟨ΔW_a,b, ΔW_b,b⟩} for every block either LoRA has (0.0 where they share no weight)."""
    out: dict[str, float] = {}
    for block in sorted(set(fa.blocks) | set(fb.blocks)):
        by_target: dict[str, list[ModuleEntry]] = defaultdict(list)
        for e in fb.blocks.get(block, []):
            by_target[e.target.name].append(e)
        terms = [_pair(a, b) for a in fa.blocks.get(block, []) for b in by_target.get(a.target.name, [])]
        out[block] = math.fsum(terms)
    return out


def block_gram(lora_a: str | Path | LoraFactors, lora_b: str | Path | LoraFactors, arch: str) -> dict[str, float]:
    """Per-block Frobenius inner products of two LoRAs' weight changes at strength 1.

    `lora_a`/`lora_b` are file paths or already loaded `LoraFactors` (load once, compare many).
    cos_b = gram[b] / (‖ΔW_a,b‖·‖ΔW_b,b‖) with the norms from `block_energies`.
    """
    fa = lora_a if isinstance(lora_a, LoraFactors) else load_factors(lora_a, arch)
    fb = lora_b if isinstance(lora_b, LoraFactors) else load_factors(lora_b, arch)
    return factor_gram(fa, fb)
