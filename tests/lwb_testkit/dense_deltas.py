"""Brute force for the combiner's maths: every ΔW of a factory LoRA materialised in float64 (ComfyUI's formulas).

    deltas = materialise(spec)          # {target key: (unit, ΔW)} of a plain-LoRA or LoHa factory file
    brute([deltas_a, deltas_b], coeff)  # per unit: norms, pairwise inner products, combined norm
"""

from __future__ import annotations

import math
import re

import torch
from safetensors import safe_open


def materialise(spec) -> dict[str, tuple[str, torch.Tensor]]:
    """{ComfyUI target key: (unit, ΔW float64)} of a plain-LoRA or LoHa file written by the factory."""
    out = {}
    with safe_open(str(spec.path), framework="pt") as f:
        keys = set(f.keys())
        get = lambda k: f.get_tensor(k).double()  # noqa: E731
        for m in spec.modules:
            n = m.name
            if f"{n}.hada_w1_a" in keys:
                rank = get(f"{n}.hada_w1_b").shape[0]
                scale = float(get(f"{n}.alpha")) / rank if f"{n}.alpha" in keys else 1.0
                dw = scale * (get(f"{n}.hada_w1_a") @ get(f"{n}.hada_w1_b")) * (
                    get(f"{n}.hada_w2_a") @ get(f"{n}.hada_w2_b"))
            else:
                down, up = get(f"{n}.lora_down.weight").flatten(1), get(f"{n}.lora_up.weight").flatten(1)
                scale = float(get(f"{n}.alpha")) / down.shape[0] if f"{n}.alpha" in keys else 1.0
                dw = scale * up @ down
            out[m.target] = (unit_of(m.block), dw.reshape(m.shape[0], -1))
    return out


def unit_of(label: str) -> str:
    if label.startswith("te"):
        return "CLIP"
    family, number = re.match(r"(input_blocks|middle_block|output_blocks)\.(\d+)", label).groups()
    return {"input_blocks": f"input_{number}", "middle_block": "middle_0", "output_blocks": f"output_{number}"}[family]


def brute(deltas, coeff) -> dict[str, dict]:
    """Per unit: each LoRA's ‖k·ΔW‖, the pairwise inner products and ‖Σ k·ΔW‖ from dense matrices."""
    units = sorted({u for d in deltas for u, _ in d.values()})
    out = {}
    for u in units:
        targets = sorted({t for d in deltas for t, (uu, _) in d.items() if uu == u})
        norms = [math.sqrt(sum(float((coeff[i](u) * d[t][1]).pow(2).sum()) for t in targets if t in d))
                 for i, d in enumerate(deltas)]
        combined = math.sqrt(sum(float(sum(coeff[i](u) * d[t][1] for i, d in enumerate(deltas) if t in d).pow(2).sum())
                                 for t in targets))
        gram = {(i, j): sum(float((deltas[i][t][1] * deltas[j][t][1]).sum()) for t in targets
                            if t in deltas[i] and t in deltas[j])
                for i in range(len(deltas)) for j in range(i + 1, len(deltas))}
        sq = [sum(float(d[t][1].pow(2).sum()) for t in targets if t in d) for d in deltas]
        out[u] = {"norms": norms, "combined": combined, "gram": gram, "sq": sq}
    return out
