"""Inspection bench: header-only inspection of 10,000 LoRAs, and block energy of an SDXL rank-32 LoRA.

    .comfyhost/venv/bin/python bench/inspection.py [--count 10000] [--dir DIR] [--keep] [--skip-headers]
        [--skip-energy] [--energy-rank 32] [--uncached-sample 1000]

a. Header-only inspection of 10,000 files from `bench/library_index.py`'s generator (real
   SD1.5/SDXL/FLUX.1 headers, kohya/diffusers names, sparse data; a third with a LoRA Manager sidecar;
   page cache warm): architecture (`detect_architecture`: sidecar + header metadata + keys), blocks
   present (`block_of_key`), Inspire slots, rank and alpha (`ss_network_alpha`, else the first
   `.alpha` scalar with one seek), sidecar, trigger words, preview. Target: < 20 s in total.
   Timed twice: the library's way (tensor-table analysis shared by files with byte-identical tables,
   `library.structure.StructureCache`) over all files, and with no cache at all (`read_header` with
   full validation and the key analysis per file) over a sample, projected, with a per-stage split.
   Baseline in the same run: reading + json-parsing every header.
b. `blocks.energy.compute_stats` of an SDXL rank-32 LoRA of every layer with text encoders (the test
   kit's factory, fp16), against (i) reading the same tensors with `safetensors.safe_open` (target:
   ratio <= 3x), at torch's default thread count and single-threaded (on a shared, busy machine
   torch's parallel regions wait for a descheduled thread), and (ii) materialising every ΔW in torch
   (target: >= 10x slower). Peak memory of one `compute_stats` call, in a fresh child process
   (VmHWM reset before the call; the file's mmapped pages count; target: <= file size + 64 MB).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import lwb_testkit.pack  # noqa: E402,F401  (registers lora_weights_builder)
import torch  # noqa: E402
from energy_memory import energy_peak_mb  # noqa: E402
from lora_weights_builder.modules.arch.detect import detect_architecture  # noqa: E402
from lora_weights_builder.modules.blocks.energy import compute_stats  # noqa: E402
from lora_weights_builder.modules.blocks.energy.factors import group_modules  # noqa: E402
from lora_weights_builder.modules.blocks.layouts import (  # noqa: E402
    block_of_key,
    inspire_slots,
    module_of_key,
    sort_blocks,  # noqa: E402
)
from lora_weights_builder.modules.inspection.header import read_header  # noqa: E402
from lora_weights_builder.modules.inspection.sidecars import find_preview, load_metadata_sidecar, trigger_words  # noqa: E402
from lora_weights_builder.modules.library.structure import StructureCache  # noqa: E402
from safetensors import safe_open  # noqa: E402

_SCALAR = {"F16": "<e", "F32": "<f", "F64": "<d"}
_RANK_PARTS = ("down", "hada_w1_b", "lokr_w1_b", "lokr_w2_b")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---- a. header-only inspection ----------------------------------------------------------------------

def rank_alpha(path: Path, header) -> tuple[int | None, float | None]:
    """Rank from the first down factor's shape; alpha from the metadata, else the first `.alpha` scalar."""
    rank, alpha_at = None, None
    for key, info in header.tensors.items():
        part = module_of_key(key)[1]
        if rank is None and part in _RANK_PARTS and len(info.shape) >= 2:
            rank = info.shape[0]
        elif alpha_at is None and part == "alpha" and info.numel == 1 and info.dtype in _SCALAR:
            alpha_at = info
        if rank is not None and alpha_at is not None:
            break
    if "ss_network_alpha" in header.metadata:
        return rank, float(header.metadata["ss_network_alpha"])
    if alpha_at is None:
        return rank, None
    with open(path, "rb") as f:
        f.seek(header.data_start + alpha_at.data_offsets[0])
        fmt = _SCALAR[alpha_at.dtype]
        return rank, struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


STAGES = ("read_header", "sidecar", "detect", "blocks", "inspire", "rank_alpha")


def one_key_per_module(keys) -> list[str]:
    """Blocks and Inspire slots are per module: one key of each is enough (as `library.structure` keeps)."""
    return list({module_of_key(k)[0]: k for k in keys}.values())


