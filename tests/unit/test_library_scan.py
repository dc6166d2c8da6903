"""The library scan over real LoRA files: stable ids, renames, moves, deletions, copies, incremental rescans."""

import os
import shutil
from contextlib import closing

import pytest
from lora_weights_builder.modules.arch.detect import detect_architecture
from lora_weights_builder.modules.inspection.header import read_header
from lora_weights_builder.modules.inspection.sidecars import load_metadata_sidecar
from lora_weights_builder.modules.library import store
from lora_weights_builder.modules.library.entry_facts import detect
from lora_weights_builder.modules.library.scanner import Scanner
from lora_weights_builder.modules.library.structure import StructureCache
from lwb_testkit.demo_library import make_demo_library
from lwb_testkit.library_index import library, rows, scan, table, tiny_lora
from lwb_testkit.sidecars import write_sidecars


def test_demo_library_indexed_with_facts(tmp_path):
    specs = make_demo_library(tmp_path / "loras")
    lib = library(tmp_path, tmp_path / "loras")
    report = scan(lib)
    assert report["complete"] and report["added"] == len(specs) and report["error_count"] == 0
    items = rows(lib)
    assert set(items) == {s.path.relative_to(tmp_path / "loras").as_posix() for s in specs}
    aiko = items["characters/aiko_sdxl.safetensors"]
    assert (aiko["arch"], aiko["role"], aiko["adapter"], aiko["rank"], aiko["alpha"]) == ("SDXL", "character", "lora",
                                                                                           4, 2.0)
    assert aiko["has_clip"] is True and aiko["trigger_words"] == ["aiko", "blue kimono"]
    assert items["characters/knight_pony.safetensors"]["arch"] == "SDXL_PONY"
    assert items["characters/knight_pony.safetensors"]["has_clip"] is False
    assert items["styles/watercolor_sdxl_lokr.safetensors"]["adapter"] == "lokr"
    entry = lib.read(store.entry, aiko["id"])
    assert entry["layout"] == "sdxl_unet_9" and "input_4" in entry["blocks"] and entry["energy_status"] == "pending"


def test_ids_survive_reindex_rename_and_move_and_differ_between_files(tmp_path):
    root = tmp_path / "loras"
    for i in range(4):
        tiny_lora(root / f"a{i}.safetensors", seed=i)
    lib = library(tmp_path, root)
    scan(lib)
    before = {n: r["id"] for n, r in rows(lib).items()}
    assert len(set(before.values())) == 4  # different files, different ids
    (tmp_path / "user" / "lwb" / "library.sqlite").unlink()  # a full reindex from nothing
    for suffix in ("-wal", "-shm"):
        (tmp_path / "user" / "lwb" / f"library.sqlite{suffix}").unlink(missing_ok=True)
    scan(lib)
    assert {n: r["id"] for n, r in rows(lib).items()} == before
    (root / "styles").mkdir()
    os.rename(root / "a0.safetensors", root / "styles" / "moved.safetensors")
    os.rename(root / "a1.safetensors", root / "renamed.safetensors")
    report = scan(lib)
    assert (report["moved"], report["added"], report["removed"]) == (2, 0, 0)
    after = {n: r for n, r in rows(lib).items()}
    assert after["styles/moved.safetensors"]["id"] == before["a0.safetensors"]
    assert after["styles/moved.safetensors"]["role"] == "style"
    assert after["renamed.safetensors"]["id"] == before["a1.safetensors"]
    assert "a0.safetensors" not in after and "a1.safetensors" not in after


def test_copies_share_an_id_and_are_reported(tmp_path):
    root = tmp_path / "loras"
    tiny_lora(root / "orig.safetensors", seed=1)
    (root / "backup").mkdir()
    shutil.copy2(root / "orig.safetensors", root / "backup" / "copy.safetensors")
    lib = library(tmp_path, root)
    scan(lib)
    items = rows(lib)
    assert items["orig.safetensors"]["id"] == items["backup/copy.safetensors"]["id"]
    assert items["orig.safetensors"]["copies"] == 2
    groups = lib.read(store.duplicates)
    assert groups == [{"id": items["orig.safetensors"]["id"],
                       "names": ["backup/copy.safetensors", "orig.safetensors"]}]
    assert lib.read(store.entry, groups[0]["id"])["duplicate"] is True


def test_unchanged_rescan_reads_nothing_and_changes_are_picked_up(tmp_path):
    root = tmp_path / "loras"
    for i in range(3):
        tiny_lora(root / f"x{i}.safetensors", seed=i)
    lib = library(tmp_path, root)
    scan(lib)
    first = table(lib)
    report = scan(lib)
    assert (report["read"], report["unchanged"]) == (0, 3)
    assert table(lib) == first
    tiny_lora(root / "x0.safetensors", seed=99)  # new content under the old name
    (root / "x2.safetensors").unlink()
    tiny_lora(root / "new.safetensors", seed=5)
    write_sidecars(root / "x1.safetensors", "SD15", trigger_words=["shiny"], preview=None)  # sidecar only
    report = scan(lib)
    assert (report["read"], report["updated"], report["added"], report["removed"]) == (3, 2, 1, 1)
    items = rows(lib)
    assert set(items) == {"x0.safetensors", "x1.safetensors", "new.safetensors"}
    assert items["x0.safetensors"]["id"] != dict((r[0].rpartition("/")[2], r[1]) for r in first)["x0.safetensors"]
    assert items["x1.safetensors"]["trigger_words"] == ["shiny"]


