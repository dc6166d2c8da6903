"""`compute_stats(path, arch)`: per-block weight-change energy of a LoRA file and its summary."""

from __future__ import annotations

from pathlib import Path

from ..layouts import block_metadata, infer_counts, layout_for
from .factors import LoraFactors, load_factors
from .stats import summarise
from .threads import cores

UNMEASURED_EXAMPLES = 10


def block_energies(lora: str | Path | LoraFactors, arch: str, *, threads: int | None = None) -> dict[str, float]:
    """{block: ‖ΔW_b‖²} at strength 1 (every block the LoRA has a measured module in); `threads` as in
    `compute_stats`."""
    if isinstance(lora, LoraFactors):
        return lora.block_sq_norms()
    factors = load_factors(lora, arch, keep_deltas=False, threads=cores() if threads is None else threads)
    return factors.block_sq_norms()


def stats_from_factors(factors: LoraFactors) -> dict:
    """The stats dict of `compute_stats` for already loaded factors."""
    arch = factors.arch
    sq = factors.block_sq_norms()
    for block in factors.block_of_unmeasured.values():
        sq.setdefault(block, 0.0)  # the block exists in the LoRA even if its change could not be measured
    stats = summarise(arch, sq)
    layout = layout_for(arch)
    counts = infer_counts(layout, sq) if layout else None
    stats["block_metadata"] = {b: block_metadata(arch, b, counts) for b in stats["energy_distribution"]}
    unmeasured = sorted(factors.unmeasured)
    stats["approximate"] = factors.approximate
    stats["approximate_modules"] = len(factors.approximate_modules)
    stats["unmeasured"] = {
        "count": len(unmeasured),
        "examples": [factors.unmeasured[m] for m in unmeasured[:UNMEASURED_EXAMPLES]],
    }
    stats["adapter_counts"] = factors.adapter_counts
    return stats


def compute_stats(path: str | Path, arch: str, *, version: tuple[int, int] | None = None,
                  threads: int | None = None) -> dict:
    """Per-block energy stats of the LoRA at `path` for architecture `arch` (JSON-serialisable).

    Keys: energy_distribution, block_norms, total_norm, block_metadata {label, group, tag, section},
    input_ratio, mid_ratio, output_ratio, sparsity, balance, clip_contribution, approximate (DoRA /
    GLoRA present: the low-rank part is measured, the base-dependent part is not),
    approximate_modules, unmeasured {count, examples}, adapter_counts. See `stats.py` for definitions.
    Tensors are read one module at a time with plain reads (`reader.py`); memory stays near one
    module's factors, whatever the file's size. `version=(size, mtime_ns)` pins the file version the
    caller keys the result by: a file that is another version, or changes while it is read, raises
    `FileChangedError` (an OSError) instead of giving a result for mixed or newer bytes.
    `threads`: modules measured at once, one core each (default: every core this process may use, see
    `threads.py`; torch's own thread count is 1 meanwhile and restored after, so call it where nothing
    else runs torch at the same time: the pack's worker processes).
    """
    threads = cores() if threads is None else threads
    return stats_from_factors(load_factors(path, arch, keep_deltas=False, version=version, threads=threads))
