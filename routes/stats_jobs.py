"""Block-energy stats of LoRA files for `GET /mad-nodes/inspect-lora`: worker processes, once per file version.

Stats read every tensor of a LoRA, so they run in worker processes (`modules/workers`): threads doing
this maths hold the GIL long enough to stall ComfyUI's event loop. The shared inspect cache stores
the *job* (a `concurrent.futures.Future`) under `"stats-job|<arch>"` and the file's (size, mtime):
a request finds a finished job (a cache hit) or a running one (it shares the computation) without
occupying a worker, so cache hits never queue behind uncached LoRAs, and at most one job per file
version is queued. The job is asked for exactly that version: a file rewritten meanwhile fails the
job for the old version only. A job that failed or was cancelled is replaced by the next request.

`compute=` runs a given function in threads instead (an injected computation, e.g. one a test holds).

`store=` (the library): stats it already holds for this version of the file (by content id, e.g. from
its background pass, or from before a restart) answer at once without a worker, and stats computed
here are handed to it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from ..modules.inspection.cache import InspectCache, file_key, shared_cache
from ..modules.workers.pool import INTERACTIVE, WorkerPool
from ..modules.workers.tasks import block_stats

log = logging.getLogger(__name__)

STATS_WORKERS = 2
STATS_NICENESS = 5


class StatsStore(Protocol):
    def stored_stats(self, path: str, arch: str, size: int, mtime_ns: int) -> dict | None: ...

    def remember_stats(self, path: str, arch: str, size: int, mtime_ns: int, stats: dict) -> bool: ...
STATS_KIND = "stats-job|"


class StatsJobs:
    """Block-energy stats of LoRA files, computed at most `max_workers` at a time and once per file version."""

    def __init__(self, max_workers: int = STATS_WORKERS, *, cache: InspectCache | None = None,
                 compute: Callable[[str | os.PathLike, str], dict] | None = None, pool: WorkerPool | None = None,
                 store: StatsStore | None = None):
        self._cache = cache or shared_cache()
        self._store = store
        self._compute = compute
        self._threads = ThreadPoolExecutor(max_workers, thread_name_prefix="lwb-stats") if compute else None
        # niced a little: ComfyUI's own process (its routes, the websocket) goes first on a busy machine
        self._pool = None if compute else (pool or WorkerPool(max_workers, name="lwb-stats", niceness=STATS_NICENESS))
        self._idle = threading.Condition()
        self._active = 0  # jobs queued or running (thread mode; the pool counts its own)

    def future(self, path: str | os.PathLike, arch: str, refresh: bool = False) -> Future:
        """The stats job of `path` read as `arch`: finished, running, or newly queued.

        `refresh` queues a new job unless one is still running (it will read the file as it is now).
        Blocks only for a `stat` of the file (raises OSError if it is gone).
        """
        created: list[Future] = []
        kind = STATS_KIND + arch
        key = file_key(path, kind)

        def submit() -> Future:
            job = self._submit(path, arch, key[1], key[2])
            created.append(job)
            return job

        job = self._cache.get_or_compute(path, kind, submit, key=key)
        if not created and job.done() and (refresh or job.cancelled() or job.exception() is not None):
            job = self._cache.get_or_compute(path, kind, submit, refresh=True, key=key)
        return job

    def _submit(self, path, arch: str, size: int, mtime_ns: int) -> Future:
        if self._store is not None:
            stored = self._stored(str(path), arch, size, mtime_ns)
            if stored is not None:
                done: Future = Future()
                done.set_result(stored)
                return done
        job = self._start(path, arch, size, mtime_ns)
        if self._store is None:
            return job
        answer: Future = Future()  # ends once the library has its copy, so a later lookup finds it

        def forward(finished: Future) -> None:
            if finished.cancelled():
                answer.cancel()
            elif finished.exception() is not None:
                answer.set_exception(finished.exception())
            else:
                self._remember(finished, str(path), arch, size, mtime_ns)
                answer.set_result(finished.result())

        job.add_done_callback(forward)
        return answer

    def _stored(self, path: str, arch: str, size: int, mtime_ns: int) -> dict | None:
        try:
            return self._store.stored_stats(path, arch, size, mtime_ns)
        except Exception:  # noqa: BLE001 - a library problem must not stop an inspection
            log.warning("could not read stored stats of %s", path, exc_info=True)
            return None

    def _remember(self, job: Future, path: str, arch: str, size: int, mtime_ns: int) -> None:
        try:
            self._store.remember_stats(path, arch, size, mtime_ns, job.result())
        except Exception:  # noqa: BLE001 - the answer is still good without the library's copy
            log.warning("could not store the stats of %s in the library", path, exc_info=True)

    def _start(self, path, arch: str, size: int, mtime_ns: int) -> Future:
        if self._pool is not None:
            return self._pool.submit("block_stats", str(path), arch, size, mtime_ns, priority=INTERACTIVE)
        with self._idle:
            self._active += 1
        job = self._threads.submit(block_stats, str(path), arch, size, mtime_ns, compute=self._compute)
        job.add_done_callback(self._finished)
        return job

    def _finished(self, _job: Future) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def busy(self) -> bool:
        """Whether an interactive computation is queued or running (background work waits for it)."""
        if self._pool is not None:
            return self._pool.busy()
        with self._idle:
            return self._active > 0

    def wait_idle(self, timeout: float) -> bool:
        """Block until no interactive computation is queued or running (or `timeout`); True when idle."""
        if self._pool is not None:
            return self._pool.wait_idle(timeout)
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
