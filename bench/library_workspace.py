"""Library workspace bench: facet filters, sorts and paging over a 30,000-entry index; bulk tagging.

    .comfyhost/venv/bin/python bench/library_workspace.py [--count 30000] [--dir /tmp/lwb_ws] [--keep]
        [--prepare] [--cold]

With `--dir`, the indexed and seeded database is kept there (`user/prepared.sqlite`) and later runs measure
a copy of it (the bulk tag writes into the copy), so a run takes seconds, not the minutes of generating and
indexing 30,000 files: `--prepare` only builds it (run it with /work/bin/heavy), `--cold` rebuilds it.

The library is `bench/realistic_library.py`'s generator (real headers, sparse tensor data), indexed by the
real scanner; then two thirds of the entries get a stored block energy (synthetic stats rows through
the `energy` table, as the background energy would write them), a third a usage record, a fifth user
tags and a tenth a favourite. Printed, each with a baseline from the same run:

- first page (50 rows, through `Library.search` as the route calls it) of random filter combinations over
  text, family, layout, role, format, rank range, clip, preview, folder, tag, favourite, each with every
  sort in a random direction: p50 / p99 (target < 50 ms p99), against the plainest page (a new connection,
  `ORDER BY name LIMIT 50`); the first page of each new combination (its text not looked up yet) apart;
- the same combinations with facet counts (what the tab asks on a filter change), deep random offsets,
  the whole index's counts, and a page with counts right after a write (the snapshot is read again);
- bulk tag of 1,000 selected entries (target < 1 s) against 1,000 bare inserts in one transaction.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import lwb_testkit.pack  # noqa: E402,F401  (registers lora_weights_builder)
from lora_weights_builder.modules.library import Library, store, usage, user_data  # noqa: E402
from lora_weights_builder.modules.library.sort_orders import SORT_NAMES as SORTS  # noqa: E402
from realistic_library import FOLDERS, WORDS, make_library  # noqa: E402

TAGS = ("favourite look", "wip", "client-a", "anime", "photo", "keep", "test", "night")


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return times[len(times) // 2] * 1e3, times[max(0, int(len(times) * 0.99) - 1)] * 1e3


def seed_workspace(lib: Library, rng: random.Random) -> list[str]:
    with closing(lib.connect()) as conn:
        ids = sorted({r[0] for r in conn.execute("SELECT id FROM files")})
        conn.execute("BEGIN IMMEDIATE")
        for cid in ids:
            if rng.random() < 2 / 3:
                a, b = rng.random(), rng.random()
                lo, hi = min(a, b), max(a, b)
                stats = {"input_ratio": lo, "mid_ratio": hi - lo, "output_ratio": 1 - hi,
                         "balance": rng.uniform(-1, 1), "energy_distribution": {}, "block_norms": {}}
                conn.execute("INSERT INTO energy(id, status, stats, error, arch, computed_at) "
                             "VALUES (?, 'done', ?, NULL, 'SDXL', ?)", (cid, json.dumps(stats), time.time()))
            if rng.random() < 1 / 3:
                conn.execute("INSERT INTO usage(id, use_count, first_used, last_used) VALUES (?, ?, ?, ?)",
                             (cid, rng.randint(1, 50), 1.7e9, 1.7e9 + rng.random() * 1e7))
        conn.execute("COMMIT")
        for tag in TAGS:
            chosen = [i for i in ids if rng.random() < 0.05]
            for start in range(0, len(chosen), user_data.MAX_BULK_IDS):
                user_data.update(conn, chosen[start:start + user_data.MAX_BULK_IDS], {"add_tags": [tag]})
        favourites = [i for i in ids if rng.random() < 0.1]
        for start in range(0, len(favourites), user_data.MAX_BULK_IDS):
            user_data.update(conn, favourites[start:start + user_data.MAX_BULK_IDS], {"favourite": True})
    return ids


def prepare(work: Path, root: Path, prepared: Path, count: int) -> None:
    """Generate the library, index it with the real scanner, seed the workspace; keep the database as `prepared`."""
    if not root.exists():
        made = make_library(root, count)
        print(f"generated {count} LoRAs in {made['seconds']:.1f}s")
    db = work / "user" / "library.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    lib = Library(db, lambda: [str(root)], background_energy=False)
    t = time.perf_counter()
    lib.start_scan()
    lib.wait()
    print(f"indexed {lib.status()['last_scan']['seen']} files in {time.perf_counter() - t:.1f}s")
    seed_workspace(lib, random.Random(7))
    lib.stop()
    with closing(sqlite3.connect(db)) as conn:  # one self-contained file (no WAL beside it) to copy per run
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM INTO ?", (str(prepared) + ".tmp",))
    Path(str(prepared) + ".tmp").replace(prepared)


def random_params(rng: random.Random) -> dict:
    choices = {
        "q": lambda: rng.choice(WORDS) if rng.random() < 0.7 else " ".join(rng.sample(WORDS, 2)),
        "family": lambda: rng.choice(["SDXL", "SD15", "FLUX", "SDXL,SD15"]),
        "layout": lambda: rng.choice(["sdxl_unet_9", "sd_unet_12", "flux_19_38"]),
        "role": lambda: rng.choice(["character", "style", "concept", "pose,clothing"]),
        "format": lambda: "lora",
        "rank": lambda: None,
        "clip": lambda: rng.choice(["true", "false"]),
        "preview": lambda: rng.choice(["true", "false"]),
        "folder": lambda: rng.choice(FOLDERS),
        "tag": lambda: rng.choice(TAGS) if rng.random() < 0.8 else ",".join(rng.sample(TAGS, 2)),
        "favourite": lambda: "true",
    }
    params: dict[str, str] = {}
    for name in rng.sample(list(choices), rng.randint(0, 4)):
        if name == "rank":
            low = rng.choice([4, 8, 16])
            params.update(rank_min=str(low), rank_max=str(low * rng.choice([1, 4, 8])))
        else:
            params[name] = choices[name]()
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--queries", type=int, default=150, help="filter combinations (each with every sort)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--prepare", action="store_true", help="only build the kept index (with --dir)")
    parser.add_argument("--cold", action="store_true", help="rebuild the kept index")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="lwb_bench_workspace_"))
    root = work / "loras"
    prepared = work / "user" / "prepared.sqlite"
    if args.cold or not prepared.exists():
        prepare(work, root, prepared, args.count)
    if args.prepare:
        return
    db = work / "run" / "library.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(prepared, db)
    lib = Library(db, lambda: [str(root)])
    with closing(lib.connect()) as conn:
        ids = sorted({r[0] for r in conn.execute("SELECT id FROM files")})
    print(f"measuring a copy of the prepared index of {args.count} LoRAs ({len(ids)} contents)")
    rng = random.Random(11)

    base = []
    for _ in range(50):
        t = time.perf_counter()
        with closing(lib.connect()) as conn:
            conn.execute("SELECT rowid, name FROM files ORDER BY name COLLATE NOCASE, path LIMIT 50").fetchall()
        base.append(time.perf_counter() - t)
    b50, b99 = percentiles(base)
    print(f"baseline plainest page (ORDER BY name LIMIT 50, connection included): p50 {b50:.1f} ms, p99 {b99:.1f} ms")
    scans = []
    for _ in range(20):
        t = time.perf_counter()
        with closing(lib.connect()) as conn:
            conn.execute("SELECT COUNT(*) FROM files WHERE size + rank + mtime_ns > 0").fetchone()
        scans.append(time.perf_counter() - t)
    s50, _ = percentiles(scans)
    print(f"baseline one pass over every row of the index (what this machine does now): p50 {s50:.1f} ms")

    t = time.perf_counter()
    lib.search(store.parse_query({"page_size": "50", "facets": "true"}))
    print(f"first search of the process (every column read): {(time.perf_counter() - t) * 1e3:.1f} ms")
    combos = [random_params(rng) for _ in range(args.queries)]
    fresh, pages, with_facets, deep, totals, slow = [], [], [], [], [], []
    for params in combos:
        for n, sort in enumerate(SORTS):  # every sort, a random direction; the first one: a new combination
            query = {**params, "sort": sort, "order": rng.choice(["asc", "desc"]), "page_size": "50"}
            t = time.perf_counter()
            result = lib.search(store.parse_query(query))
            took = time.perf_counter() - t
            (fresh if n == 0 else pages).append(took)
            slow.append((took, query))
        totals.append(result["total"])
        query["facets"] = "true"
        t = time.perf_counter()
        lib.search(store.parse_query(query))
        with_facets.append(time.perf_counter() - t)
        if result["total"] > 50:
            query = {**query, "facets": "", "offset": str(rng.randrange(result["total"]))}
            t = time.perf_counter()
            lib.search(store.parse_query(query))
            deep.append(time.perf_counter() - t)
    pages += fresh
    p50, p99 = percentiles(pages)
    n50, n99 = percentiles(fresh)
    f50, f99 = percentiles(with_facets)
    d50, d99 = percentiles(deep)
    print(f"first page, {len(combos)} random filter combinations x {len(SORTS)} sorts (random direction; median "
          f"{sorted(totals)[len(totals) // 2]} matches): p50 {p50:.1f} ms, p99 {p99:.1f} ms (target < 50 ms; "
          f"{p99 / b99:.1f}x the plainest page's p99, {p99 / s50:.1f}x one pass over the index)")
    print(f"  of which the first page of each new combination (its text looked up): p50 {n50:.1f} ms, "
          f"p99 {n99:.1f} ms")
    for took, query in sorted(slow, key=lambda x: x[0])[-3:]:
        print(f"  slow: {took * 1e3:.1f} ms for {query}")
    print(f"first page + facet counts: p50 {f50:.1f} ms, p99 {f99:.1f} ms "
          f"({f99 / b99:.1f}x the plainest page's p99)")
    print(f"random deep offset page ({len(deep)} queries): p50 {d50:.1f} ms, p99 {d99:.1f} ms "
          f"({d99 / b99:.1f}x the plainest page's p99)")
    wholes = []
    for _ in range(20):
        t = time.perf_counter()
        lib.search(store.parse_query({"page_size": "50", "facets": "true"}))
        wholes.append(time.perf_counter() - t)
    w50, w99 = percentiles(wholes)
    print(f"first page + facet counts of the whole index: p50 {w50:.1f} ms, p99 {w99:.1f} ms "
          f"({w50 / s50:.1f}x one pass over the index)")
    writes = {  # what changes between two searches in real use, each written by another connection
        "a favourite set": lambda conn, n: user_data.update(conn, [ids[n]], {"favourite": bool(n % 2)}),
        "a use recorded (a prompt ran)": lambda conn, n: usage.record_uses(conn, [ids[n]]),
        "a file row rewritten (a rescan)": lambda conn, n: conn.execute(
            "UPDATE files SET indexed_at = indexed_at + 1 WHERE rowid = (SELECT MIN(rowid) FROM files) + ?", (n,)),
    }
    with closing(lib.connect()) as writer:
        for what, write in writes.items():
            after_write = []
            for n in range(10):
                write(writer, n)
                t = time.perf_counter()
                lib.search(store.parse_query({"favourite": "true", "sort": "use_count", "page_size": "50",
                                              "facets": "true"}))
                after_write.append(time.perf_counter() - t)
            a50, _ = percentiles(after_write)
            print(f"first page + facet counts right after {what}: p50 {a50:.1f} ms, max "
                  f"{max(after_write) * 1e3:.1f} ms ({a50 / s50:.1f}x one pass over the index)")

    selected = rng.sample(ids, min(1000, len(ids)))
    with closing(lib.connect()) as conn:
        conn.execute("CREATE TEMP TABLE bare(id TEXT, tag TEXT, at REAL)")
        t = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO bare VALUES (?, 'x', 0)", [(i,) for i in selected])
        conn.execute("COMMIT")
        bare = time.perf_counter() - t
    t = time.perf_counter()
    changes = user_data.validate_changes({"add_tags": ["bulk tagged", "client-b"], "favourite": True})
    lib.read(user_data.update, selected, changes)
    bulk = time.perf_counter() - t
    check = lib.search(store.parse_query({"tag": "bulk tagged", "page_size": "1"}))["total"]
    print(f"bulk tag 1,000 selected entries (2 tags + favourite, one transaction, text index updated): "
          f"{bulk * 1e3:.0f} ms (target < 1 s; {bulk / bare:.0f}x 1,000 bare inserts, {bare * 1e3:.1f} ms); "
          f"{check} files now carry the tag")
    if not args.keep and args.dir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
