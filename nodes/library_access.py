"""The nodes' access to the library database in ComfyUI's user directory: saved profiles (preset
templates) and usage records. Called from the prompt's worker thread, never from the event loop.
"""

from __future__ import annotations

import logging
from contextlib import closing

import folder_paths

from ..modules.library import default_db_path, usage
from ..modules.library.profiles import get_profile_by_name
from ..modules.library.schema import connect

log = logging.getLogger(__name__)

# A prompt never waits long on the database (a scan holds the write lock for short batches only).
USAGE_BUSY_TIMEOUT_MS = 2000


def _connect():
    return connect(default_db_path(folder_paths.get_user_directory()))


def find_profile(name: str) -> dict | None:
    """The saved profile called `name`, or None (also when the database cannot be opened: logged)."""
    try:
        with closing(_connect()) as conn:
            return get_profile_by_name(conn, name)
    except Exception as err:  # noqa: BLE001 - an unreadable database means "no saved profile", said in the log
        log.warning("LoRA library: profile %r could not be looked up: %s", name, err)
        return None


def record_usage(node: str, paths: list[str]) -> None:
    """Count one use of each LoRA file a prompt ran; a failure is logged and never fails the prompt."""
    if not paths:
        return
    try:
        with closing(_connect()) as conn:
            conn.execute(f"PRAGMA busy_timeout = {USAGE_BUSY_TIMEOUT_MS}")
            usage.record_paths(conn, paths)
    except Exception as err:  # noqa: BLE001 - usage is a convenience; the image matters more
        log.warning("%s: LoRA usage could not be recorded: %s", node, err)
