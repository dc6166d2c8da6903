"""Incremental scan of the LoRA roots into the `files` table.

- A file whose size, mtime and sidecar fingerprint match its row is not opened, and its row is not
  written: an unchanged rescan is one `scandir` per folder and no database write.
- New and changed files are read (`facts.read_facts`) and upserted in batches, each batch one
  transaction, so readers always see whole rows and a killed scan loses at most one batch.
- Deletions happen only after a *complete* walk, in one final transaction: a scan that is killed,
  stopped or fails halfway removes nothing, and the next scan skips every file the killed one already
  stored (it resumes where it stopped). A root that is configured but missing (an unplugged drive, a NAS
  that is down) keeps its rows, and so does every row under a folder that could not be listed (a flaky
  network share): both are reported (`offline_roots`, `unlisted_folders`). Rows of roots that are no
  longer configured are removed.
- A moved or renamed file is a new path with a known content id: reported as moved.
- Profiles and energy results live in other tables; a scan never touches them.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from .parse_workers import ParseWorkers, TableRouter, default_workers, read_batch
from .roles import ROLE_TABLE_VERSION, role_of_name
from .structure import StructureCache
from .walk import SeenFile, walk_root

BATCH_ROWS = 256
PARALLEL_MIN_FILES = 200  # files to read before a scan starts worker processes (a cold index, a big change)
WORKER_BATCH_FILES = 32  # files per batch handed to a worker process
BATCH_SECONDS = 0.5
MAX_REPORTED_ERRORS = 50

_COLUMNS = (
    "path", "root", "name", "id", "size", "mtime_ns", "sidecar_fp", "folder", "role", "role_version", "arch",
    "family", "lineage", "arch_source", "arch_conflicts", "category", "layout", "blocks", "rank", "alpha", "adapter",
    "has_clip", "clip_encoders", "tensor_count", "trigger_words", "tags", "model_name", "base_model", "sidecar",
    "sidecar_error", "preview", "error", "indexed_at",
)
_UPSERT = (f"INSERT INTO files ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
           f"ON CONFLICT(path) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _COLUMNS[1:])}")

Progress = Callable[[dict], None]


@dataclass
class ScanReport:
    complete: bool = False
    roots: list[str] = field(default_factory=list)
    offline_roots: list[str] = field(default_factory=list)
    unlisted_folders: list[str] = field(default_factory=list)  # could not be listed: their rows are kept
    seen: int = 0
    unchanged: int = 0
    read: int = 0
    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    roles_updated: int = 0
    workers: int = 0  # worker processes that read headers (0: read in the scan's thread)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    started_at: float = 0.0
    elapsed_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(message)


def _known(conn: sqlite3.Connection) -> dict[str, tuple]:
    return {r[0]: tuple(r[1:]) for r in conn.execute(
        "SELECT path, size, mtime_ns, sidecar_fp, id, root, name FROM files")}


def _refresh_roles(conn: sqlite3.Connection) -> int:
    """Re-derive roles stored under an older role table (paths only, no file is opened)."""
    rows = conn.execute("SELECT path, name FROM files WHERE role_version != ?", (ROLE_TABLE_VERSION,)).fetchall()
    if rows:
        with _transaction(conn):
            conn.executemany("UPDATE files SET role = ?, role_version = ? WHERE path = ?",
                             [(role_of_name(name), ROLE_TABLE_VERSION, path) for path, name in rows])
    return len(rows)


class _transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


class Scanner:
    """One scan over `roots`; `run()` may be called once. `should_stop()` is polled between files."""

    def __init__(self, conn: sqlite3.Connection, roots: Iterable[str], *, cache: StructureCache | None = None,
                 progress: Progress | None = None, should_stop: Callable[[], bool] = lambda: False):
        self.conn = conn
        self.roots = list(dict.fromkeys(os.path.abspath(r) for r in roots))
        self.cache = cache or StructureCache()
        self.progress = progress or (lambda event: None)
        self.should_stop = should_stop
        self.report = ScanReport(roots=self.roots)
        self._batch: list[dict] = []
        self._batch_started = time.monotonic()

    def run(self) -> ScanReport:
        report = self.report
        report.started_at = time.time()
        t0 = time.monotonic()
        report.roles_updated = _refresh_roles(self.conn)
        known = _known(self.conn)
        self.progress({"phase": "walking", "seen": 0, "read": 0, "known": len(known)})
        seen: set[str] = set()
        new_ids: dict[str, str] = {}
        stopped = False
        reads = _Reads(self, known, new_ids)
        try:
            for root in self.roots:
                if not os.path.isdir(root):
                    report.offline_roots.append(root)
                    continue
                folder_errors: list[str] = []
                for item in walk_root(root, folder_errors, report.unlisted_folders):
                    if self.should_stop():
                        stopped = True
                        break
                    if item.path in seen:  # nested roots: the first root lists it
                        continue
                    seen.add(item.path)
                    old = known.get(item.path)
                    if old and old[:3] == (item.size, item.mtime_ns, item.sidecar_fp) and old[4:] == (item.root,
                                                                                                     item.name):
                        report.unchanged += 1
                    else:
                        reads.add(item)
                for message in folder_errors:
                    report.error(message)
                if stopped:
                    break
            stopped = not reads.finish(self.should_stop) or stopped
        finally:
            reads.close()
        self._flush()
        report.seen = len(seen)
        if not stopped:
            self._finish(known, seen, new_ids)
        report.complete = not stopped
        report.elapsed_s = round(time.monotonic() - t0, 3)
        self.progress({"phase": "done" if report.complete else "stopped", **report.to_dict()})
        return report

    def _store(self, item: SeenFile, old: tuple | None, new_ids: dict[str, str], row: dict | None,
               error: str | None) -> None:
        """Queue the row read from `item` (or report why it could not be read)."""
        report = self.report
        if row is None:
            report.error(f"{item.path}: cannot read: {error}")
            return
        row.update(path=item.path, root=item.root, name=item.name, size=item.size, mtime_ns=item.mtime_ns,
                   sidecar_fp=item.sidecar_fp, folder=item.name.rpartition("/")[0], preview=item.preview)
        if row["error"]:
            report.error(f"{item.path}: {row['error']}")
        report.read += 1
        if old is None:
            new_ids[item.path] = row["id"]
        else:
            report.updated += 1
        self._batch.append(row)
        if len(self._batch) >= BATCH_ROWS or time.monotonic() - self._batch_started > BATCH_SECONDS:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            with _transaction(self.conn):
                self.conn.executemany(_UPSERT, self._batch)
            self._batch = []
        self._batch_started = time.monotonic()
        r = self.report
        self.progress({"phase": "walking", "seen": r.unchanged + r.read, "read": r.read, "unchanged": r.unchanged})

    def _finish(self, known: dict[str, tuple], seen: set[str], new_ids: dict[str, str]) -> None:
        """Remove rows of files gone from online roots and of roots no longer configured; count moves."""
        online = set(self.roots) - set(self.report.offline_roots)
        unlisted = tuple(os.path.join(folder, "") for folder in self.report.unlisted_folders)
        gone = [p for p, old in known.items() if p not in seen and (old[4] in online or old[4] not in self.roots)
                and not p.startswith(unlisted)]
        gone_ids, added_ids = Counter(known[p][3] for p in gone), Counter(new_ids.values())
        self.report.moved = sum(min(n, gone_ids[i]) for i, n in added_ids.items())
        self.report.added = len(new_ids) - self.report.moved
        self.report.removed = len(gone) - self.report.moved
        with _transaction(self.conn):
            self.conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
            self.conn.execute("INSERT INTO meta(key, value) VALUES ('last_complete_scan', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(time.time()),))


class _Reads:
    """The files a scan has to read. The first `PARALLEL_MIN_FILES` are read in the scan's thread; past
    that (a first index, a large change) worker processes (`parse_workers.py`) read the rest in
    batches on every core while the walk goes on, and their rows are stored as they come back. Files
    are routed to workers by tensor table (`TableRouter`), so each table is analysed by one worker."""

    def __init__(self, scanner: Scanner, known: dict[str, tuple], new_ids: dict[str, str]):
        self.scanner = scanner
        self.known = known
        self.new_ids = new_ids
        self.items: dict[str, SeenFile] = {}
        self.local: list[SeenFile] = []
        self.batches: list[list[SeenFile]] = []  # per worker
        self.pending = []
        self.pool: ParseWorkers | None = None
        self.router: TableRouter | None = None
        self.workers = default_workers()
        self.parallel = False

    def add(self, item: SeenFile) -> None:
        if not self.parallel:
            self.local.append(item)
            if len(self.local) >= PARALLEL_MIN_FILES and self.workers > 1:
                self.parallel = True
                self.pool = ParseWorkers(self.workers)
                self.router = TableRouter(self.workers)
                self.batches = [[] for _ in range(self.workers)]
                self.scanner.report.workers = self.pool.processes
                for queued in self.local:
                    self._queue(queued)
                self.local = []
            return
        self._queue(item)

    def _queue(self, item: SeenFile) -> None:
        self.items[item.path] = item
        slot = self.router.slot(item.path, item.size)
        batch = self.batches[slot]
        batch.append(item)
        if len(batch) >= WORKER_BATCH_FILES:
            self._submit(slot)
            self._drain(block=False)

    def _submit(self, slot: int) -> None:
        self.pending.append(self.pool.submit([(i.path, i.name) for i in self.batches[slot]], slot))
        self.batches[slot] = []

    def _drain(self, block: bool, should_stop=lambda: False) -> bool:
        """Store finished batches (all of them when `block`); False if stopped."""
        while self.pending:
            done = [f for f in self.pending if f.done()]
            if not done:
                if not block:
                    return True
                if should_stop():
                    return False
                done = [self.pending[0]]
            for future in done:
                self.pending.remove(future)
                for path, row, error in future.result():
                    item = self.items.pop(path)
                    self.scanner._store(item, self.known.get(path), self.new_ids, row, error)
        return True

    def finish(self, should_stop) -> bool:
        """Read what is left; False if `should_stop()` said so first."""
        scanner = self.scanner
        for item in self.local:
            if should_stop():
                return False
            (_, row, error), = read_batch([(item.path, item.name)], scanner.cache)
            scanner._store(item, self.known.get(item.path), self.new_ids, row, error)
        self.local = []
        for slot, batch in enumerate(self.batches):
            if batch:
                self._submit(slot)
        return self._drain(block=True, should_stop=should_stop)

    def close(self) -> None:
        for future in self.pending:
            future.cancel()
        if self.pool is not None:
            self.pool.close()
