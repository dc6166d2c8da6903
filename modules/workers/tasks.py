"""The tasks a worker process runs, by name. Each takes and returns plain data (it crosses a pipe).

`block_stats` is fingerprint-keyed: it is asked for one version of a file (size and mtime as the
requester saw them) and fails with `FileChanged` when the file on disk is not, or stops being, that
version, so a file rewritten, truncated or removed mid-computation gives an error for that version
only, never a result labelled with the wrong version.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..blocks.energy import compute_stats


class FileChanged(Exception):
    """The file is not the version the task was asked about (any more)."""


def _check_version(path: str, size: int | None, mtime_ns: int | None, when: str) -> None:
    if size is None:
        return
    st = os.stat(path)
    if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
        raise FileChanged(f"the file changed {when} its block energy was computed "
                          f"(size {size} -> {st.st_size}); inspect it again")


def block_stats(path: str, arch: str, size: int | None = None, mtime_ns: int | None = None, *,
                compute: Callable[[str, str], dict] = compute_stats) -> dict:
    """`compute(path, arch)` for the version of `path` with this size and mtime (None: any version).

    `compute` is only ever replaced in-process (it cannot cross the pipe)."""
    _check_version(path, size, mtime_ns, "before")
    stats = compute(path, arch)
    _check_version(path, size, mtime_ns, "while")
    return stats


def describe_worker() -> dict:
    """The worker's pid and imported module names (a health check; shows what a child has loaded)."""
    return {"pid": os.getpid(), "modules": sorted(sys.modules)}


TASKS = {"block_stats": block_stats, "describe_worker": describe_worker}
