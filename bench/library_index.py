"""Library index bench: a generated library of 10,000 LoRAs with realistic headers.

    .comfyhost/venv/bin/python bench/library_index.py [--count 10000] [--dir /tmp/lwb_bench_library] [--keep]

Files are real safetensors headers (the key names and shapes trainers write, from the test kit's
key tables: SD1.5 / SDXL / FLUX.1, kohya and diffusers naming, ranks 4..128, with and without text
encoders, attention-only and all-layer) plus per-file kohya metadata (dates, session ids, tag
counts, as real files have), then `truncate` to the full size: the tensor data is a sparse hole, so
the library takes the headers' size on disk. A third of the files have a LoRA Manager sidecar and a
preview; folders follow a characters/styles/... layout.

Printed: cold index time (target < 30 s), unchanged rescan (< 2 s), search first page p50/p99 over
mixed queries (< 50 ms p99), RSS of the process holding the running index (< 300 MB), each with a
baseline measured in the same run (walk + stat of the tree; reading + json-parsing every header).
The page cache is warm (the files were just written): this measures the index, not the disk.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import lwb_testkit.pack  # noqa: E402,F401  (registers lora_weights_builder)
from lora_weights_builder.modules.library import Library, store  # noqa: E402
from lwb_testkit.lora_factory import plan_modules  # noqa: E402

ARCHS = (("SDXL", 0.45), ("SD15", 0.30), ("FLUX.1", 0.25))
KOHYA_BASE = {"SD15": "sd_v1", "SDXL": "sdxl_base_v1-0", "FLUX.1": "flux1"}
FOLDERS = ("characters", "styles", "concepts", "poses", "clothing", "tools", "backgrounds", "misc")
WORDS = ("aiko", "ranger", "watercolor", "ink", "neon", "knight", "pilot", "dancer", "pixel", "film", "grain",
         "glass", "armor", "kimono", "city", "forest", "portrait", "anime", "photo", "sketch")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _template(arch: str, naming: str, rank: int, te: bool, module_set: str) -> tuple[bytes, int]:
    """The tensor part of a header (everything after `__metadata__`) and the data size."""
    modules = plan_modules(arch, naming, "lora", modules=module_set, text_encoder=te)
    down, up = (".lora_down.weight", ".lora_up.weight") if naming == "kohya" else (".lora_A.weight", ".lora_B.weight")
    entries, offset = [], 0

    def add(key, shape, dtype="F16", nbytes=None):
        nonlocal offset
        n = nbytes if nbytes is not None else math.prod(shape) * 2
        entries.append((key, {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}))
        offset += n

    for m in modules:
        out_dim, in_dim, kernel = m.shape[0], m.shape[1], tuple(m.shape[2:])
        r = min(rank, out_dim, in_dim)
        if naming == "kohya":
            add(m.name + ".alpha", [], "F16", 2)
        add(m.name + down, (r, in_dim, *kernel))
        add(m.name + up, (out_dim, r, *((1,) * len(kernel))))
    entries.sort()
    body = json.dumps(dict(entries), separators=(",", ":")).encode()
    return body[1:], offset  # without the opening brace


def make_library(root: Path, count: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    templates: dict[tuple, tuple[bytes, int]] = {}
    started = time.perf_counter()
    for i in range(count):
        arch = rng.choices([a for a, _ in ARCHS], [w for _, w in ARCHS])[0]
        naming = "kohya" if rng.random() < 0.8 else "diffusers"
        key = (arch, naming, rng.choice((4, 8, 16, 32, 64, 128)), rng.random() < 0.4,
               "all" if rng.random() < 0.3 else "compact")
        if key not in templates:
            templates[key] = _template(*key)
        tensors, data_size = templates[key]
        words = rng.sample(WORDS, 2)
        metadata = {
            "ss_base_model_version": KOHYA_BASE[arch], "ss_network_dim": str(key[2]),
            "ss_network_alpha": str(key[2] // 2), "ss_session_id": str(rng.getrandbits(32)),
            "ss_training_started_at": str(1.7e9 + rng.random() * 1e7),
            "ss_tag_frequency": json.dumps({"1_" + words[0]: {w: rng.randint(1, 99) for w in WORDS}}),
            "ss_output_name": f"{words[0]}_{i}",
        }
        raw = b'{"__metadata__":' + json.dumps(metadata, separators=(",", ":")).encode() + b"," + tensors
        raw += b" " * (-len(raw) % 8)
        folder = root / rng.choice(FOLDERS) / arch.lower().replace(".", "")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{words[0]}_{words[1]}_{i:05d}.safetensors"
        with open(path, "wb") as f:
            f.write(len(raw).to_bytes(8, "little"))
            f.write(raw)
            f.truncate(8 + len(raw) + data_size)  # sparse: the tensor data takes no disk
        if i % 3 == 0:
            side = {"model_name": f"{words[0]} {words[1]}", "base_model": arch, "tags": [rng.choice(FOLDERS)],
                    "civitai": {"trainedWords": words}}
            (folder / f"{path.stem}.metadata.json").write_text(json.dumps(side))
            (folder / f"{path.stem}.preview.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return {"templates": len(templates), "seconds": time.perf_counter() - started}


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
        print(f"generated {args.count} LoRAs ({made['templates']} distinct tensor tables) in {made['seconds']:.1f}s, "
              f"{du:.0f} MB on disk")
    db = work / "user" / "library.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    rss_before = rss_mb()
    walk_s, headers_s = baseline_walk(root), baseline_headers(root)
    print(f"baseline: walk+stat {walk_s:.2f}s, read+json-parse every header {headers_s:.2f}s")

    lib = Library(db, lambda: [str(root)])
    t = time.perf_counter()
    lib.start_scan()
    lib.wait()
    cold = time.perf_counter() - t
    report = lib.status()["last_scan"]
    assert report["complete"] and report["seen"] == args.count, report
    print(f"cold index: {cold:.2f}s for {report['seen']} files (target < 30 s; "
          f"{cold / headers_s:.2f}x reading+parsing the headers), {report['error_count']} errors")

    t = time.perf_counter()
    lib.start_scan()
    lib.wait()
    rescan = time.perf_counter() - t
    assert lib.status()["last_scan"]["read"] == 0
    print(f"unchanged rescan: {rescan:.3f}s (target < 2 s; {rescan / walk_s:.2f}x a bare walk+stat)")

    times = []
    for _ in range(20):
        for params in QUERIES:
            q = store.parse_query({**params, "page_size": "50"})
            t = time.perf_counter()
            lib.read(store.search, q)
            times.append(time.perf_counter() - t)
    times.sort()
    p50, p99 = times[len(times) // 2] * 1e3, times[int(len(times) * 0.99) - 1] * 1e3
    print(f"search first page (50 rows, {len(times)} queries incl. connection): p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms (target < 50 ms)")
    facets_t = time.perf_counter()
    lib.read(store.facets)
    print(f"status facets: {(time.perf_counter() - facets_t) * 1e3:.1f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RSS: {rss_mb():.0f} MB now, {peak:.0f} MB peak, {rss_before:.0f} MB before the index existed "
          f"(target < 300 MB); database {db.stat().st_size / 2**20:.1f} MB")
    if not args.keep and args.dir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
