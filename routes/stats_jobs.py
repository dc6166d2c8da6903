"""Block-energy stats of LoRA files for `GET /mad-nodes/inspect-lora`: a bounded pool, once per file version.

Stats read every tensor of a LoRA, so they run in `StatsJobs`, a pool of `STATS_WORKERS` threads.
The shared inspect cache stores the *job* (a `concurrent.futures.Future`) under
`"stats-job|<arch>"`: a request finds a finished job (a cache hit) or a running one (it waits for
the same computation) without ever occupying a worker, so cache hits are never queued behind
uncached LoRAs, and the pool's queue holds at most one job per LoRA file version. A job that failed
or was cancelled is replaced by the next request instead of being served again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ..modules.blocks.energy import compute_stats
from ..modules.inspection.cache import InspectCache, shared_cache

STATS_WORKERS = 2
STATS_KIND = "stats-job|"


class StatsJobs:
    """Block-energy stats of LoRA files, computed at most `max_workers` at a time and once per file version."""

    def __init__(self, max_workers: int = STATS_WORKERS, *, cache: InspectCache | None = None,
                 compute: Callable[[str | os.PathLike, str], dict] = compute_stats):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lwb-stats")
        self._cache = cache or shared_cache()
        self._compute = compute

    def future(self, path: str | os.PathLike, arch: str, refresh: bool = False) -> Future:
        """The stats job of `path` read as `arch`: finished, running, or newly queued.

        `refresh` queues a new job unless one is still running (it will read the file as it is now).
        Blocks only for a `stat` of the file (raises OSError if it is gone).
        """
        created: list[Future] = []

        def submit() -> Future:
            job = self._pool.submit(self._compute, path, arch)
            created.append(job)
            return job

        kind = STATS_KIND + arch
        job = self._cache.get_or_compute(path, kind, submit)
        if not created and job.done() and (refresh or job.cancelled() or job.exception() is not None):
            job = self._cache.get_or_compute(path, kind, submit, refresh=True)
        return job

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
