"""Read a LoRA file's modules lazily (`safetensors.safe_open`) and turn them into ΔW objects per block."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from safetensors import safe_open

from ..block_layouts import block_of_module, module_of_key, normalise_module
from .deltas import Delta, Unmeasurable, build_delta
from .targets import Target, target_of_module

log = logging.getLogger(__name__)


@dataclass
class ModuleEntry:
    """One measured module: its block, canonical target and ΔW (bias diffs are separate entries)."""

    name: str
    block: str
    target: Target
    delta: Delta | None  # None when loaded with keep_deltas=False (norms only)
    sq_norm: float


@dataclass
class LoraFactors:
    """Every measurable module of one LoRA file, grouped by block, plus what could not be measured."""

    path: str
    arch: str
    keys: list[str]
    blocks: dict[str, list[ModuleEntry]] = field(default_factory=dict)
    unmeasured: dict[str, str] = field(default_factory=dict)  # module -> reason
    block_of_unmeasured: dict[str, str] = field(default_factory=dict)
    adapter_counts: dict[str, int] = field(default_factory=dict)
    _approximate: set[str] = field(default_factory=set)

    @property
    def approximate(self) -> bool:
        return bool(self.approximate_modules)

    @property
    def approximate_modules(self) -> list[str]:
        return sorted(self._approximate)

    def block_sq_norms(self) -> dict[str, float]:
        """‖ΔW_b‖² per block: modules of one LoRA patch different weights (or disjoint row slices of a
        fused weight), so the squares add up exactly."""
        return {b: math.fsum(e.sq_norm for e in entries) for b, entries in self.blocks.items()}


def group_modules(keys) -> dict[str, dict[str, str]]:
    """{module: {part: key}} for tensor keys (sorted, so iteration order is stable)."""
    modules: dict[str, dict[str, str]] = defaultdict(dict)
    for key in sorted(keys):
        module, part = module_of_key(key)
        modules[module][part] = key
    return dict(modules)


def load_factors(path: str | Path, arch: str, keep_deltas: bool = True) -> LoraFactors:
    """Open `path` and build every module's ΔW, reading tensors one module at a time.

    With `keep_deltas=False` only the norms are kept, so memory stays at one module's factors.
    """
    path = str(path)
    with safe_open(path, framework="pt", device="cpu") as f:
        keys = list(f.keys())
        factors = LoraFactors(path, arch, keys)
        counts: dict[str, int] = defaultdict(int)
        for name, parts in group_modules(keys).items():
            module = normalise_module(name)
            block = block_of_module(arch, module)
            try:
                deltas = build_delta(name, parts, f.get_tensor)
            except Unmeasurable as exc:
                factors.unmeasured[name] = str(exc)
                factors.block_of_unmeasured[name] = block
                continue
            target = target_of_module(arch, module)
            for delta in deltas:
                sq = delta.sq_norm()
                if not math.isfinite(sq):
                    factors.unmeasured[name] = f"{name}: non-finite values (NaN/inf) in its tensors"
                    factors.block_of_unmeasured[name] = block
                    break
                t = Target(target.name + "#bias", target.units) if delta.kind == "bias" else target
                if delta.approximate:
                    factors._approximate.add(name)
                kept = delta if keep_deltas else None
                factors.blocks.setdefault(block, []).append(ModuleEntry(name, block, t, kept, sq))
                counts[delta.kind] += 1
        factors.adapter_counts = dict(sorted(counts.items()))
    if factors.unmeasured:
        log.info("%s: %d module(s) not measured, e.g. %s", path, len(factors.unmeasured),
                 next(iter(factors.unmeasured.values())))
    return factors
