"""Energy bench: exact block energy of LoHa / LoKr / full-diff LoRAs against naive materialisation.

    .comfyhost/venv/bin/python bench/energy_adapters.py [--dir DIR] [--cases loha32,loha16,lokr,full] [--repeat 3]

Files (the test kit's factory, fp16, SDXL UNet, every attention/feed-forward layer unless said):
  loha32 / loha16  LoHa rank 32 / 16, 722 modules, 2.2 G weight elements (the issue's case)
  lokr             LoKr (factored w2), 722 modules
  full             full-weight diff of the compact layer set (132 modules, 0.28 G elements)
  loha32c / loha16c  LoHa on the compact layer set (a quicker run on a busy machine)
For each: `compute_stats` (best of --repeat; as the worker processes run it: one thread per core, one
torch thread each) against the naive way measured in the same run (read the tensors with safe_open,
build every ΔW whole in float32, sum its squares in float64; best of 2) at torch's default thread
count; the two totals' relative difference; peak memory of one compute_stats in a fresh child process
(VmHWM above the RSS before the call). For LoHa, the matmul work of rebuilding every ΔW (2·m·n·(r1+r2)
flops per module) divided by the time, next to a float32 torch matmul (2048³) measured in the same run
on one thread and on all: what the arithmetic alone would allow. Targets (issue 14): loha32 <= 3 s and
loha16 <= 1.5 s on 2 cores, each >= 1.5x faster than naive.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import lwb_testkit.pack  # noqa: E402,F401  (registers lora_weights_builder)
import torch  # noqa: E402
from energy_memory import energy_peak_mb  # noqa: E402
from lora_weights_builder.modules.blocks.energy import compute_stats  # noqa: E402
from lora_weights_builder.modules.blocks.energy.factors import group_modules  # noqa: E402
from lora_weights_builder.modules.blocks.energy.threads import cores  # noqa: E402
from safetensors import safe_open  # noqa: E402

CASES = {
    "loha32": dict(adapter="loha", rank=32, modules="all"),
    "loha16": dict(adapter="loha", rank=16, modules="all"),
    "lokr": dict(adapter="lokr", rank=16, modules="all"),
    "full": dict(adapter="full", rank=1, modules="compact", max_modules=10_000),
    # The compact layer set (132 modules, 0.28 G elements): the same comparison in 1/8 of the time.
    "loha32c": dict(adapter="loha", rank=32, modules="compact"),
    "loha16c": dict(adapter="loha", rank=16, modules="compact"),
}


def naive_delta(f, parts: dict[str, str], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """ΔW of one module built whole in `dtype` (ComfyUI's formulas, strength 1)."""
    get = lambda p: f.get_tensor(parts[p]).to(dtype)  # noqa: E731
    alpha = float(f.get_tensor(parts["alpha"])) if "alpha" in parts else None
    if "hada_w1_a" in parts:
        scale = alpha / get("hada_w1_b").shape[0] if alpha is not None else 1.0
        return scale * (get("hada_w1_a") @ get("hada_w1_b")) * (get("hada_w2_a") @ get("hada_w2_b"))
    if "lokr_w1" in parts:
        if "lokr_w2" in parts:
            w2, scale = get("lokr_w2"), 1.0
        else:
            w2 = get("lokr_w2_a") @ get("lokr_w2_b")
            scale = alpha / get("lokr_w2_b").shape[0] if alpha is not None else 1.0
        return scale * torch.kron(get("lokr_w1"), w2.flatten(1))
    if "diff" in parts:
        return get("diff").flatten(1)
    raise ValueError(f"naive baseline does not know parts {sorted(parts)}")


def matmul_peak(threads: int) -> float:
    """GFLOP/s of a float32 2048×2048×2048 torch matmul on `threads` threads (best of 5)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
        out = torch.empty(2048, 2048)
        seconds, _ = best_of(lambda: torch.mm(a, b, out=out), 5)
        return 2 * 2048**3 / seconds / 1e9
    finally:
        torch.set_num_threads(before)


def rebuild_flops(path: Path) -> float:
    """2·m·n·(r1+r2) summed over the LoHa modules: the matmul work of rebuilding every ΔW."""
    flops = 0.0
    with safe_open(str(path), framework="pt", device="cpu") as f:
        for parts in group_modules(f.keys()).values():
            if "hada_w1_a" in parts:
                m, r1 = f.get_slice(parts["hada_w1_a"]).get_shape()[:2]
                r2 = f.get_slice(parts["hada_w2_a"]).get_shape()[1]
                n = math.prod(f.get_slice(parts["hada_w1_b"]).get_shape()[1:])
                flops += 2 * m * n * (r1 + r2)
    return flops


def naive_total(path: Path, dtype: torch.dtype = torch.float32) -> tuple[float, int]:
    """(Σ‖ΔW‖², ΔW elements) the naive way (float64: the brute-force reference, not timed)."""
    total, elements = 0.0, 0
    with safe_open(str(path), framework="pt", device="cpu") as f:
        for parts in group_modules(f.keys()).values():
            dw = naive_delta(f, parts, dtype)
            elements += dw.numel()
            total += float(dw.double().square().sum())
            if "diff_b" in parts:
                total += float(f.get_tensor(parts["diff_b"]).double().square().sum())
    return total, elements


def best_of(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def bench_case(work: Path, name: str, repeat: int) -> None:
    from lwb_testkit.lora_factory import make_lora

    spec = CASES[name]
    path = work / f"sdxl_{name}.safetensors"
    if not path.exists():
        t = time.perf_counter()
        make_lora(path, "SDXL", "kohya", spec["adapter"], rank=spec["rank"], alpha=spec["rank"] / 2,
                  modules=spec["modules"], text_encoder=False, max_modules=spec.get("max_modules"))
        size_mb = path.stat().st_size / 2**20
        print(f"[{name}] generated {path.name} ({size_mb:.0f} MB) in {time.perf_counter() - t:.1f}s")
    path.read_bytes()  # warm the page cache
    ours_s, stats = best_of(lambda: compute_stats(path, "SDXL"), repeat)
    naive_s, (naive, elements) = best_of(lambda: naive_total(path), 2)
    ours = stats["total_norm"] ** 2
    modules = sum(stats["adapter_counts"].values())
    print(f"[{name}] {modules} modules, {elements / 1e9:.2f} G weight elements; "
          f"compute_stats on {cores()} threads, naive on {torch.get_num_threads()} torch threads: "
          f"compute_stats {ours_s:.2f}s, naive float32 materialisation {naive_s:.2f}s = "
          f"{naive_s / ours_s:.2f}x faster (target >= 1.5x); totals agree to {abs(ours - naive) / naive:.1e} relative")
    exact, _ = naive_total(path, torch.float64)
    print(f"[{name}] relative error against a float64 brute force: compute_stats {abs(ours - exact) / exact:.1e}, "
          f"naive float32 {abs(naive - exact) / exact:.1e} (target < 1e-5)")
    flops = rebuild_flops(path)
    if flops:
        print(f"[{name}] rebuilding every ΔW is {flops / 1e9:.0f} GFLOP of matmul: {flops / 1e9 / ours_s:.0f} GFLOP/s "
              f"effective in compute_stats, {flops / 1e9 / naive_s:.0f} GFLOP/s naive")
    mem = energy_peak_mb(path)
    print(f"[{name}] compute_stats peak memory: +{mem['peak'] - mem['before']:.0f} MB above {mem['before']:.0f} MB "
          f"(file {path.stat().st_size / 2**20:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="keep the generated files here")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="lwb_bench_energy_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")
    n = torch.get_num_threads()
    print(f"float32 torch matmul 2048^3: {matmul_peak(1):.0f} GFLOP/s on 1 thread, {matmul_peak(n):.0f} GFLOP/s "
          f"on {n}")
    try:
        for name in args.cases.split(","):
            bench_case(work, name, args.repeat)
    finally:
        if args.dir is None:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
