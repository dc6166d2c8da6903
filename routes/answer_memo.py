"""The last final `inspect-lora` answer per LoRA name, as encoded JSON, checked against the file on every use.

A cached inspection must cost less than the seed's handler, which never checks its cache. This memo
keeps the encoded body (no JSON encoding per request) under a *stamp* of the file version it was made
for, taken before the file was read:

- the file (links followed): device, inode, size, mtime;
- its folder's mtime, which changes whenever an entry is created, removed or renamed in it: a metadata
  sidecar that did not exist cannot appear without changing it, so absent sidecars cost no `stat`
  (sidecars are only ever read from the LoRA's own folder, see `sidecars.stays_beside`);
- size and mtime of each sidecar that existed.

A hit therefore costs one `stat` of the file, one of its folder (shared by every name of that folder in
one `check_many` call) and one per existing sidecar. File systems store times with a coarse tick, so a
folder changed shortly before the stamp (`RACY_NS`) is not trusted: its absent sidecars are checked one
by one until a check made `RACY_NS` after the folder's last change confirms them (the "racily clean"
rule of git's index). Any difference misses and takes the full path, which resolves the name through
ComfyUI's listing and the name guard again. The listing itself (a copy of every name and a `stat` per
model folder in ComfyUI) is re-checked at least every `RESOLVE_TTL_S`, once for all the names of a
`check_many` call, which bounds how long a file added under the same name in a higher-priority model
folder stays unseen. The name guard's real-path walk is not repeated then: a hit reads no file (the
body is stored), and the stamp pins the device and inode of the file that passed the guard, so a link
or folder swapped in on the way misses. Bounded (LRU) and locked; pending answers and stats errors are
never kept.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..modules.inspection.sidecars import metadata_candidates

log = logging.getLogger(__name__)

MAX_ANSWERS = 4096
RESOLVE_TTL_S = 5.0
ResolveMany = Callable[[list[str]], dict[str, "Path | None"]]  # names -> the file ComfyUI's listing gives now
RACY_NS = 2_000_000_000  # a folder changed less than this before a stamp may change again unseen (time stamp tick)


@dataclass(frozen=True)
class Stamp:
    """One version of a LoRA file and its metadata sidecars (see the module docstring)."""

    path: str
    file: tuple  # dev, inode, size, mtime_ns (links followed)
    folder_mtime_ns: int
    sidecars: tuple  # per candidate: (size, mtime_ns), or None when absent
    racy: bool  # the folder changed within RACY_NS of the stamp: absent sidecars are stat'ed too


def _file_facts(st: os.stat_result) -> tuple:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _sidecar_facts(candidate: str) -> tuple | None:
    try:
        st = os.stat(candidate)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _folder_mtime(folder: str, seen: dict[str, int] | None) -> int:
    if seen is not None and folder in seen:
        return seen[folder]
    mtime = os.stat(folder).st_mtime_ns
    if seen is not None:
        seen[folder] = mtime
    return mtime


def take_stamp(path: str | os.PathLike, candidates: Iterable[str | os.PathLike]) -> Stamp:
    """The current version of the file at `path` and of its sidecar `candidates` (raises OSError if the file is gone).

    The folder is stat'ed first: a sidecar created after that changes the folder's mtime again."""
    path = str(path)
    now = time.time_ns()
    folder_mtime = os.stat(os.path.dirname(path) or ".").st_mtime_ns
    file = _file_facts(os.stat(path))
    sidecars = tuple(_sidecar_facts(str(c)) for c in candidates)
    return Stamp(path, file, folder_mtime, sidecars, racy=now - folder_mtime < RACY_NS)


@dataclass(frozen=True)
class _Entry:
    stamp: Stamp
    candidates: tuple[str, ...]
    body: bytes
    resolved_at: float  # when the name was last resolved through the listing and the guard (monotonic)


def _unchanged(entry: _Entry, folders_seen: dict[str, int]) -> Stamp | None:
    """`entry`'s stamp, updated if only its racy flag changed, when the file and sidecars are still that
    version; None otherwise (blocking: stats)."""
    stamp = entry.stamp
    try:
        if _file_facts(os.stat(stamp.path)) != stamp.file:
            return None
        checked_at = time.time_ns()
        folder_mtime = _folder_mtime(os.path.dirname(stamp.path) or ".", folders_seen)
    except OSError:
        return None
    if folder_mtime != stamp.folder_mtime_ns:
        return None
    for candidate, facts in zip(entry.candidates, stamp.sidecars, strict=True):
        if (facts is not None or stamp.racy) and _sidecar_facts(candidate) != facts:
            return None
    if stamp.racy and checked_at - folder_mtime >= RACY_NS:
        return replace(stamp, racy=False)  # absent sidecars confirmed after the folder's last tick
    return stamp


class AnswerMemo:
    def __init__(self, max_answers: int = MAX_ANSWERS, resolve_ttl_s: float = RESOLVE_TTL_S):
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, _Entry] = OrderedDict()  # name -> entry; guarded, LRU-bounded
        self._ttl = resolve_ttl_s
        self._max = max_answers

    def stamp(self, path: Path) -> Stamp:
        return take_stamp(path, metadata_candidates(path))

    def check_many(self, names: Iterable[str], resolve_many: ResolveMany) -> dict[str, bytes | None]:
        """The stored answer of each of `names` whose file is still the version it was made for, else None
        (blocking: a `stat` per file and existing sidecar, one per folder; for the names resolved more than
        `resolve_ttl_s` ago also one `resolve_many(names)`, ComfyUI's listing, which must still lead to the
        same file)."""
        with self._lock:
            entries = {name: self._answers.get(name) for name in names}
        now = time.monotonic()
        expired = {name for name, entry in entries.items() if entry is not None and now - entry.resolved_at > self._ttl}
        try:
            listed = resolve_many(sorted(expired)) if expired else {}
        except Exception:  # noqa: BLE001 - a failed check is a miss: the full path reports the problem
            log.warning("LoRA listing not read for stored inspect answers", exc_info=True)
            listed = None
        folders_seen: dict[str, int] = {}
        checked: dict[str, _Entry | None] = {}
        for name, entry in entries.items():
            checked[name] = None
            if entry is None or (name in expired and (listed is None or str(listed.get(name)) != entry.stamp.path)):
                continue
            try:
                checked[name] = self._check(entry, now if name in expired else entry.resolved_at, folders_seen)
            except Exception:  # noqa: BLE001 - a failed check is a miss: the full path reports the problem
                log.warning("stored inspect answer of %r not checked", name, exc_info=True)
        with self._lock:
            for name, current in checked.items():
                if current is not None and self._answers.get(name) is entries[name]:
                    self._answers[name] = current
                    self._answers.move_to_end(name)
        return {name: None if current is None else current.body for name, current in checked.items()}

    @staticmethod
    def _check(entry: _Entry, resolved_at: float, folders_seen: dict[str, int]) -> _Entry | None:
        """`entry` (its stamp and resolution time brought up to date) if its file is unchanged, else None."""
        stamp = _unchanged(entry, folders_seen)
        if stamp is None:
            return None
        if stamp is entry.stamp and resolved_at == entry.resolved_at:
            return entry
        return replace(entry, stamp=stamp, resolved_at=resolved_at)

    def put(self, name: str, stamp: Stamp, body: bytes) -> None:
        """Keep `body` for `name`, whose file was resolved (listing and guard) just before taking `stamp`."""
        entry = _Entry(stamp, tuple(str(c) for c in metadata_candidates(stamp.path)), body, time.monotonic())
        with self._lock:
            self._answers[name] = entry
            self._answers.move_to_end(name)
            while len(self._answers) > self._max:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
