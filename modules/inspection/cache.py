"""A bounded, thread-safe cache of per-file inspection results (architecture, stats, ...).

Entries are keyed by (resolved path, size, mtime_ns, kind), so editing or replacing a LoRA file
invalidates its entries without any explicit refresh; when a file changes, the entries for its old
version are dropped at once instead of waiting for LRU eviction. Concurrent callers asking for the
same key share one computation: the first one runs `fn`, the others wait for its result (or its
exception, which is not cached).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

DEFAULT_MAX_ENTRIES = 8192

CacheKey = tuple[str, int, int, str]


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int
    size: int
    max_entries: int
    bytes: int = 0


def file_key(path: str | os.PathLike, kind: str) -> CacheKey:
    """The cache key of `path` as it is on disk now (raises OSError if it cannot be stat'ed)."""
    resolved = Path(path).resolve()
    st = resolved.stat()
    return (str(resolved), st.st_size, st.st_mtime_ns, kind)


class InspectCache:
    """Bounded by entry count, and by total size when `size_of` is given (`max_bytes`): a value
    larger than `max_bytes` on its own is returned but never stored."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, *, max_bytes: int | None = None,
                 size_of: Callable[[object], int] | None = None):
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        if (max_bytes is None) != (size_of is None):
            raise ValueError("max_bytes and size_of go together")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._sizes: dict[CacheKey, int] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, object] = OrderedDict()
        self._by_path: dict[str, set[CacheKey]] = {}
        self._inflight: dict[CacheKey, Future] = {}
        self._generation = 0  # bumped by clear()/invalidate(): results begun before are not stored
        self._hits = self._misses = self._evictions = 0

    def get_or_compute(self, path: str | os.PathLike, kind: str, fn: Callable[[], T], *, refresh: bool = False,
                       key: CacheKey | None = None) -> T:
        """The cached `kind` result for `path`, computing it with `fn()` once if absent or if `refresh`.

        `key`: the `file_key(path, kind)` the caller already took (it then knows which version `fn` is for)."""
        key = key or file_key(path, kind)
        with self._lock:
            if refresh:
                if key in self._entries:
                    self._drop(key)
            elif key in self._entries:
                self._entries.move_to_end(key)
                self._hits += 1
                return self._entries[key]
            future = self._inflight.get(key)
            owner = future is None
            if owner:
                future = Future()
                self._inflight[key] = future
                self._misses += 1
                generation = self._generation
            else:
                self._hits += 1
        if not owner:
            return future.result()
        try:
            value = fn()
        except BaseException as err:
            with self._lock:
                self._inflight.pop(key, None)
            future.set_exception(err)
            raise
        with self._lock:
            self._inflight.pop(key, None)
            if generation == self._generation:
                self._store(key, value)
        future.set_result(value)
        return value

    def _store(self, key: CacheKey, value: object) -> None:
        path, _, _, kind = key
        siblings = self._by_path.setdefault(path, set())
        for stale in [k for k in siblings if k[3] == kind and k != key]:  # an older version of this file
            self._drop(stale)
        size = self._size_of(value) if self._size_of else 0
        if self.max_bytes is not None and size > self.max_bytes:
            if not siblings:
                del self._by_path[path]
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        self._sizes[key] = size
        self._bytes += size
        siblings.add(key)
        while len(self._entries) > self.max_entries or (self.max_bytes is not None and self._bytes > self.max_bytes):
            self._drop(next(iter(self._entries)))
            self._evictions += 1

    def _drop(self, key: CacheKey) -> None:
        del self._entries[key]
        self._bytes -= self._sizes.pop(key, 0)
        siblings = self._by_path[key[0]]
        siblings.discard(key)
        if not siblings:
            del self._by_path[key[0]]

    def invalidate(self, path: str | os.PathLike) -> int:
        """Drop every entry of `path` (all kinds, all versions); returns how many were dropped."""
        resolved = str(Path(path).resolve())
        with self._lock:
            self._generation += 1
            doomed = list(self._by_path.get(resolved, ()))
            for k in doomed:
                self._drop(k)
        return len(doomed)

    def clear(self) -> None:
        """Drop every entry; results of computations still in flight are returned but not stored."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._by_path.clear()
            self._sizes.clear()
            self._bytes = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, self._evictions, len(self._entries), self.max_entries,
                              self._bytes)


_shared = InspectCache()


def shared_cache() -> InspectCache:
    """The process-wide cache that nodes and routes share (bounded and locked like any instance)."""
    return _shared
