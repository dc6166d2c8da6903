"""Record which files in some folders get opened or read, by any process, with Linux inotify (via ctypes).

    with OpenWatch([outside_dir]) as watch:
        ...                          # requests to the server
        assert watch.drain() == []   # (folder, file name) of every open/read since the last drain

The kernel queues an IN_OPEN event when a file is opened and IN_ACCESS when it is read, whoever does
it, at the moment it happens; events are only drained later, so nothing here races the server.
`stat`, `readlink` and `realpath` generate no event: this proves files were not *opened*.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from pathlib import Path

IN_ACCESS = 0x00000001
IN_OPEN = 0x00000020
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len

_libc = ctypes.CDLL(None, use_errno=True)


class OpenWatch:
    def __init__(self, folders: list[Path]):
        self._fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self._folders: dict[int, Path] = {}
        for folder in folders:
            wd = _libc.inotify_add_watch(self._fd, os.fsencode(folder), IN_OPEN | IN_ACCESS)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"cannot watch {folder}")
            self._folders[wd] = Path(folder)

    def drain(self) -> list[tuple[Path, str]]:
        """(folder, name) of every file (not directory) opened or read since the last call, in order."""
        events = []
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return events
            except OSError as err:
                if err.errno == errno.EAGAIN:
                    return events
                raise
            offset = 0
            while offset < len(data):
                wd, mask, _, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size: offset + _EVENT.size + length].rstrip(b"\0")
                offset += _EVENT.size + length
                if name and not mask & IN_ISDIR:
                    events.append((self._folders[wd], os.fsdecode(name)))

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> OpenWatch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
