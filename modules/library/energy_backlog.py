"""`EnergyBacklog`: after a scan, measure the block energy of every library entry that has none, in the background.

- One file at a time, in one niced worker process (`modules/workers`), and never while an interactive
  computation (an inspect the user waits for) is queued or running: it waits for the interactive pool
  to be idle before each file, so the user's request always gets the CPU first.
- Results are stored per content id (`energy.py`), so the work list is "ids without a stored result":
  a restart, a stop or a crash resumes where it stopped, with nothing else to remember.
- A file that cannot be measured is stored as FAILED with the reason and not tried again until its
  content changes (a new id) or `retry_failed()`. A file changed or removed since the scan is skipped
  (the next scan gives its new version a new id). Transient errors (I/O errors, a worker that died
  once) are retried once at the end of the run, and otherwise left for the next run (nothing stored).
- Paused state is kept in the database (`meta`), so a pause survives a restart.
- Progress: `notify("lwb.library.energy", {...})` (at most a few per second, always at start, end, pause)
  and the log at start, every 10 %, and at the end.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing

from ..workers.pool import BACKGROUND, TaskError, WorkerCrashed, WorkerPool
from . import energy
from .background import wait_for

log = logging.getLogger(__name__)

ENERGY_EVENT = "lwb.library.energy"
NOTIFY_INTERVAL_S = 0.25
PAUSED_KEY = "energy_paused"
BACKLOG_NICENESS = 15  # below the interactive workers (5) and ComfyUI itself (0)
RESULT_TIMEOUT_S = 24 * 3600.0  # a file is never abandoned for being slow; a dead worker ends its job anyway

Notify = Callable[[str, dict], None]
WaitIdle = Callable[[float], bool]


def _changed(err: BaseException) -> bool:
    return isinstance(err, FileNotFoundError) or (isinstance(err, TaskError) and err.type_name == "FileChanged")


def _transient(err: BaseException) -> bool:
    return isinstance(err, OSError) and not isinstance(err, FileNotFoundError | PermissionError)


class EnergyBacklog:
    def __init__(self, connect: Callable[[], sqlite3.Connection], notify: Notify, *,
                 pool: WorkerPool | None = None, wait_interactive_idle: WaitIdle | None = None):
        self._connect = connect
        self._notify = notify
        self._pool = pool
        self._wait_interactive_idle = wait_interactive_idle or (lambda timeout: True)
        self._lock = threading.Lock()  # guards every attribute below
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._resumed = threading.Event()
        self._again = False  # a start was asked while running: run once more at the end
        self._progress: dict = {"phase": "idle"}
        self._last_notify = 0.0

    # -- control ----------------------------------------------------------------------------------
    def start(self) -> bool:
        """Measure what is missing, in a background thread (once more at the end if one is running)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return False
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="lwb-energy-backlog", daemon=True)
            self._thread.start()
            return True

    def pause(self) -> dict:
        self._set_paused(True)
        self._resumed.clear()
        self._publish({**self.status(), "phase": "paused"}, force=True)
        log.info("LoRA library block energy: paused")
        return self.status()

    def resume(self) -> dict:
        self._set_paused(False)
        self._resumed.set()
        log.info("LoRA library block energy: resumed")
        self.start()
        return self.status()

    def retry_failed(self) -> int:
        """Forget every FAILED result and measure those files again; returns how many."""
        with closing(self._connect()) as conn:
            count = energy.forget_failed(conn)
        log.info("LoRA library block energy: retrying %d failed file(s)", count)
        self.start()
        return count

    def paused(self) -> bool:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (PAUSED_KEY,)).fetchone()
        return bool(row and row[0] == "1")

    def status(self) -> dict:
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
            progress = dict(self._progress)
        with closing(self._connect()) as conn:
            counts = energy.energy_counts(conn)
        return {**progress, "running": running, "paused": self.paused(), "stored": counts}

    def stop(self, timeout: float | None = 10) -> None:
        self._stop.set()
        self._resumed.set()
        self.wait(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running pass (and the one asked meanwhile); True when none runs."""
        with self._lock:
            thread = self._thread
        return wait_for(thread, timeout)

    def _set_paused(self, paused: bool) -> None:
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (PAUSED_KEY, "1" if paused else "0"))
            conn.execute("COMMIT")

    # -- the work ---------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                self._run_once()
            except Exception:  # noqa: BLE001 - a failed pass is logged; the server keeps running
                log.exception("LoRA library block energy: the background pass failed")
                self._publish({"phase": "failed"}, force=True)
            with self._lock:
                again, self._again = self._again, False
                if not again or self._stop.is_set():
                    return

    def _run_once(self) -> None:
        with closing(self._connect()) as conn:
            work = energy.missing_energy(conn)
            if not work:
                return
            total, done, failed, skipped = len(work), 0, 0, 0
            log.info("LoRA library block energy: %d file(s) to measure in the background", total)
            started, next_log = time.monotonic(), 0.1
            retries: list[dict] = []
            for attempt, items in ((1, work), (2, retries)):
                for item in list(items):
                    if not self._ready():
                        self._publish({"phase": "stopped", "done": done, "failed": failed, "total": total}, force=True)
                        log.info("LoRA library block energy: stopped after %d of %d", done + failed, total)
                        return
                    self._publish({"phase": "running", "done": done, "failed": failed, "total": total,
                                   "current": item["name"]})
                    outcome = self._measure(conn, item, final=attempt == 2)
                    if outcome == "retry":
                        retries.append(item)
                        continue
                    done += outcome == "done"
                    failed += outcome == "failed"
                    skipped += outcome == "skipped"
                    if (done + failed) / total >= next_log:
                        log.info("LoRA library block energy: %d of %d measured (%d failed)", done + failed, total,
                                 failed)
                        next_log += 0.1
            log.info("LoRA library block energy: finished in %.1fs: %d measured, %d failed, %d left for the next "
                     "run (changed since the scan, or transient errors)", time.monotonic() - started, done, failed,
                     skipped)
            self._publish({"phase": "done", "done": done, "failed": failed, "total": total}, force=True)

    def _ready(self) -> bool:
        """Wait while paused or while interactive work is waiting; False when stopped."""
        while not self._stop.is_set():
            if self.paused():
                self._publish({**self._progress, "phase": "paused"}, force=True)
                self._resumed.wait()
                continue
            if self._wait_interactive_idle(0.5):
                return not self._stop.is_set()
        return False

    def _measure(self, conn: sqlite3.Connection, item: dict, *, final: bool) -> str:
        """'done' | 'failed' | 'skipped' | 'retry' for one work item (stores the result)."""
        job = self.pool().submit("block_stats", item["path"], item["arch"], item["size"], item["mtime_ns"],
                                         priority=BACKGROUND)
        try:
            stats = job.result(RESULT_TIMEOUT_S)
        except Exception as err:  # noqa: BLE001 - sorted below; one file never stops the backlog
            if _changed(err):
                log.info("block energy of %s skipped: it changed since the scan (%s)", item["name"], err)
                return "skipped"
            if _transient(err) and not final:
                log.info("block energy of %s: transient error, trying again later: %s", item["name"], err)
                return "retry"
            if _transient(err):
                log.warning("block energy of %s failed twice (%s); left for the next run", item["name"], err)
                return "skipped"
            reason = str(err) if isinstance(err, TaskError | WorkerCrashed) else f"{type(err).__name__}: {err}"
            log.warning("block energy of %s failed: %s", item["name"], reason)
            energy.store_energy(conn, item["id"], item["arch"], None, reason.replace(item["path"], item["name"]))
            return "failed"
        energy.store_energy(conn, item["id"], item["arch"], stats)
        return "done"

    def pool(self) -> WorkerPool:
        """The niced worker process of the backlog (started on first use)."""
        with self._lock:
            if self._pool is None:
                self._pool = WorkerPool(1, name="lwb-energy", niceness=BACKLOG_NICENESS)
            return self._pool

    def close(self) -> None:
        self.stop()
        with self._lock:
            pool = self._pool
        if pool is not None:
            pool.close()

    def _publish(self, event: dict, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            self._progress = dict(event)
            due = force or now - self._last_notify >= NOTIFY_INTERVAL_S
            if due:
                self._last_notify = now
        if due:
            try:
                self._notify(ENERGY_EVENT, dict(event))
            except Exception:  # noqa: BLE001 - a dead websocket must not stop the backlog
                log.warning("block energy progress could not be sent", exc_info=True)
