"""The library's background threads (the scan, the energy pass): one at a time per service, waited for alike."""

from __future__ import annotations

import threading


def wait_for(thread: threading.Thread | None, timeout: float | None) -> bool:
    """Join `thread` (None: none was started) for up to `timeout` s; True when it does not run any more."""
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
