"""Background block energy of the library: completes after a scan, resumes after a restart, can be paused
(and stays paused across a restart), yields to interactive inspections, records failures with the reason.

Real worker processes compute the energy; expected values come from a direct `compute_stats` in this process.
"""

import json
import os
import threading
from contextlib import closing

import pytest
from lora_weights_builder.modules.blocks.energy import compute_stats
from lora_weights_builder.modules.inspection.cache import shared_cache
from lora_weights_builder.modules.library.energy_backlog import ENERGY_EVENT
from lora_weights_builder.routes.stats_jobs import StatsJobs
from lwb_testkit.event_log import EventLog
from lwb_testkit.library_index import library, scan, tiny_lora

TIMEOUT_S = 600


def finished(event, data):
    return event == ENERGY_EVENT and data.get("phase") == "done"


def stored(lib) -> dict[str, dict]:
    """content id -> {status, stats, error}."""
    with closing(lib.connect()) as conn:
        return {r["id"]: {"status": r["status"], "stats": json.loads(r["stats"]) if r["stats"] else None,
                          "error": r["error"]} for r in conn.execute("SELECT * FROM energy")}


def ids_by_name(lib) -> dict[str, str]:
    with closing(lib.connect()) as conn:
        return {r["name"]: r["id"] for r in conn.execute("SELECT name, id FROM files")}


def jsonable(value):
    return json.loads(json.dumps(value))


@pytest.fixture
def loras(tmp_path):
    root = tmp_path / "loras"
    specs = [tiny_lora(root / f"style_{i}.safetensors", arch="SDXL", seed=i) for i in range(3)]
    specs.append(tiny_lora(root / "sd15" / "f.safetensors", arch="SD15", seed=9))
    (root / "copy").mkdir()
    (root / "copy" / "style_0_copy.safetensors").write_bytes(specs[0].path.read_bytes())
    return root, specs


def test_after_a_scan_every_entry_gets_its_energy_once_per_content(tmp_path, loras):
    root, specs = loras
    events = EventLog()
    lib = library(tmp_path, root, notify=events, background_energy=True)
    try:
        scan(lib)
        events.wait_for(finished, TIMEOUT_S)
        ids = ids_by_name(lib)
        results = stored(lib)
        assert set(results) == set(ids.values()), "one result per content id (the copy shares it)"
        for spec in specs:
            name = spec.path.relative_to(root).as_posix()
            assert results[ids[name]] == {"status": "done", "stats": jsonable(compute_stats(spec.path, spec.arch)),
                                          "error": None}, name
        running = [d for e, d in events.matching(lambda e, d: e == ENERGY_EVENT and d.get("phase") == "running")]
        assert running and {d["total"] for d in running} == {4}
        assert lib.energy_backlog.status()["stored"] == {"done": 4, "failed": 0}
    finally:
        lib.stop()


def test_a_restart_resumes_with_only_the_files_still_missing(tmp_path, loras):
    root, _ = loras
    events = EventLog()
    first = library(tmp_path, root, notify=events, background_energy=True)
    scan(first)
    events.wait_for(lambda e, d: e == ENERGY_EVENT and d.get("phase") == "running" and d["done"] >= 1, TIMEOUT_S)
    first.stop()  # ComfyUI stops: the pass ends after the file in hand
    before = len(stored(first))
    assert 1 <= before <= 4
    events2 = EventLog()
    second = library(tmp_path, root, notify=events2, background_energy=True)
    try:
        scan(second)
        if before < 4:
            _, done = events2.wait_for(finished, TIMEOUT_S)
            assert done["total"] == 4 - before, "only what the first run had not stored"
        assert second.energy_backlog.wait(TIMEOUT_S)
        assert {r["status"] for r in stored(second).values()} == {"done"} and len(stored(second)) == 4
    finally:
        second.stop()


def test_a_pause_holds_across_a_restart_until_resumed(tmp_path, loras):
    root, _ = loras
    first = library(tmp_path, root, background_energy=True)
    assert first.energy_backlog.pause()["paused"] is True
    first.stop()
    events = EventLog()
    second = library(tmp_path, root, notify=events, background_energy=True)
    try:
        assert second.energy_backlog.status()["paused"] is True
        scan(second)
        events.wait_for(lambda e, d: e == ENERGY_EVENT and d.get("phase") == "paused", TIMEOUT_S)
        assert stored(second) == {}, "nothing measured while paused"
        second.energy_backlog.resume()
        events.wait_for(finished, TIMEOUT_S)
        assert len(stored(second)) == 4
    finally:
        second.stop()


