"""‖s·U·D‖² of many plain LoRA modules at once, batched by factor shapes.

A full SDXL LoRA has ~1000 modules but only a few dozen distinct (up, down) shapes. Computing the two
r×r Gram matrices module by module costs ~2000 small matmuls, each a parallel region of torch's
thread pool: Python and pool overhead dominate, and on a busy machine the pool's barriers are slow.
Here the factors of same-shaped modules are stacked into one (B, rows, r) and one (B, r, cols)
tensor, converted to float32 once and reduced with two `torch.bmm` calls, so the whole file takes a
few dozen torch operations. The maths is `deltas.LowRank.sq_norm`'s: float32 Grams, float64 products
and sums (relative error ~1e-7 against a float64 materialisation).

Memory is bounded: pending factors (as read) never exceed `budget` values in total; when they would,
the largest group is computed and dropped. A flush adds one group's factors in float32 (at most 4
bytes per value of the budget, 16 MB at the default).
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import torch

BATCH_VALUES = 1 << 22  # factor values held before a flush: 8 MB as fp16


class LowRankNorms:
    """Collect (up, down, scale) per module with `add`, then read every ‖scale·up·down‖² from `finish`."""

    def __init__(self, budget: int | None = None):
        self._budget = BATCH_VALUES if budget is None else budget
        self._groups: dict[tuple, list[tuple[Hashable, torch.Tensor, torch.Tensor, float]]] = {}
        self._sizes: dict[tuple, int] = {}
        self._pending = 0
        self._done: dict[Hashable, float] = {}

    def add(self, ident: Hashable, up: torch.Tensor, down: torch.Tensor, scale: float) -> None:
        """Queue one module: `up` (rows, r) and `down` (r, cols) as read (any float dtype, already flattened)."""
        key = (tuple(up.shape), tuple(down.shape), up.dtype, down.dtype)
        self._groups.setdefault(key, []).append((ident, up, down, scale))
        size = up.numel() + down.numel()
        self._sizes[key] = self._sizes.get(key, 0) + size
        self._pending += size
        while self._pending > self._budget and self._groups:
            self._flush(max(self._sizes, key=self._sizes.__getitem__))

    def finish(self) -> dict[Hashable, float]:
        """{ident: squared norm} of every module added (NaN/inf when a factor holds non-finite values)."""
        for key in list(self._groups):
            self._flush(key)
        return self._done

    def _flush(self, key: tuple) -> None:
        items = self._groups.pop(key)
        self._pending -= self._sizes.pop(key)
        meta = [(ident, scale) for ident, _, _, scale in items]
        # One stack (converting to float32 as it copies) per side: every torch op may be a parallel
        # region, so they are kept few.
        (rows, r), (_, cols) = key[:2]
        ups = torch.stack([u for _, u, _, _ in items], out=torch.empty((len(items), rows, r), dtype=torch.float32))
        gram_u = torch.bmm(ups.transpose(1, 2), ups)
        del ups
        downs = torch.stack([d for _, _, d, _ in items], out=torch.empty((len(items), r, cols), dtype=torch.float32))
        items.clear()  # release the tensors as read
        gram_d = torch.bmm(downs, downs.transpose(1, 2))
        del downs
        sums = (gram_u.double() * gram_d.double()).sum(dim=(1, 2)).tolist()
        for (ident, scale), value in zip(meta, sums, strict=False):
            self._done[ident] = scale * scale * value if math.isfinite(value) else math.nan
