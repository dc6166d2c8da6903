"""Summary statistics of a LoRA's per-block energy (seed 004's `stats`), always finite.

Definitions (E_b = ‖ΔW_b‖², the squared Frobenius norm of block b's weight change at strength 1):

- `energy_distribution[b]` = E_b / Σ E: the share of the total squared change, summing to 1 over all
  blocks present (text encoders and base buckets included). Squares, because the changes of
  different weights add up in squares (Pythagoras), so shares of a sum are meaningful.
- `block_norms[b]` = ‖ΔW_b‖ = √E_b; `total_norm` = √Σ E.
- `input_ratio` / `mid_ratio` / `output_ratio`: shares of the *diffusion-model main stack* energy
  (text encoders and base buckets excluded) in the input / middle / output part. SD1.x/SDXL: the
  input, middle and output blocks. Transformer stacks: the first, middle and last third of the
  stack's blocks in run order (FLUX: doubles then singles), for the model's depth variant.
- `sparsity`: Gini coefficient of the energies of the main-stack blocks the LoRA has (a block the
  trainer never targets, like SDXL's input_0, does not count): 0 = evenly spread, → 1 = concentrated.
- `balance`: Σ E_b·p_b / Σ E_b over the main stack, with p_b running linearly from −1 (first block)
  to +1 (last block): negative = structure-heavy, positive = style/detail-heavy.
- `clip_contribution`: whether any text-encoder block has energy, its share and norm per encoder.

A LoRA with no energy gives zeros everywhere, never NaN.
"""

from __future__ import annotations

import math

from ..layouts import TEXT_ENCODERS, infer_counts, layout_for, main_blocks, sort_blocks, split_block_id


def _safe_div(a: float, b: float) -> float:
    return a / b if b > 0 and math.isfinite(a / b) else 0.0


def gini(values: list[float]) -> float:
    """Gini coefficient of non-negative values; 0 for fewer than 2 values or a zero total."""
    xs = sorted(max(0.0, v) for v in values)
    n, total = len(xs), math.fsum(xs)
    if n < 2 or total <= 0:
        return 0.0
    return _safe_div(math.fsum((2 * i - n - 1) * x for i, x in enumerate(xs, start=1)), n * total)


def _stack(arch: str, present) -> list[str]:
    layout = layout_for(arch)
    if layout is None:  # UNKNOWN: whatever main-stack ids were found, in sort order
        return sort_blocks(b for b in present if split_block_id(b)[1] is not None
                           and split_block_id(b)[0] not in TEXT_ENCODERS)
    return main_blocks(layout, infer_counts(layout, present))


def _thirds(arch: str, stack: list[str]) -> dict[str, str]:
    """Block -> "input" / "mid" / "output" part of the stack."""
    sections = {split_block_id(b)[0] for b in stack}
    if sections <= {"input", "middle", "output"}:
        return {b: {"input": "input", "middle": "mid", "output": "output"}[split_block_id(b)[0]] for b in stack}
    n = len(stack)
    return {b: ("input", "mid", "output")[min(2, 3 * i // max(1, n))] for i, b in enumerate(stack)}


def summarise(arch: str, sq_norms: dict[str, float]) -> dict:
    """Seed-004 stats from per-block squared norms (see module docstring)."""
    sq = {b: (v if math.isfinite(v) and v > 0 else 0.0) for b, v in sq_norms.items()}
    total = math.fsum(sq.values())
    order = sort_blocks(sq)
    stack = _stack(arch, sq)
    stack_energy = [sq.get(b, 0.0) for b in stack]
    stack_total = math.fsum(stack_energy)
    parts = _thirds(arch, stack)
    ratio = {p: _safe_div(math.fsum(sq.get(b, 0.0) for b in stack if parts[b] == p), stack_total)
             for p in ("input", "mid", "output")}
    n = len(stack)
    balance = _safe_div(math.fsum(e * (2 * i / (n - 1) - 1) for i, e in enumerate(stack_energy)), stack_total) \
        if n > 1 else 0.0
    te = {enc: math.fsum(v for b, v in sq.items() if split_block_id(b)[0] == enc) for enc in TEXT_ENCODERS}
    te_total = math.fsum(te.values())
    return {
        "energy_distribution": {b: _safe_div(sq[b], total) for b in order},
        "block_norms": {b: math.sqrt(sq[b]) for b in order},
        "total_norm": math.sqrt(total),
        "input_ratio": ratio["input"],
        "mid_ratio": ratio["mid"],
        "output_ratio": ratio["output"],
        "sparsity": gini([sq[b] for b in stack if b in sq]),
        "balance": balance,
        "clip_contribution": {
            "has_clip": te_total > 0,
            "energy_share": _safe_div(te_total, total),
            "norm": math.sqrt(te_total),
            "encoders": {enc: math.sqrt(v) for enc, v in te.items() if v > 0},
        },
    }
