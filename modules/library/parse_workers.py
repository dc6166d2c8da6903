"""Read the facts of many LoRA files in worker processes: the first index of a large library on every core.

Parsing headers is CPU work under the GIL (JSON, key analysis), so threads would not help and would
stall ComfyUI's event loop. The scanner hands batches of files to `ParseWorkers`, which spreads them
over child processes and yields the rows as they come back; the scanner writes them to SQLite.

Spawn-safe by construction. `multiprocessing`'s spawn start (Windows, macOS) re-runs the parent's
`__main__` in each child, which under ComfyUI is `main.py` (prestartup scripts, every custom node, the
server) and would import the pack's node modules. So the children are plain `subprocess` interpreters
started with a short bootstrap (`_BOOT`) that registers the pack's folders as bare packages (no
`__init__.py` is run: not the pack's, which imports ComfyUI, nor `library/__init__.py`, which imports
torch) and imports only this module and the pure modules it needs. Batches and rows travel as pickles
of plain data (str, int, float, None) over the child's stdin/stdout; the child's own output goes to
stderr (ComfyUI's console).

Failure handling: a child that dies (killed, out of memory) is replaced; its batch is read again in
the replacement. If no child can be started at all, batches are read in the calling thread. Children
exit when their stdin closes (`close()`, or the parent process dying).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .entry_facts import read_facts
from .structure import StructureCache

log = logging.getLogger(__name__)

MAX_WORKERS = 4  # header parsing is bound by the disk beyond a few cores
MAX_RESTARTS = 4  # per pool; past that, batches are read in the calling thread
_LEN = struct.Struct("<Q")
_PACKAGE = "lwb_parse_worker"  # the pack's name inside a child (rows are plain data: names do not cross)

_BOOT = """
import importlib, importlib.machinery, importlib.util, os, sys
root, name = sys.argv[1], sys.argv[2]
for pkg, path in ((name, root), (name + ".modules", "modules"), (name + ".modules.library", "modules/library")):
    spec = importlib.machinery.ModuleSpec(pkg, None, is_package=True)
    spec.submodule_search_locations = [os.path.join(root, path) if pkg != name else root]
    sys.modules[pkg] = importlib.util.module_from_spec(spec)
out = sys.stdout.buffer
sys.stdout = sys.stderr
importlib.import_module(name + ".modules.library.parse_workers").serve(sys.stdin.buffer, out)
"""


def default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def read_batch(items: Iterable[tuple[str, str]], cache: StructureCache) -> list[tuple[str, dict | None, str | None]]:
    """[(path, row, None) or (path, None, OSError text)] for (path, name) items: `read_facts` of each."""
    out = []
    for path, name in items:
        try:
            out.append((path, read_facts(path, name, cache), None))
        except OSError as err:  # vanished or unreadable between the walk and the read
            out.append((path, None, err.strerror or str(err)))
    return out


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LEN.pack(len(data)) + data)
    stream.flush()


def _recv(stream):
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        raise EOFError("worker closed its pipe")
    (n,) = _LEN.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        raise EOFError("worker closed its pipe mid-message")
    return pickle.loads(data)  # noqa: S301 - our own child process, plain data


def serve(inp, out) -> None:
    """The child's loop: batches in, rows out, until stdin closes."""
    cache = StructureCache()
    while True:
        try:
            items = _recv(inp)
        except EOFError:
            return
        _send(out, read_batch(items, cache))


class _Child:
    def __init__(self):
        root = str(Path(__file__).resolve().parents[2])
        self.proc = subprocess.Popen([sys.executable, "-c", _BOOT, root, _PACKAGE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)

    def run(self, items: list[tuple[str, str]]):
        _send(self.proc.stdin, items)
        return _recv(self.proc.stdout)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class ParseWorkers:
    """`with ParseWorkers(n) as pool: pool.submit(batch).result()` -> [(path, row, error)], batches spread over
    `n` child processes."""

    def __init__(self, workers: int | None = None):
        self._size = workers or default_workers()
        self._idle: queue.Queue[_Child] = queue.Queue()
        self._children: list[_Child] = []
        self._lock = threading.Lock()  # guards _children and _restarts
        self._restarts = 0
        self.local_batches = 0  # batches read in the calling thread (no child could be started)
        self._local_cache = StructureCache()
        self._threads = ThreadPoolExecutor(self._size, thread_name_prefix="lwb-parse")
        for _ in range(self._size):
            child = self._start()
            if child is not None:
                self._idle.put(child)

    def __enter__(self) -> ParseWorkers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def restarts(self) -> int:
        with self._lock:
            return self._restarts

    def pids(self) -> list[int]:
        with self._lock:
            return [c.proc.pid for c in self._children if c.proc.poll() is None]

    @property
    def processes(self) -> int:
        with self._lock:
            return sum(c.proc.poll() is None for c in self._children)

    def _start(self) -> _Child | None:
        try:
            child = _Child()
        except OSError as err:
            log.warning("library scan: cannot start a header worker process (%s); reading in this process", err)
            return None
        with self._lock:
            self._children.append(child)
        return child

    def _replace(self, child: _Child, why: object) -> None:
        """Drop a dead child; start a replacement unless restarts ran out."""
        log.warning("library scan: header worker %s died (%s); replacing it", child.proc.pid, why)
        child.close()
        with self._lock:
            self._children.remove(child)
            self._restarts += 1
            may_restart = self._restarts <= MAX_RESTARTS
        replacement = self._start() if may_restart else None
        if replacement is not None:
            self._idle.put(replacement)

    def _take(self) -> _Child | None:
        """An idle live child (waiting for one), or None when the pool has none left."""
        while True:
            try:
                child = self._idle.get(timeout=0.5)
            except queue.Empty:
                with self._lock:
                    if not self._children:
                        return None
                continue
            if child.proc.poll() is None:
                return child
            self._replace(child, f"exit code {child.proc.returncode}")

    def _run(self, items: list[tuple[str, str]]):
        while True:
            child = self._take()
            if child is None:
                with self._lock:
                    self.local_batches += 1
                return read_batch(items, self._local_cache)
            try:
                result = child.run(items)
            except (EOFError, OSError, pickle.UnpicklingError) as err:
                self._replace(child, err)
                continue
            self._idle.put(child)
            return result

    def submit(self, items: list[tuple[str, str]]) -> Future:
        """Queue one batch of (path, name); the future's result is `read_batch`'s."""
        return self._threads.submit(self._run, list(items))

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            child.close()
