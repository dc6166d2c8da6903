"""Library database: migrations keep user data, newer schemas are refused, scans killed halfway leave a
consistent index that the next scan completes, readers are not blocked by a running scan."""

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from contextlib import closing

import pytest
from lora_weights_builder.modules.library import profiles, store
from lora_weights_builder.modules.library.schema import SCHEMA_VERSION, SchemaError, connect
from lwb_testkit.library_index import library, rows, scan, table, tiny_lora
from lwb_testkit.pack import PACK_ROOT

SDXL_WEIGHTS = [1.0] * 19


def test_migration_from_first_schema_keeps_profiles_and_adds_search(tmp_path):
    db = tmp_path / "library.sqlite"
    with closing(connect(db, migrate_to=1)) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        profiles.create_profile(old, {"name": "Kept", "layout": "sdxl_unet_9", "weights": SDXL_WEIGHTS})
    for i in range(2):
        tiny_lora(tmp_path / "loras" / f"m{i}.safetensors", seed=i)
    lib = library(tmp_path, tmp_path / "loras")
    lib.db_path = db
    scan(lib)
    with closing(lib.connect()) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [p["name"] for p in profiles.list_profiles(conn)] == ["Kept"]
        assert lib.search(store.parse_query({"q": "m1"}))["total"] == 1


def test_database_from_a_newer_pack_is_refused(tmp_path):
    db = tmp_path / "library.sqlite"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaError, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        connect(db)


def test_rescan_never_touches_profiles(tmp_path):
    tiny_lora(tmp_path / "loras" / "a.safetensors")
    lib = library(tmp_path, tmp_path / "loras")
    scan(lib)
    made = lib.read(profiles.create_profile, {"name": "Mine", "layout": "sdxl_unet_9", "weights": SDXL_WEIGHTS})
    (tmp_path / "loras" / "a.safetensors").unlink()
    scan(lib)
    assert lib.read(profiles.get_profile, made["id"]) == made


# The scan reports each committed batch on stdout; the test kills it after batch `k` (anywhere before the
# scan passes batch k + 2, where it waits to be killed), so every kill lands mid-scan whatever the load.
_KILLED_SCAN = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import lwb_testkit.pack
    from lora_weights_builder.modules.library import scanner
    from lora_weights_builder.modules.library.service import Library
    scanner.BATCH_ROWS = 2
    flush = scanner.Scanner._flush
    committed = [0]

    def reporting_flush(self):
        had_rows = bool(self._batch)
        flush(self)
        if had_rows:
            committed[0] += 1
            print("committed", committed[0], flush=True)
            if committed[0] >= {hold_at}:
                sys.stdin.readline()  # the test kills the scan while it waits here

    scanner.Scanner._flush = reporting_flush
    lib = Library({db!r}, lambda: [{root!r}])
    print("ready", flush=True)
    lib.start_scan()
    lib.wait()
    print("finished", flush=True)
""")


def test_scan_killed_at_random_points_leaves_a_consistent_index_that_the_next_scan_completes(tmp_path):
    root = tmp_path / "loras"
    for i in range(40):
        tiny_lora(root / f"sub{i % 3}" / f"k{i:02d}.safetensors", seed=i)
    reference = library(tmp_path / "ref", root)
    scan(reference)
    truth = {r[0]: r for r in table(reference)}
    lib = library(tmp_path, root)
    rng = random.Random(6)
    for _ in range(3):
        kill_after = rng.randint(1, 4)  # 3 scans hold by batch 6 at most: 36 of 40 rows, never the whole
        script = _KILLED_SCAN.format(tests=str(PACK_ROOT / "tests"), db=str(lib.db_path), root=str(root),
                                     hold_at=kill_after + 2)
        proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "ready"
        line = proc.stdout.readline()
        while line.split() != ["committed", str(kill_after)]:
            assert line, "the scan ended before the batch the test kills it after"
            line = proc.stdout.readline()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        with closing(lib.connect()) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        partial = table(lib)
        assert all(truth[row[0]] == row for row in partial)  # every stored row is right, none half-written
    assert 0 < len(partial) < len(truth)  # the kills did land in the middle of scans
    scan(lib)
    assert table(lib) == table(reference)


def test_reads_during_a_scan_are_never_blocked(tmp_path):
    root = tmp_path / "loras"
    for i in range(30):
        tiny_lora(root / f"r{i:02d}.safetensors", seed=i)
    reads = threading.Semaphore(0)
    # Each scan notification waits for one more read: readers get in during the scan whatever the load.
    lib = library(tmp_path, root, notify=lambda e, d: reads.acquire(timeout=60))
    lib.index_counts()  # create the database
    totals, errors = [], []

    def reader():
        while lib.scanning():
            try:
                totals.append(lib.search(store.parse_query({"q": "r"}))["total"])
            except Exception as err:  # noqa: BLE001 - collected and asserted below
                errors.append(err)
            reads.release()

    import lwb_testkit.library_index  # noqa: F401
    from lora_weights_builder.modules.library import scanner
    old = scanner.BATCH_ROWS
    scanner.BATCH_ROWS = 3
    try:
        lib.start_scan()
        thread = threading.Thread(target=reader)
        thread.start()
        lib.wait(60)
        thread.join(10)
    finally:
        scanner.BATCH_ROWS = old
    assert not errors
    assert totals == sorted(totals) and len(totals) > 1
    assert len(rows(lib)) == 30


def test_migration_from_v4_keeps_profiles_and_energy_and_adds_the_workspace_tables(tmp_path):
    """A database as main wrote it before the workspace (schema 4): profiles and measured energy survive,
    tags/favourites/notes/usage tables appear, and the stored energy becomes sortable at once."""
    root = tmp_path / "loras"
    tiny_lora(root / "a.safetensors", arch="SDXL", seed=3)
    lib = library(tmp_path, root)
    with closing(connect(lib.db_path, migrate_to=4)) as old:
        profiles.create_profile(old, {"name": "Kept", "layout": "sdxl_unet_9", "weights": SDXL_WEIGHTS})
    lib.connect = lambda: connect(lib.db_path, migrate_to=4)  # a pack that knows schema 4 only
    scan(lib)
    cid = table(lib)[0][1]
    stats = lib.energy(cid)["stats"]
    with closing(connect(lib.db_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"user_entries", "user_tags", "usage", "energy_summary", "profiles", "energy"} <= names
        assert [p["name"] for p in profiles.list_profiles(conn)] == ["Kept"]
        found = lib.search(store.parse_query({"sort": "balance"}))["items"][0]
        assert found["energy"]["balance"] == stats["balance"] and found["favourite"] is False
