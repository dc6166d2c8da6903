"""The last final `inspect-lora` answer per LoRA name, as encoded JSON, checked against the file on every use.

A cached inspection must cost less than the seed's handler, which never checks its cache. This memo
keeps the encoded body (no JSON encoding per request) under a *stamp*: device, inode, size and mtime
of the file (links followed) and size and mtime of each metadata sidecar. A hit costs one `stat` per
file: any change (rewritten file, edited sidecar, another file behind the path) misses and takes the
full path, which resolves the name through ComfyUI's listing and the name guard again. The listing
itself (a copy of every name and a `stat` per model folder in ComfyUI) is re-checked at least every
`RESOLVE_TTL_S`, which bounds how long a file added under the same name in a higher-priority model
folder stays unseen; the file answered for is always one that passed the guard and is unchanged.
Bounded (LRU) and locked; pending answers and stats errors are never kept.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from ..modules.inspection.sidecars import metadata_candidates

MAX_ANSWERS = 4096
RESOLVE_TTL_S = 5.0

Stamp = tuple


def file_stamp(path: str | os.PathLike, candidates: list[Path]) -> Stamp:
    """What identifies this version of the file and its sidecars (raises OSError if the file is gone)."""
    st = os.stat(path)
    parts: list = [str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    for candidate in candidates:
        try:
            cs = os.stat(candidate)
            parts += [cs.st_size, cs.st_mtime_ns]
        except OSError:
            parts.append(None)
    return tuple(parts)


class AnswerMemo:
    def __init__(self, max_answers: int = MAX_ANSWERS, resolve_ttl_s: float = RESOLVE_TTL_S):
        self._lock = threading.Lock()
        # name -> (stamp, body, when the name was last resolved through the listing and the guard)
        self._answers: OrderedDict[str, tuple[Stamp, bytes, float]] = OrderedDict()
        self._ttl = resolve_ttl_s
        self._candidates: dict[str, list[Path]] = {}  # path -> its sidecar candidates (pure path arithmetic)
        self._max = max_answers

    def candidates(self, path: Path) -> list[Path]:
        key = str(path)
        with self._lock:
            found = self._candidates.get(key)
        if found is None:
            found = metadata_candidates(path)
            with self._lock:
                if len(self._candidates) >= self._max:
                    self._candidates.clear()
                self._candidates[key] = found
        return found

    def stamp(self, path: Path) -> Stamp:
        return file_stamp(path, self.candidates(path))

    def get(self, name: str, resolve: Callable[[str], Path | None]) -> bytes | None:
        """The stored answer of `name` if its file is still the version it was made for (blocking: one stat
        per file; past `resolve_ttl_s` also `resolve(name)`, the listing and the guard, which must still
        lead to the same file)."""
        with self._lock:
            found = self._answers.get(name)
        if found is None:
            return None
        stamp, body, resolved_at = found
        if time.monotonic() - resolved_at > self._ttl:
            path = resolve(name)
            if path is None or str(path) != stamp[0]:
                return None
            resolved_at = time.monotonic()
        try:
            current = self.stamp(Path(stamp[0]))
        except OSError:
            return None
        if current != stamp:
            return None
        with self._lock:
            if name in self._answers:
                self._answers[name] = (stamp, body, resolved_at)
                self._answers.move_to_end(name)
        return body

    def put(self, name: str, stamp: Stamp, body: bytes) -> None:
        """Keep `body` for `name`, whose file was resolved (listing and guard) just before taking `stamp`."""
        with self._lock:
            self._answers[name] = (stamp, body, time.monotonic())
            self._answers.move_to_end(name)
            while len(self._answers) > self._max:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._candidates.clear()