def test_unreadable_file_is_listed_with_its_problem(tmp_path):
    root = tmp_path / "loras"
    root.mkdir()
    (root / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    lib = library(tmp_path, root)
    report = scan(lib)
    item = rows(lib)["broken.safetensors"]
    assert item["error"] and "broken.safetensors" in report["errors"][0]
    assert item["arch"] == "UNKNOWN" and len(item["id"]) == 32


def test_offline_root_keeps_its_rows_and_removed_root_drops_them(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    tiny_lora(a / "one.safetensors", seed=1)
    tiny_lora(b / "two.safetensors", seed=2)
    roots = [a, b]
    lib = library(tmp_path)
    lib._roots = lambda: [str(r) for r in roots]
    scan(lib)
    os.rename(b, tmp_path / "b_unplugged")
    report = scan(lib)
    assert report["offline_roots"] == [str(b)] and set(rows(lib)) == {"one.safetensors", "two.safetensors"}
    roots.pop()
    scan(lib)
    assert set(rows(lib)) == {"one.safetensors"}


def test_nothing_is_written_beside_the_models(tmp_path):
    make_demo_library(tmp_path / "loras")
    before = sorted(p.relative_to(tmp_path / "loras") for p in (tmp_path / "loras").rglob("*"))
    lib = library(tmp_path, tmp_path / "loras")
    scan(lib)
    lib.energy(next(iter(rows(lib).values()))["id"])
    assert sorted(p.relative_to(tmp_path / "loras") for p in (tmp_path / "loras").rglob("*")) == before
    assert (tmp_path / "user" / "lwb" / "library.sqlite").is_file()


def test_cached_structure_gives_the_same_architecture_as_the_inspection_core(tmp_path):
    specs = make_demo_library(tmp_path / "loras")
    cache = StructureCache()
    for spec in specs * 2:  # the second round comes from the cache
        raw = spec.path.read_bytes()
        n = int.from_bytes(raw[:8], "little")
        structure, metadata = cache.parse(raw[8:8 + n], len(raw), spec.path)
        sidecar = load_metadata_sidecar(spec.path)
        data = sidecar.data if sidecar else None
        assert detect(structure, metadata, data) == detect_architecture(read_header(spec.path), sidecar=data)
    assert cache.hits >= len(specs)


def test_progress_is_notified(tmp_path):
    events = []
    for i in range(3):
        tiny_lora(tmp_path / "loras" / f"p{i}.safetensors", seed=i)
    lib = library(tmp_path, tmp_path / "loras", notify=lambda event, data: events.append((event, data)))
    scan(lib)
    assert events[0][0] == "lwb.library.scan" and events[-1][1]["phase"] == "done"
    assert events[-1][1]["added"] == 3


def test_one_scan_at_a_time(tmp_path):
    for i in range(3):
        tiny_lora(tmp_path / "loras" / f"s{i}.safetensors", seed=i)
    lib = library(tmp_path, tmp_path / "loras", notify=lambda e, d: __import__("time").sleep(0.05))
    assert lib.start_scan()
    assert not lib.start_scan()
    lib.wait(60)
    assert lib.status()["scans_started"] == 1
    with closing(lib.connect()) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _three_loras(tmp_path):
    root = tmp_path / "loras"
    tiny_lora(root / "a" / "x.safetensors", seed=1)
    tiny_lora(root / "b" / "y.safetensors", seed=2)
    tiny_lora(root / "b" / "z.safetensors", seed=3)
    lib = library(tmp_path, root)
    assert scan(lib)["complete"] and set(rows(lib)) == {"a/x.safetensors", "b/y.safetensors", "b/z.safetensors"}
    return root, lib


def _scan_with(lib, root, should_stop):
    with closing(lib.connect()) as conn:
        return Scanner(conn, [str(root)], should_stop=should_stop).run()


def test_rows_under_a_folder_that_cannot_be_listed_are_kept_and_reported(tmp_path):
    """A subfolder that fails to list mid-scan (here: replaced by a file once the walk is under way, as a
    flaky share answers) is not a deletion: its rows stay and the report names it. Once a complete scan
    sees the folder gone, they go."""
    root, lib = _three_loras(tmp_path)
    calls = []

    def replace_b_with_a_file():
        if not calls:
            shutil.move(root / "b", tmp_path / "b_away")
            (root / "b").write_text("not a folder any more")
        calls.append(1)
        return False

    report = _scan_with(lib, root, replace_b_with_a_file)
    assert report.complete and report.removed == 0
    assert report.unlisted_folders == [str(root / "b")]
    assert any("cannot list folder" in e for e in report.errors)
    assert set(rows(lib)) == {"a/x.safetensors", "b/y.safetensors", "b/z.safetensors"}
    assert report.to_dict()["unlisted_folders"] == [str(root / "b")], "the scan status (last_scan) carries it"
    report = scan(lib)  # now 'b' lists fine: it is a file, the folder is really gone
    assert report["unlisted_folders"] == [] and report["removed"] == 2 and set(rows(lib)) == {"a/x.safetensors"}


def test_a_stopped_scan_removes_nothing(tmp_path):
    root, lib = _three_loras(tmp_path)
    (root / "b" / "z.safetensors").unlink()  # really gone, but the scan will not see the whole library
    report = _scan_with(lib, root, lambda: True)
    assert not report.complete and report.removed == 0
    assert set(rows(lib)) == {"a/x.safetensors", "b/y.safetensors", "b/z.safetensors"}


def test_a_failed_scan_removes_nothing(tmp_path):
    root, lib = _three_loras(tmp_path)
    (root / "b" / "z.safetensors").unlink()
    calls = []

    def fail_on_second_file():
        calls.append(1)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return False

    with pytest.raises(OSError):
        _scan_with(lib, root, fail_on_second_file)
    assert set(rows(lib)) == {"a/x.safetensors", "b/y.safetensors", "b/z.safetensors"}
    assert scan(lib)["removed"] == 1, "the next complete scan removes what is really gone"
