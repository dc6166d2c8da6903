"""Run block-energy work on every core: one Python thread per core, each with one torch thread.

torch releases the GIL inside its operations, so two Python threads each running single-threaded
matmuls on their own cache-sized tiles use both cores without torch's intra-op parallel regions
(a region per small operation costs more than it saves, and on a busy machine each one waits for a
descheduled thread). The torch thread count is a process-wide setting (and a per-thread OpenMP one):
`one_torch_thread()` holds a process-wide lock while it is lowered, and restores it after. Meant for
the pack's worker processes, where nothing else runs torch meanwhile (in ComfyUI's own process it
would slow a concurrent sampler).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import TypeVar

import torch

MAX_THREADS = 8  # beyond this, per-module Python work (under the GIL) stops scaling
T = TypeVar("T")
R = TypeVar("R")

_threads_lock = threading.RLock()


@contextmanager
def one_torch_thread():
    """torch.set_num_threads(1) for the block, restored after (one holder at a time: the setting is global)."""
    with _threads_lock:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it), at most MAX_THREADS."""
    get_affinity = getattr(os, "sched_getaffinity", None)
    n = len(get_affinity(0)) if get_affinity else (os.cpu_count() or 1)
    return max(1, min(MAX_THREADS, n))


def map_threads(fn: Callable[[T], R], items: Sequence[T], threads: int, cost: Callable[[T], float]) -> list[R]:
    """[fn(x) for x in items], computed by `threads` threads with one torch thread each (one thread:
    inline, torch still at one thread: the tiles are sized for one core).

    Items are taken largest `cost` first (so the last ones to finish are small and the threads end
    together). The first exception stops the other threads after their current item and is raised."""
    if threads <= 1 or len(items) < 2:
        with one_torch_thread():
            return [fn(x) for x in items]
    results: list = [None] * len(items)
    order = iter(sorted(range(len(items)), key=lambda i: -cost(items[i])))
    take = threading.Lock()
    failed: list[BaseException] = []

    def work() -> None:
        # A new thread takes OpenMP's default team size (all cores) in its first BLAS call unless it
        # sets its own: measured, MKL then ran each matmul on 2 threads again.
        torch.set_num_threads(1)
        while not failed:
            with take:
                i = next(order, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except BaseException as err:  # noqa: BLE001 - handed to the caller below
                failed.append(err)
                return

    with one_torch_thread():
        pool = [threading.Thread(target=work, name=f"lwb-energy-{k}", daemon=True)
                for k in range(min(threads, len(items)))]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    if failed:
        raise failed[0]
    return results