def inspect_file(path: Path, times: dict[str, float]) -> dict:
    """Everything from scratch: no cache of any kind."""
    clock = time.perf_counter
    t0 = clock()
    header = read_header(path)
    t1 = clock()
    sidecar = load_metadata_sidecar(path)
    data = sidecar.data if sidecar else None
    words = trigger_words(data)
    preview = find_preview(path)
    t2 = clock()
    verdict = detect_architecture(header, sidecar=data)
    t3 = clock()
    keys = one_key_per_module(header.tensors)
    blocks = sort_blocks({block_of_key(verdict.arch, k) for k in keys})
    t4 = clock()
    slots = inspire_slots(verdict.arch, keys)
    t5 = clock()
    rank, alpha = rank_alpha(path, header)
    t6 = clock()
    for stage, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=False):
        times[stage] += dt
    return {"arch": verdict.arch, "blocks": blocks, "slots": len(slots), "rank": rank, "alpha": alpha,
            "words": words, "preview": preview}


def inspect_file_cached(path: Path, cache: StructureCache, slots_memo: dict) -> dict:
    """The library's way: the tensor table's analysis (validation, key analysis, blocks, rank) is shared by
    files whose tables are byte-identical (`library.structure.StructureCache`); metadata, sidecars and the
    architecture decision are per file. Inspire slots depend only on the table and the architecture, so
    they are memoised alongside."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        raw = f.read(n)
        structure, metadata = cache.parse(raw, os.fstat(f.fileno()).st_size, path)
        alpha = metadata.get("ss_network_alpha")
        if alpha is None and structure.alpha_tensor is not None:
            dtype, offset = structure.alpha_tensor
            f.seek(8 + n + offset)
            alpha = struct.unpack(_SCALAR[dtype], f.read(struct.calcsize(_SCALAR[dtype])))[0]
    sidecar = load_metadata_sidecar(path)
    data = sidecar.data if sidecar else None
    verdict = detect_architecture(None, metadata, data, keys=structure.keys)
    blocks = structure.blocks(verdict.arch)
    memo_key = (id(structure), verdict.arch)
    if memo_key not in slots_memo:
        slots_memo[memo_key] = (structure, inspire_slots(verdict.arch, structure.modules))
    return {"arch": verdict.arch, "blocks": blocks, "slots": len(slots_memo[memo_key][1]), "rank": structure.rank,
            "alpha": alpha, "words": trigger_words(data), "preview": find_preview(path)}


def bench_headers(work: Path, count: int, sample: int) -> None:
    from library_index import make_library  # bench/library_index.py: the same realistic library

    root = work / "loras"
    if not root.exists():
        made = make_library(root, count)
        print(f"generated {count} LoRAs ({made['templates']} distinct tensor tables) in {made['seconds']:.1f}s")
    files = sorted(root.rglob("*.safetensors"))
    tensors = 0
    t = time.perf_counter()
    for path in files:  # baseline, and warms the page cache
        with open(path, "rb") as f:
            tensors += len(json.loads(f.read(int.from_bytes(f.read(8), "little")))) - 1
    base = time.perf_counter() - t
    print(f"[a] {len(files)} files, {tensors / len(files):.0f} tensors per file on average")
    print(f"[a] baseline read+json-parse every header: {base:.2f}s ({base / len(files) * 1e3:.2f} ms/file)")

    cache, memo = StructureCache(), {}
    t = time.perf_counter()
    for path in files:
        inspect_file_cached(path, cache, memo)
    total = time.perf_counter() - t
    print(f"[a] header-only inspection, structure cache ({cache.misses} distinct tables parsed): {total:.2f}s "
          f"for {len(files)} files (target < 20 s), {total / len(files) * 1e3:.2f} ms/file, "
          f"{total / base:.2f}x the baseline")

    picked = files[:: max(1, len(files) // sample)]
    times = dict.fromkeys(STAGES, 0.0)
    t = time.perf_counter()
    for path in picked:
        inspect_file(path, times)
    total = time.perf_counter() - t
    per_file = total / len(picked)
    print(f"[a] header-only inspection, no cache at all, {len(picked)} of the files: {per_file * 1e3:.2f} ms/file "
          f"= {per_file * len(files):.1f}s projected for {len(files)} files")
    print("[a]   per stage: " + ", ".join(f"{s} {times[s] / len(picked) * 1e3:.2f} ms" for s in STAGES))


# ---- b. block energy ----------------------------------------------------------------------------------

def read_all(path: Path) -> float:
    """Baseline (i): every tensor read once with safe_open (what any energy computation must do)."""
    total = 0.0
    with safe_open(str(path), framework="pt", device="cpu") as f:
        for key in f.keys():  # noqa: SIM118 (safe_open is not a dict)
            total += f.get_tensor(key).numel()
    return total


def materialise_all(path: Path) -> float:
    """Baseline (ii): ‖ΔW‖² of every module with ΔW = (α/r)·up·down materialised in float32."""
    total = 0.0
    with safe_open(str(path), framework="pt", device="cpu") as f:
        for parts in group_modules(f.keys()).values():
            up, down = f.get_tensor(parts["up"]).float().flatten(1), f.get_tensor(parts["down"]).float().flatten(1)
            scale = float(f.get_tensor(parts["alpha"])) / down.shape[0] if "alpha" in parts else 1.0
            dw = scale * (up @ down)
            total += float(dw.double().square().sum())
    return total


def best_of(fn, path: Path, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn(path)
        best = min(best, time.perf_counter() - t)
    return best, result


def bench_energy(work: Path, rank: int) -> None:
    from lwb_testkit.lora_factory import make_lora

    path = work / f"sdxl_all_r{rank}.safetensors"
    if not path.exists():
        t = time.perf_counter()
        make_lora(path, "SDXL", "kohya", "lora", rank=rank, alpha=rank / 2, modules="all", text_encoder=True)
        print(f"[b] generated {path.name} in {time.perf_counter() - t:.1f}s")
    size_mb = path.stat().st_size / 2**20
    with safe_open(str(path), framework="pt", device="cpu") as f:
        n_keys = len(list(f.keys()))
    print(f"[b] SDXL kohya LoRA, all layers + both text encoders, rank {rank}: {n_keys} tensors, {size_mb:.1f} MB")
    read_all(path)  # warm the page cache
    threads = torch.get_num_threads()
    for n in dict.fromkeys((threads, 1)):
        torch.set_num_threads(n)
        read_s, _ = best_of(read_all, path, 5)
        energy_s, stats = best_of(lambda p: compute_stats(p, "SDXL"), path, 5)
        print(f"[b] torch threads {n}: read every tensor (safe_open) {read_s * 1e3:.0f} ms; "
              f"compute_stats {energy_s * 1e3:.0f} ms = {energy_s / read_s:.2f}x the read (target <= 3x)")
    # Materialising is slow (about a minute here): once, single-threaded, against the last compute_stats time.
    dense_s, dense_total = best_of(materialise_all, path, 1)
    rel = abs(stats["total_norm"] ** 2 - dense_total) / dense_total
    print(f"[b] torch threads 1: materialise every ΔW {dense_s * 1e3:.0f} ms = {dense_s / energy_s:.1f}x "
          f"compute_stats (target >= 10x); total energy agrees to {rel:.1e} relative")
    torch.set_num_threads(threads)
    mem = energy_peak_mb(path)
    delta = mem["peak"] - mem["before"]
    print(f"[b] compute_stats peak memory: +{delta:.0f} MB above {mem['before']:.0f} MB before the call "
          f"(target <= file {size_mb:.0f} MB + 64 MB = {size_mb + 64:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--skip-headers", action="store_true")
    parser.add_argument("--skip-energy", action="store_true")
    parser.add_argument("--uncached-sample", type=int, default=1000, help="files inspected with no cache at all")
    parser.add_argument("--energy-rank", type=int, default=32)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="lwb_bench_inspection_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not args.skip_headers:
            bench_headers(work, args.count, args.uncached_sample)
        if not args.skip_energy:
            bench_energy(work, args.energy_rank)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