def test_background_energy_waits_for_an_interactive_inspection(tmp_path, loras):
    root, specs = loras
    held = threading.Event()
    started = threading.Event()

    def interactive(path, arch):
        started.set()
        held.wait(TIMEOUT_S)
        return compute_stats(path, arch)

    jobs = StatsJobs(compute=interactive)
    asked = threading.Event()

    def wait_interactive_idle(timeout):
        asked.set()
        return jobs.wait_idle(timeout)

    events = EventLog()
    lib = library(tmp_path, root, notify=events, background_energy=True, wait_interactive_idle=wait_interactive_idle)
    try:
        user_job = jobs.future(specs[1].path, "SDXL")  # the user opened a LoRA: an interactive computation
        started.wait(TIMEOUT_S)
        scan(lib)
        assert asked.wait(120), "the pass asks whether interactive work is waiting before a file"
        running = lambda e, d: e == ENERGY_EVENT and d.get("phase") == "running"  # noqa: E731
        assert events.matching(running) == [] and stored(lib) == {}, "no file started while the user waits"
        held.set()
        assert user_job.result(TIMEOUT_S)["energy_distribution"]
        events.wait_for(finished, TIMEOUT_S)
        assert len(stored(lib)) == 4
    finally:
        lib.stop()
        jobs.close()


def test_a_failing_file_is_recorded_with_its_reason_and_retried_only_on_request(tmp_path, loras):
    root, specs = loras
    path = specs[2].path
    good = path.read_bytes()
    st = path.stat()
    events = EventLog()
    lib = library(tmp_path, root, notify=events)  # scan first, then break the file, then measure
    try:
        scan(lib)
        # unreadable now, with the size and mtime the scan saw (the index cannot tell it changed)
        path.write_bytes(b"\xff" * len(good))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        lib.energy_backlog.start()
        events.wait_for(finished, TIMEOUT_S)
        broken_id = ids_by_name(lib)["style_2.safetensors"]
        failed = stored(lib)[broken_id]
        assert failed["status"] == "failed" and failed["stats"] is None
        assert failed["error"] and str(root) not in failed["error"]
        assert lib.energy_backlog.status()["stored"] == {"done": 3, "failed": 1}
        path.write_bytes(good)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        lib.energy_backlog.start()  # a new pass does not try a recorded failure again
        assert lib.energy_backlog.wait(TIMEOUT_S)
        assert stored(lib)[broken_id] == failed
        assert lib.energy_backlog.retry_failed() == 1  # on request it does
        events.wait_for(finished, TIMEOUT_S, count=2)
        assert stored(lib)[broken_id]["stats"] == jsonable(compute_stats(path, "SDXL"))
    finally:
        lib.stop()


def test_inspections_store_their_stats_in_the_library_and_answer_from_it_after_a_restart(tmp_path, loras):
    root, specs = loras
    path = specs[0].path
    lib = library(tmp_path, root)
    try:
        scan(lib)
        calls = []

        def counted(p, arch):
            calls.append(p)
            return compute_stats(p, arch)

        shared_cache().clear()
        first = StatsJobs(compute=counted, store=lib).future(path, "SDXL").result(TIMEOUT_S)
        assert len(calls) == 1
        assert stored(lib)[ids_by_name(lib)["style_0.safetensors"]]["stats"] == jsonable(first)
        shared_cache().clear()  # a restarted ComfyUI: no in-memory result
        again = StatsJobs(compute=counted, store=lib).future(path, "SDXL").result(TIMEOUT_S)
        assert len(calls) == 1, "answered from the library, no computation"
        assert jsonable(again) == jsonable(compute_stats(path, "SDXL"))
        assert StatsJobs(compute=counted, store=lib).future(path, "SD15").result(TIMEOUT_S) and len(calls) == 2, \
            "stored stats are for the architecture they were measured as"
    finally:
        shared_cache().clear()
        lib.stop()
