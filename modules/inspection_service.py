"""What `GET /mad-nodes/inspect-lora` computes, as plain blocking functions and a bounded stats pool.

Stats read every tensor of a LoRA, so they run in `StatsJobs`, a pool of `STATS_WORKERS` threads.
The shared inspect cache stores the *job* (a `concurrent.futures.Future`) under
`"stats-job|<arch>"`: a request finds a finished job (a cache hit) or a running one (it waits for
the same computation) without ever occupying a worker, so cache hits are never queued behind
uncached LoRAs, and the pool's queue holds at most one job per LoRA file version. A job that failed
or was cancelled is replaced by the next request instead of being served again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .architecture import detect_checkpoint_architecture
from .architectures import SDXL
from .block_energy import compute_stats
from .block_layouts.layouts import layout_for
from .inspect_cache import InspectCache, shared_cache
from .lineage import classify_sdxl_lineage
from .safetensors_header import SafetensorsHeaderError, read_header
from .sidecars import metadata_candidates

STATS_WORKERS = 2
STATS_KIND = "stats-job|"
CHECKPOINT_KIND = "checkpoint-arch"


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


def has_block_layout(arch: str) -> bool:
    """Whether stats mean anything for `arch` (UNKNOWN and unrecognised strings have no blocks)."""
    return layout_for(arch) is not None


def refine_arch(arch: str, stats: dict | None) -> str:
    """Seed 004: an SDXL LoRA with stats may be refined to an SDXL lineage (see `lineage.py`)."""
    return classify_sdxl_lineage(stats) if arch == SDXL and stats else arch


def file_fingerprint(path: str | os.PathLike) -> str:
    """16 hex digits that change when the LoRA file or one of its metadata sidecars changes (size or mtime).

    The browser keeps it with a cached inspect result to tell when to inspect again.
    """
    parts = []
    for candidate in (Path(path), *metadata_candidates(path)):
        try:
            st = candidate.stat()
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        except FileNotFoundError:
            parts.append("-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def checkpoint_architecture(path: str | os.PathLike, refresh: bool = False) -> str:
    """A checkpoint's architecture from its safetensors header alone (the model is never loaded); cached."""
    return shared_cache().get_or_compute(
        path, CHECKPOINT_KIND, lambda: detect_checkpoint_architecture(read_header(path)).arch, refresh=refresh)


def problem_text(err: BaseException, path: str | os.PathLike, name: str) -> str:
    """The error message for a request about `name`, without the server's file-system path in it."""
    if isinstance(err, SafetensorsHeaderError):
        return f"{name}: {err.problem}"
    if isinstance(err, OSError):
        return f"{name}: {err.strerror or type(err).__name__}"
    text = str(err) or type(err).__name__
    for shown in {str(path), os.path.realpath(path)}:
        text = text.replace(shown, name)
    return text

