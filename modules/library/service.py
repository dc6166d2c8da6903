"""`Library`: the index of one ComfyUI install, its background scans and its read connections.

- Nothing happens at construction: the database is opened (and migrated) on first use, and the first
  scan starts on the first request that needs the index (`ensure_scanned`) or an explicit rescan.
- At most one scan runs at a time, in a daemon thread; asking for a scan while one runs returns the
  running scan's status (a second request does not queue another walk of a 70k-file library).
- Progress goes to the injected `notify(event, data)` (ComfyUI: websocket `send_sync`), throttled to
  a few events per second, and to the log at start and end.
- Reads open their own short-lived connection (WAL: they never wait for the scan's writes); searches,
  facet counts and index counts go through one in-memory column snapshot (`search_columns.py`).
- Block energy runs one computation at a time (`energy_slots`), since it reads whole files, in a
  worker process; after each complete scan, `energy_backlog` measures every entry that has none, in
  the background (`energy_backlog.py`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path

from ..workers.pool import INTERACTIVE
from . import energy as energy_mod
from . import store
from .background import wait_for
from .energy_backlog import EnergyBacklog, WaitIdle
from .query import SearchQuery
from .scanner import Scanner, ScanReport
from .schema import connect, refresh_statistics
from .search_columns import SearchColumns
from .structure import StructureCache

log = logging.getLogger(__name__)

SCAN_EVENT = "lwb.library.scan"
NOTIFY_INTERVAL_S = 0.25
DB_FOLDER = "lora_weights_builder"
DB_NAME = "library.sqlite"

Notify = Callable[[str, dict], None]


def default_db_path(user_dir: str | Path) -> Path:
    return Path(user_dir) / DB_FOLDER / DB_NAME


class Library:
    def __init__(self, db_path: str | Path, roots: Callable[[], list[str]], notify: Notify | None = None,
                 *, energy_slots: int = 1, wait_interactive_idle: WaitIdle | None = None,
                 background_energy: bool = True):
        self.db_path = Path(db_path)
        self._roots = roots
        self._notify = notify or (lambda event, data: None)
        self._lock = threading.Lock()  # guards every attribute below
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._progress: dict = {}
        self._last_report: ScanReport | None = None
        self._scans_started = 0
        self._listing_key: str | None = None
        self._last_notify = 0.0
        self._cache = StructureCache()
        self._energy_slots = threading.BoundedSemaphore(energy_slots)
        self._background_energy = background_energy  # False: only on request (tests about scanning)
        self.energy_backlog = EnergyBacklog(self.connect, self._notify, wait_interactive_idle=wait_interactive_idle)
        self.columns = SearchColumns(lambda: self.connect(), lambda: self.db_path)

    # -- connections ------------------------------------------------------------------------------
    def connect(self):
        """A new connection to the database, migrated to the current schema; the caller closes it."""
        return connect(self.db_path)

    def read(self, fn, *args, **kwargs):
        """`fn(conn, *args)` on a fresh connection (blocking: call it from a worker thread)."""
        with closing(self.connect()) as conn:
            return fn(conn, *args, **kwargs)

    def search(self, q: SearchQuery) -> dict:
        """One page of a search (`store.search`; blocking: call it from a worker thread)."""
        return self.columns.read(store.search, q)

    def facet_counts(self, q: SearchQuery) -> dict:
        """{"total", "facets"} of a search's filters (blocking)."""
        return self.columns.read(store.counts, q)

    def index_counts(self) -> dict:
        """Counts over the whole index for the status route (blocking)."""
        return self.columns.read(store.facets)

    # -- scans ------------------------------------------------------------------------------------
    def scanning(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def start_scan(self) -> bool:
        """Start a background scan unless one runs; True if this call started it."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._stop.clear()
            self._scans_started += 1
            self._progress = {"phase": "starting"}
            self._thread = threading.Thread(target=self._run_scan, name="lwb-library-scan", daemon=True)
            self._thread.start()
            return True

    def ensure_scanned(self) -> bool:
        """Start the first scan of this process if none has run yet (lazy start); True if started."""
        with self._lock:
            first = self._scans_started == 0
        return self.start_scan() if first else False

    def refresh_if_listing_changed(self, listing: Iterable[str], wait_s: float = 2.0) -> bool:
        """Rescan when the names ComfyUI lists differ from those of the last scan started; wait up to `wait_s`.

        A search right after a LoRA was added, renamed or deleted then sees it: the incremental scan
        only reads new or changed files, so a few changes finish well within the wait. A large change
        (a first scan of a big library) returns early and the scan goes on in the background.
        """
        key = hashlib.sha256("\0".join(sorted(listing)).encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            changed = key != self._listing_key
        if not changed:
            return False
        started = self.start_scan()
        if started:
            with self._lock:
                self._listing_key = key
        self.wait(wait_s)
        return started

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running scan; True when no scan is running any more."""
        with self._lock:
            thread = self._thread
        return wait_for(thread, timeout)

    def stop(self, timeout: float | None = 10) -> None:
        self._stop.set()
        self.wait(timeout)
        self.energy_backlog.close()
        self.columns.close()

    def _run_scan(self) -> None:
        roots = list(self._roots())
        log.info("LoRA library scan started over %d root(s)", len(roots))
        try:
            with closing(self.connect()) as conn:
                report = Scanner(conn, roots, cache=self._cache, progress=self._on_progress,
                                 should_stop=self._stop.is_set).run()
                if report.complete:
                    refresh_statistics(conn, report.added + report.removed + report.moved)
            log.info("LoRA library scan %s in %.1fs: %d files, %d read, %d added, %d updated, %d moved, "
                     "%d removed, %d error(s)", "finished" if report.complete else "stopped", report.elapsed_s,
                     report.seen, report.read, report.added, report.updated, report.moved, report.removed,
                     report.error_count)
        except Exception as err:  # noqa: BLE001 - a failed scan is reported, the server keeps running
            log.exception("LoRA library scan failed")
            report = ScanReport(errors=[f"scan failed: {type(err).__name__}: {err}"], error_count=1)
            self._on_progress({"phase": "failed", "error": report.errors[0]})
        with self._lock:
            self._last_report = report
        if report.complete and self._background_energy and not self._stop.is_set():
            self.energy_backlog.start()

    def _on_progress(self, event: dict) -> None:
        now = time.monotonic()
        final = event.get("phase") in ("done", "stopped", "failed")
        with self._lock:
            self._progress = dict(event)
            due = final or event.get("phase") != "walking" or now - self._last_notify >= NOTIFY_INTERVAL_S
            if due:
                self._last_notify = now
        if due:
            try:
                self._notify(SCAN_EVENT, dict(event))
            except Exception:  # noqa: BLE001 - a dead websocket must not stop the scan
                log.warning("library scan progress could not be sent", exc_info=True)

    def status(self) -> dict:
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
            return {
                "scanning": running,
                "progress": dict(self._progress) if running else None,
                "last_scan": self._last_report.to_dict() if self._last_report else None,
                "scans_started": self._scans_started,
                "database": DB_NAME,
            }

    # -- energy -----------------------------------------------------------------------------------
    def energy(self, content_id: str, force: bool = False) -> dict | None:
        """Stored or freshly computed block energy of `content_id` (blocking; one computation at a time)."""
        with closing(self.connect()) as conn:
            if not force and (found := energy_mod.stored_energy(conn, content_id)) is not None:
                return found
            with self._energy_slots:
                return energy_mod.compute_energy(conn, content_id, force=force, compute=self._compute_in_worker)

    def stored_stats(self, path: str, arch: str, size: int, mtime_ns: int) -> dict | None:
        """Stats the library stored for this version of the file (by its content id), else None (blocking)."""
        with closing(self.connect()) as conn:
            return energy_mod.stats_of_version(conn, path, arch, size, mtime_ns)

    def remember_stats(self, path: str, arch: str, size: int, mtime_ns: int, stats: dict) -> bool:
        """Store stats computed elsewhere (an inspection) under the content id of this indexed version of
        the file; False when the index does not have this version (blocking)."""
        with closing(self.connect()) as conn:
            content_id = energy_mod.id_of_version(conn, path, size, mtime_ns)
            known = energy_mod.stored_energy(conn, content_id) if content_id else None
            if content_id is None or (known is not None and known["status"] == energy_mod.DONE):
                return False
            energy_mod.store_energy(conn, content_id, arch, stats)
            return True

    def _compute_in_worker(self, path: str, arch: str) -> dict:
        """Stats of one file in the backlog's worker process, ahead of the backlog's own files."""
        return self.energy_backlog.pool().submit("block_stats", path, arch, priority=INTERACTIVE).result()
