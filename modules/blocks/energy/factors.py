"""Read a LoRA file's modules one at a time (`reader.TensorReader`) and turn them into ΔW objects per block."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..layouts import block_of_module, module_of_key, normalise_module
from .batched import LowRankNorms
from .deltas import Delta, Unmeasurable, build_delta, is_plain_lora, lora_factors
from .reader import TensorReader
from .targets import Target, target_of_module
from .threads import map_threads

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


_FULL_PARTS = frozenset({"diff", "diff_b", "w_norm", "b_norm"})


def _streamed_full(parts: dict[str, str]) -> list[tuple[str, str]]:
    """[(kind, key)] of a full-diff module measured straight from the file (norms only): its weight
    and bias diffs, which may be as large as the base weight."""
    if not parts.keys() <= _FULL_PARTS:
        return []
    weight = parts.get("diff", parts.get("w_norm"))
    bias = parts.get("diff_b", parts.get("b_norm"))
    return [(kind, key) for kind, key in (("full", weight), ("bias", bias)) if key is not None]


Job = tuple[str, str, str, dict[str, str]]  # (module name, block, normalised module, parts)


def load_factors(path: str | Path, arch: str, keep_deltas: bool = True,
                 version: tuple[int, int] | None = None, threads: int = 1) -> LoraFactors:
    """Open `path` and build every module's ΔW, reading each tensor once.

    With `keep_deltas=False` only the norms are kept: plain LoRA modules are then measured in batches
    of same-shaped modules (`batched.py`), full diffs streamed from the file in row chunks, other
    adapters one by one, and memory stays bounded by the batch budget plus one module's factors per
    thread. `threads` > 1 measures that many modules at once (`threads.map_threads`: one torch thread
    each, largest modules first); results are recorded in file order whatever the order they finish.
    `version=(size, mtime_ns)` pins the file version expected; a file that is another version, or
    changes while it is read, raises `reader.FileChangedError` (no result for a mixed read).
    """
    path = str(path)
    batch = None if keep_deltas else LowRankNorms()
    with TensorReader(path, version) as f:
        keys = f.keys()
        factors = LoraFactors(path, arch, keys)
        counts: dict[str, int] = defaultdict(int)
        pending: list[tuple[str, str, Target, bool]] = []  # batched modules, in file order
        jobs: list[Job] = []  # in file order
        for name, parts in group_modules(keys).items():
            module = normalise_module(name)
            block = block_of_module(arch, module)
            if batch is not None and is_plain_lora(parts):
                try:
                    batch.add(name, *lora_factors(name, parts, f.get_tensor))
                except Unmeasurable as exc:
                    factors.unmeasured[name] = str(exc)
                    factors.block_of_unmeasured[name] = block
                    continue
                pending.append((name, block, target_of_module(arch, module), "dora_scale" in parts))
                continue
            jobs.append((name, block, module, parts))
        measure = lambda job: _measure(f, arch, job, keep_deltas)  # noqa: E731
        results = map_threads(measure, jobs, threads, lambda job: _cost(f, job[3]))
        for (name, block, _, _), measured in zip(jobs, results, strict=True):
            if isinstance(measured, str):
                factors.unmeasured[name] = measured
                factors.block_of_unmeasured[name] = block
                continue
            for target, kind, sq, approximate, delta in measured:
                if not _record(factors, counts, name, block, target, kind, sq, approximate, delta):
                    break
        f.verify()
    if batch is not None:
        norms = batch.finish()
        for name, block, target, approximate in pending:
            _record(factors, counts, name, block, target, "lora", norms[name], approximate, None)
    factors.adapter_counts = dict(sorted(counts.items()))
    if factors.unmeasured:
        log.info("%s: %d module(s) not measured, e.g. %s", path, len(factors.unmeasured),
                 next(iter(factors.unmeasured.values())))
    return factors


Measured = list[tuple[Target, str, float, bool, Delta | None]]  # (target, kind, ‖ΔW‖², approximate, ΔW)


def _measure(f: TensorReader, arch: str, job: Job, keep_deltas: bool) -> Measured | str:
    """The measured deltas of one module (weight, then bias), or why it cannot be measured."""
    name, _, module, parts = job
    target = target_of_module(arch, module)
    bias_target = Target(target.name + "#bias", target.units)
    try:
        streamed = _streamed_full(parts) if not keep_deltas else []
        if streamed:
            return [(bias_target if kind == "bias" else target, kind, f.sq_norm_rows(key), False, None)
                    for kind, key in streamed]
        deltas = build_delta(name, parts, f.get_tensor)
    except Unmeasurable as exc:
        return str(exc)
    return [(bias_target if d.kind == "bias" else target, d.kind, d.sq_norm(), d.approximate,
             d if keep_deltas else None) for d in deltas]


def _cost(f: TensorReader, parts: dict[str, str]) -> float:
    """Rough work of measuring a module, to hand out the largest first: ΔW elements × ranks for LoHa
    (rebuilt or Gram form), values stored otherwise."""
    if "hada_w1_a" in parts and "hada_w1_b" in parts:
        a, b = f.info(parts["hada_w1_a"]).shape, f.info(parts["hada_w1_b"]).shape
        return float(a[0] * math.prod(b[1:]) * b[0]) if a and b else 0.0
    return float(sum(f.info(key).numel for key in parts.values()))


def _record(factors: LoraFactors, counts: dict[str, int], name: str, block: str, target: Target, kind: str,
            sq: float, approximate: bool, delta: Delta | None) -> bool:
    """Add one measured delta of module `name`; False (and the module listed as unmeasured) if its norm
    is not finite."""
    if not math.isfinite(sq):
        factors.unmeasured[name] = f"{name}: non-finite values (NaN/inf) in its tensors"
        factors.block_of_unmeasured[name] = block
        return False
    if approximate:
        factors._approximate.add(name)
    factors.blocks.setdefault(block, []).append(ModuleEntry(name, block, target, delta, sq))
    counts[kind] += 1
    return True
