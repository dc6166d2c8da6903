"""One module's weight change ΔW, built from its adapter factors, with exact norms and inner products.

What each adapter contributes (ComfyUI `comfy/weight_adapter/*.py`, strength 1), and how:

- LoRA / LoCon (kohya, PEFT, diffusers): ΔW = (α/r)·U·D with U = up.flatten(1), D = down.flatten(1)
  (a Tucker `lora_mid` is folded into D). ‖ΔW‖² = s²·Σ((UᵀU)⊙(DDᵀ)) and
  ⟨ΔW₁,ΔW₂⟩ = s₁s₂·Σ((U₁ᵀU₂)⊙(D₁D₂ᵀ)): only r×r matrices, ΔW is never built.
- LoHa: ΔW = (α/r)·(w1a·w1b)⊙(w2a·w2b). ‖ΔW‖² comes from `hadamard.py` (a symmetric Gram form for
  small ranks, ΔW rebuilt in cache-sized tiles otherwise). Inner products use the face-splitting
  form (α/r)·P·Q, P[i,(a,b)] = w1a[i,a]·w2a[i,b], Q[(a,b),j] = w1b[a,j]·w2b[b,j], an exact rank
  r1·r2 form handled like LoRA, where it is cheaper than rebuilding ΔW in row chunks.
- LoKr: ΔW = s·kron(w1, w2), w1/w2 full or factored, s = α/dim only when a factor is factored
  (ComfyUI's rule). ‖ΔW‖ = s·‖w1‖·‖w2‖; ⟨kron(a,b),kron(c,d)⟩ = ⟨a,c⟩⟨b,d⟩ when shapes agree,
  otherwise row chunks.
- Full diff (`diff`, `w_norm`) and bias diff (`diff_b`, `b_norm`): the stored tensor.
- DoRA (`dora_scale`): the real change is dora_scale·(W+ΔW)/‖W+ΔW‖ − W, which needs the base weight
  W. Without the model we measure the low-rank ΔW above and flag the module `approximate`.
- GLoRA: b2·b1 + W·a2·a1 needs W: the b2·b1 part is measured, flagged `approximate`.
- OFT/BOFT, `set_weight`, unknown parts: need W or are not a change: not measured (listed).

Factors are read into float32 and every matmul (the r×r Gram matrices, chunk rebuilds) is float32,
(cost about (rows+cols)·r² per module); the elementwise products and final sums are accumulated in
float64. Relative error against a float64 materialisation stays well below 1e-5 (tested).
Rows are output channels (ΔW viewed as (out, in·k·k)). `compute_stats` measures plain LoRA modules
batched by factor shape instead (`batched.py`, same maths).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .hadamard import hadamard_sq_norm

CHUNK_VALUES = 1 << 20  # values of ΔW materialised at once when a module has to be rebuilt

Loader = Callable[[str], torch.Tensor]


def _f32(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(dtype=torch.float32, device="cpu")


def _dot(a: torch.Tensor, b: torch.Tensor) -> float:
    """Σ a⊙b accumulated in float64."""
    return float((a.double() * b.double()).sum())


@dataclass
class Delta:
    """ΔW of one module. Subclasses: LowRank (U·D), Kron, Dense, Chunked (rebuilt per row range)."""

    kind: str  # "lora", "loha", "lokr", "full", "bias", "glora"
    rows: int
    cols: int
    approximate: bool = field(default=False, kw_only=True)

    def sq_norm(self) -> float:
        raise NotImplementedError

    def dense_rows(self, start: int, stop: int) -> torch.Tensor:
        """ΔW[start:stop] as a (stop-start, cols) float32 matrix."""
        raise NotImplementedError


@dataclass
class LowRank(Delta):
    up: torch.Tensor = None  # (rows, r)
    down: torch.Tensor = None  # (r, cols)
    scale: float = 1.0

    def sq_norm(self) -> float:
        return self.scale**2 * _dot(self.up.T @ self.up, self.down @ self.down.T)

    def dense_rows(self, start: int, stop: int) -> torch.Tensor:
        return self.scale * (self.up[start:stop] @ self.down)


@dataclass
class Kron(Delta):
    w1: torch.Tensor = None  # (a, b)
    w2: torch.Tensor = None  # (c, d[, kh, kw])
    scale: float = 1.0

    def sq_norm(self) -> float:
        return self.scale**2 * _dot(self.w1, self.w1) * _dot(self.w2, self.w2)

    def dense_rows(self, start: int, stop: int) -> torch.Tensor:
        h2 = self.w2.shape[0]
        a0, a1 = start // h2, -(-stop // h2)
        w1 = self.w1[a0:a1]
        if self.w2.dim() == 4:
            w1 = w1[:, :, None, None]
        block = torch.kron(w1, self.w2).reshape((a1 - a0) * h2, -1)
        return self.scale * block[start - a0 * h2: stop - a0 * h2]


@dataclass
class Dense(Delta):
    matrix: torch.Tensor = None  # (rows, cols)

    def sq_norm(self) -> float:
        return _dot(self.matrix, self.matrix)

    def dense_rows(self, start: int, stop: int) -> torch.Tensor:
        return self.matrix[start:stop]


@dataclass
class LoHa(Delta):
    w1a: torch.Tensor = None
    w1b: torch.Tensor = None
    w2a: torch.Tensor = None
    w2b: torch.Tensor = None
    scale: float = 1.0

    def sq_norm(self) -> float:
        return self.scale**2 * hadamard_sq_norm(self.w1a, self.w1b, self.w2a, self.w2b)

    def low_rank(self) -> LowRank | None:
        """(w1a·w1b) ⊙ (w2a·w2b) = P·Q with P[i,(a,b)] = w1a[i,a]·w2a[i,b] and Q[(a,b),j] = w1b[a,j]·w2b[b,j]
        (face-splitting products): an exact low-rank form of rank r1·r2, for inner products with other
        low-rank deltas. None when its Gram matrices ((rows+cols)·(r1·r2)² operations) cost more than
        rebuilding ΔW (rows·cols·(r1+r2))."""
        rows, cols, r1, r2 = self.rows, self.cols, self.w1a.shape[1], self.w2a.shape[1]
        if (rows + cols) * (r1 * r2) ** 2 > rows * cols * (r1 + r2):
            return None
        p = (self.w1a[:, :, None] * self.w2a[:, None, :]).reshape(rows, r1 * r2)
        q = (self.w1b[:, None, :] * self.w2b[None, :, :]).reshape(r1 * r2, cols)
        return LowRank("loha", rows, cols, up=p, down=q, scale=self.scale, approximate=self.approximate)

    def dense_rows(self, start: int, stop: int) -> torch.Tensor:
        m1 = self.w1a[start:stop] @ self.w1b
        m2 = self.w2a[start:stop] @ self.w2b
        return self.scale * (m1 * m2)


def iter_chunks(delta: Delta, start: int, stop: int):
    """ΔW[start:stop] in row chunks of at most CHUNK_VALUES values."""
    step = max(1, CHUNK_VALUES // max(1, delta.cols))
    for s in range(start, stop, step):
        yield delta.dense_rows(s, min(stop, s + step))


class Unmeasurable(ValueError):
    """A module whose ΔW cannot be computed from the file alone (message says why)."""


def _scale(alpha: torch.Tensor | None, rank: int) -> float:
    return 1.0 if alpha is None else float(alpha.item()) / rank


def _check_ranks(name: str, up: torch.Tensor, down: torch.Tensor) -> None:
    if up.shape[1] != down.shape[0]:
        raise Unmeasurable(f"{name}: up {tuple(up.shape)} and down {tuple(down.shape)} ranks differ")


def is_plain_lora(parts: dict[str, str]) -> bool:
    """Up and down factors without a Tucker core (LoRA, LoCon, DoRA's low-rank part)."""
    return "up" in parts and "down" in parts and "mid" not in parts


def lora_factors(name: str, parts: dict[str, str], load: Loader) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(U (rows, r), D (r, cols), α/r) of a plain LoRA module (`is_plain_lora`), in the stored dtype:
    ΔW = (α/r)·U·D. Unmeasurable when the ranks of up and down differ."""
    up, down = load(parts["up"]).flatten(1), load(parts["down"]).flatten(1)
    _check_ranks(name, up, down)
    return up, down, _scale(load(parts["alpha"]) if "alpha" in parts else None, down.shape[0])


def build_delta(name: str, parts: dict[str, str], load: Loader) -> list[Delta]:
    """The deltas of module `name` from its parts {part: tensor key}; Unmeasurable if it has none we can
    compute. A full diff with a bias diff gives two deltas (weight and bias)."""
    get = lambda part: _f32(load(parts[part])) if part in parts else None  # noqa: E731
    approximate = "dora_scale" in parts
    if is_plain_lora(parts):
        up, down, scale = lora_factors(name, parts, load)
        return [LowRank("lora", up.shape[0], down.shape[1], up=_f32(up), down=_f32(down), scale=scale,
                        approximate=approximate)]
    alpha = load(parts["alpha"]) if "alpha" in parts else None
    if "up" in parts and "down" in parts:  # LoCon Tucker: fold the kh×kw core into the down factor.
        up, down = get("up").flatten(1), torch.einsum("cjhw,ji->cihw", get("mid"), get("down").flatten(1))
        down = down.flatten(1)
        _check_ranks(name, up, down)
        return [LowRank("lora", up.shape[0], down.shape[1], up=up, down=down, scale=_scale(alpha, down.shape[0]),
                        approximate=approximate)]
    if "hada_w1_a" in parts:
        w1a, w1b, w2a, w2b = get("hada_w1_a"), get("hada_w1_b"), get("hada_w2_a"), get("hada_w2_b")
        if w1b is None or w2a is None or w2b is None:
            raise Unmeasurable(f"{name}: LoHa needs hada_w1_a/b and hada_w2_a/b")
        scale = _scale(alpha, w1b.shape[0])
        if "hada_t1" in parts:  # CP decomposition: conv weights, small enough to rebuild whole.
            m1 = torch.einsum("ijkl,jr,ip->prkl", get("hada_t1"), w1b, w1a).flatten(1)
            m2 = torch.einsum("ijkl,jr,ip->prkl", get("hada_t2"), w2b, w2a).flatten(1)
            return [Dense("loha", m1.shape[0], m1.shape[1], matrix=scale * m1 * m2, approximate=approximate)]
        return [_loha(w1a, w1b, w2a, w2b, scale, approximate)]
    if any(p.startswith("lokr_") for p in parts):
        return [_lokr(name, parts, get, alpha, approximate)]
    out: list[Delta] = []
    weight = get("diff") if "diff" in parts else get("w_norm")
    if weight is not None:
        flat = weight.reshape(weight.shape[0], -1) if weight.dim() else weight.reshape(1, 1)
        out.append(Dense("full", flat.shape[0], flat.shape[1], matrix=flat))
    bias = get("diff_b") if "diff_b" in parts else get("b_norm")
    if bias is not None:
        out.append(Dense("bias", bias.numel(), 1, matrix=bias.reshape(-1, 1)))
    if out:
        return out
    if "glora_b1" in parts and "glora_b2" in parts:
        b1, b2 = get("glora_b1").flatten(1), get("glora_b2").flatten(1)
        return [LowRank("glora", b2.shape[0], b1.shape[1], up=b2, down=b1, scale=1.0, approximate=True)]
    if "oft_blocks" in parts:
        raise Unmeasurable(f"{name}: OFT/BOFT rotates the base weight; its change needs the model")
    if "set_weight" in parts:
        raise Unmeasurable(f"{name}: set_weight replaces the base weight; its change needs the model")
    raise Unmeasurable(f"{name}: no adapter tensors (parts: {', '.join(sorted(parts))})")


def _loha(w1a, w1b, w2a, w2b, scale: float, approximate: bool) -> Delta:
    rows, cols = w1a.shape[0], w1b.shape[1]
    return LoHa("loha", rows, cols, w1a=w1a, w1b=w1b, w2a=w2a, w2b=w2b, scale=scale, approximate=approximate)


def _lokr(name: str, parts: dict[str, str], get, alpha, approximate: bool) -> Kron:
    dim = None
    w1 = get("lokr_w1")
    if w1 is None:
        w1a, w1b = get("lokr_w1_a"), get("lokr_w1_b")
        if w1a is None or w1b is None:
            raise Unmeasurable(f"{name}: LoKr needs lokr_w1 or lokr_w1_a/lokr_w1_b")
        w1, dim = w1a @ w1b, w1b.shape[0]
    w2 = get("lokr_w2")
    if w2 is None:
        w2a, w2b = get("lokr_w2_a"), get("lokr_w2_b")
        if w2a is None or w2b is None:
            raise Unmeasurable(f"{name}: LoKr needs lokr_w2 or lokr_w2_a/lokr_w2_b")
        dim = w2b.shape[0]
        t2 = get("lokr_t2")
        w2 = w2a @ w2b if t2 is None else torch.einsum("ijkl,jr,ip->prkl", t2, w2b, w2a)
    scale = float(alpha.item()) / dim if alpha is not None and dim is not None else 1.0
    rows = w1.shape[0] * w2.shape[0]
    cols = w1.shape[1] * w2[0].numel()
    return Kron("lokr", rows, cols, w1=w1, w2=w2, scale=scale, approximate=approximate)


def inner(a: Delta, a_rows: tuple[int, int], b: Delta, b_rows: tuple[int, int]) -> float:
    """⟨ΔWa[a_rows], ΔWb[b_rows]⟩ (equal-length row ranges of equal-width matrices)."""
    if a.cols != b.cols or a_rows[1] - a_rows[0] != b_rows[1] - b_rows[0]:
        raise ValueError(f"shape mismatch: {a.kind} {a.rows}x{a.cols} rows {a_rows} vs "
                         f"{b.kind} {b.rows}x{b.cols} rows {b_rows}")
    a = (a.low_rank() or a) if isinstance(a, LoHa) else a
    b = (b.low_rank() or b) if isinstance(b, LoHa) else b
    if isinstance(a, LowRank) and isinstance(b, LowRank):
        ua, ub = a.up[a_rows[0]:a_rows[1]], b.up[b_rows[0]:b_rows[1]]
        return a.scale * b.scale * _dot(ua.T @ ub, a.down @ b.down.T)
    full = a_rows == (0, a.rows) and b_rows == (0, b.rows)
    if full and isinstance(a, Kron) and isinstance(b, Kron) and a.w1.shape == b.w1.shape and a.w2.shape == b.w2.shape:
        return a.scale * b.scale * _dot(a.w1, b.w1) * _dot(a.w2, b.w2)
    total = 0.0
    offset = b_rows[0] - a_rows[0]
    for chunk_start in range(a_rows[0], a_rows[1], max(1, CHUNK_VALUES // max(1, a.cols))):
        chunk_stop = min(a_rows[1], chunk_start + max(1, CHUNK_VALUES // max(1, a.cols)))
        ca = a.dense_rows(chunk_start, chunk_stop)
        cb = b.dense_rows(chunk_start + offset, chunk_stop + offset)
        total += _dot(ca, cb)
    return total
