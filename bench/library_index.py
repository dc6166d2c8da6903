"""Library index bench: a generated library of 10,000 LoRAs with headers of real size and shape.

    .comfyhost/venv/bin/python bench/library_index.py [--count 10000] [--dir /tmp/lwb_bench_library] [--keep]

The library is `realistic_library.py`'s: kohya SD1.5/SDXL LoRAs with dozens of `ss_*` keys,
`ss_tag_frequency`, `ss_dataset_dirs`, `ss_bucket_info` (tens of KB of metadata), full key sets with
text encoders (~2,950 tensors for SDXL rank 32), LyCORIS LoHa/LoKr/DoRA, PEFT FLUX.1/SD3; sparse data.
A third of the files have a LoRA Manager sidecar and a preview.

Printed: cold index time against reading + json-parsing every header in one process, measured in the
same run (target: <= 0.5x, with the worker processes on every core), unchanged rescan (< 0.5 s), search
first page p50/p99 (< 50 ms p99), RSS of the process holding the running index (< 300 MB). The page
cache is warm (the files were just written): this measures the index, not the disk.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import lwb_testkit.pack  # noqa: E402,F401  (registers lora_weights_builder)
from lora_weights_builder.modules.library import Library, store  # noqa: E402
from lora_weights_builder.modules.library.parse_workers import GC_YOUNG_OBJECTS  # noqa: E402
from realistic_library import make_library  # noqa: E402,F401  (bench/inspection.py imports it from here)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def baseline_walk(root: Path) -> float:
    t = time.perf_counter()
    for dirpath, _, names in os.walk(root):
        for name in names:
            os.stat(os.path.join(dirpath, name))
    return time.perf_counter() - t


def baseline_headers(root: Path) -> float:
    t = time.perf_counter()
    for path in root.rglob("*.safetensors"):
        with open(path, "rb") as f:
            json.loads(f.read(int.from_bytes(f.read(8), "little")))
    return time.perf_counter() - t


def baseline_headers_worker_gc(root: Path) -> float:
    """The baseline under the header workers' GC settings (`parse_workers.serve`): this process's heap
    (ComfyUI-sized imports) makes every full collection during json.loads walk it; the workers' does not."""
    gc.freeze()
    old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_OBJECTS, 10, 10)
    try:
        return baseline_headers(root)
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


QUERIES = [{}, {"q": "aiko"}, {"q": "water"}, {"family": "SDXL"}, {"role": "style", "sort": "size", "order": "desc"},
           {"q": "knight armor"}, {"format": "lora", "clip": "true"}, {"layout": "flux_19_38", "sort": "modified"},
           {"q": "portrait", "family": "SD15"}, {"sort": "rank", "order": "desc"}, {"folder": "characters/sdxl"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated library")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="lwb_bench_library_"))
    root = work / "loras"
    if not root.exists():
        made = make_library(root, args.count)
        du = sum(os.stat(p).st_blocks * 512 for p in root.rglob("*")) / 2**20
        print(f"generated {args.count} LoRAs ({made['templates']} distinct tensor tables, headers "
              f"{made['header_bytes'] / args.count / 1024:.0f} KB on average) in {made['seconds']:.1f}s, "
              f"{du:.0f} MB on disk")
    db = work / "user" / "library.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    rss_before = rss_mb()
    walk_s, headers_s = baseline_walk(root), baseline_headers(root)
    tuned_s = baseline_headers_worker_gc(root)
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; baseline: walk+stat {walk_s:.2f}s, "
          f"read+json.loads every header (one process) {headers_s:.2f}s ({tuned_s:.2f}s with the workers' GC settings)")

    lib = Library(db, lambda: [str(root)], background_energy=False)  # the index alone, not the energy pass after it
    t = time.perf_counter()
    lib.start_scan()
    lib.wait()
    cold = time.perf_counter() - t
    report = lib.status()["last_scan"]
    assert report["complete"] and report["seen"] == args.count, report
    print(f"cold index: {cold:.2f}s for {report['seen']} files with {report['workers']} worker processes "
          f"= {cold / headers_s:.2f}x reading+parsing every header in one process (target <= 0.5x; "
          f"{cold / tuned_s:.2f}x with the workers' GC settings), "
          f"{report['error_count']} errors")

    t = time.perf_counter()
    lib.start_scan()
    lib.wait()
    rescan = time.perf_counter() - t
    assert lib.status()["last_scan"]["read"] == 0
    print(f"unchanged rescan: {rescan:.3f}s (target < 0.5 s; {rescan / walk_s:.2f}x a bare walk+stat)")

    times = []
    for _ in range(20):
        for params in QUERIES:
            q = store.parse_query({**params, "page_size": "50"})
            t = time.perf_counter()
            lib.search(q)
            times.append(time.perf_counter() - t)
    times.sort()
    p50, p99 = times[len(times) // 2] * 1e3, times[int(len(times) * 0.99) - 1] * 1e3
    print(f"search first page (50 rows, {len(times)} queries incl. connection): p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms (target < 50 ms)")
    facets_t = time.perf_counter()
    lib.index_counts()
    print(f"status facets: {(time.perf_counter() - facets_t) * 1e3:.1f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RSS: {rss_mb():.0f} MB now, {peak:.0f} MB peak, {rss_before:.0f} MB before the index existed "
          f"(target < 300 MB); database {db.stat().st_size / 2**20:.1f} MB")
    if not args.keep and args.dir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
