"""A first index of many files reads headers in worker processes: same rows as reading them in the scan's
thread, children that import only the pack's pure modules, and a killed child loses no file."""

from __future__ import annotations

import os
import sys
from contextlib import closing

import pytest
from lora_weights_builder.modules.library import parse_workers, scanner
from lwb_testkit.library_index import library, scan, tiny_lora

ARCHS = ("SD15", "SDXL", "FLUX.1")


def make_files(root, count: int) -> None:
    for i in range(count):
        tiny_lora(root / ("styles" if i % 2 else "characters") / f"l{i:03d}.safetensors", arch=ARCHS[i % 3], seed=i,
                  metadata={"ss_network_alpha": str(1 + i % 4)} if i % 5 == 0 else None)
    (root / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")


def all_rows(lib) -> list[tuple]:
    with closing(lib.connect()) as conn:
        conn.row_factory = None
        cols = [r[1] for r in conn.execute("PRAGMA table_info(files)") if r[1] not in ("indexed_at", "seen_scan")]
        return [tuple(r) for r in conn.execute(f"SELECT {', '.join(cols)} FROM files ORDER BY path")]


def test_cold_index_in_worker_processes_gives_the_rows_of_a_sequential_scan(tmp_path, monkeypatch):
    root = tmp_path / "loras"
    make_files(root, scanner.PARALLEL_MIN_FILES + 40)
    parallel = library(tmp_path / "p", root)
    report = scan(parallel)
    assert report["complete"] and report["seen"] == scanner.PARALLEL_MIN_FILES + 41
    assert report["workers"] >= 2  # both cores (the test machine has 2)
    assert report["error_count"] == 1 and "broken.safetensors" in report["errors"][0]
    monkeypatch.setattr(scanner, "PARALLEL_MIN_FILES", 10**9)
    sequential = library(tmp_path / "s", root)
    assert scan(sequential)["workers"] == 0
    assert all_rows(parallel) == all_rows(sequential)
    rescan = scan(parallel)  # unchanged: nothing read, no worker started
    assert (rescan["read"], rescan["workers"]) == (0, 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/maps")
def test_worker_children_load_only_pure_modules(tmp_path):
    tiny_lora(tmp_path / "a.safetensors")
    with parse_workers.ParseWorkers(1) as pool:
        ((path, row, error),) = pool.submit([(str(tmp_path / "a.safetensors"), "a.safetensors")]).result()
        assert error is None and row["arch"] == "SD15"
        # Read by the child, not in this process: a child that ran the pack's __init__ (ComfyUI's server and
        # nodes) or ComfyUI's main.py would have died on import and the batch been read here instead.
        assert (pool.local_batches, pool.restarts, pool.processes) == (0, 0, 1)
        (pid,) = pool.pids()
        with open(f"/proc/{pid}/maps") as f:
            maps = f.read()
        assert "libtorch" not in maps  # torch (imported by the library's energy module) stays out


def test_killed_worker_is_replaced_and_its_batch_read(tmp_path):
    for i in range(3):
        tiny_lora(tmp_path / f"k{i}.safetensors", seed=i)
    items = [(str(tmp_path / f"k{i}.safetensors"), f"k{i}.safetensors") for i in range(3)]
    with parse_workers.ParseWorkers(1) as pool:
        (pid,) = pool.pids()
        os.kill(pid, 9)
        results = pool.submit(items).result()
        assert [r[0] for r in results] == [p for p, _ in items] and all(r[1] for r in results)
        assert pool.restarts == 1 and pool.local_batches == 0 and pool.pids() != [pid]
