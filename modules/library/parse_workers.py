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
import gc
import logging
import os
import pickle
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
GC_YOUNG_OBJECTS = 10_000  # a child's young-generation threshold (the default is 700)
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
    """The child's loop: batches in, rows out, until stdin closes.

    Garbage collection is tuned for this process's one job: a header parse allocates a few thousand
    containers that die by reference counting (JSON trees hold no cycles), yet each allocation burst
    triggers collections that walk the survivors; left at the defaults they take ~40 % of a cold
    parse. The imported modules are frozen out of collection and the young generation made larger.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_OBJECTS, 10, 10)
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


class TableRouter:
    """Which worker reads a file: every file with one tensor table goes to the same worker.

    A worker analyses a table it has not seen in full (`structure.py`: 2-3x the cost of parsing the
    header) and reuses the analysis for every later file with that table; a table analysed by two
    workers is analysed twice. A file's data size (file size - 8 - header length: the sum of its
    tensors' bytes) stands for its table without parsing anything, so the parent reads only the 8-byte
    length prefix. Two tables of one data size (the same shapes in F16 and BF16) share a worker, which
    costs nothing: each is still analysed once. A new data size goes to the worker with the fewest files.
    """

    def __init__(self, workers: int):
        self._slot_of: dict[int, int] = {}
        self.files = [0] * workers

    def slot(self, path: str, size: int) -> int:
        key = data_size(path, size)
        slot = self._slot_of.get(key)
        if slot is None:
            slot = self.files.index(min(self.files))
            if key >= 0:
                self._slot_of[key] = slot
        self.files[slot] += 1
        return slot


def data_size(path: str, size: int) -> int:
    """Bytes after the header of a `size`-byte safetensors file (-1: unreadable or not safetensors)."""
    try:
        with open(path, "rb") as f:
            prefix = f.read(8)
    except OSError:
        return -1
    if len(prefix) < 8:
        return -1
    rest = size - 8 - int.from_bytes(prefix, "little")
    return rest if rest >= 0 else -1


class _Slot:
    """One child process and the thread that feeds it its batches in order."""

    def __init__(self, index: int):
        self.child: _Child | None = None
        self.thread = ThreadPoolExecutor(1, thread_name_prefix=f"lwb-parse-{index}")


class ParseWorkers:
    """`with ParseWorkers(n) as pool: pool.submit(batch, slot).result()` -> [(path, row, error)], read by
    child process `slot` (round robin without one); see `TableRouter` for choosing the slot."""

    def __init__(self, workers: int | None = None):
        self._size = workers or default_workers()
        self._lock = threading.Lock()  # guards the slots' children and the counters
        self._restarts = 0
        self._next = 0
        self.local_batches = 0  # batches read in the calling thread (no child could be started)
        self._local_cache = StructureCache()
        self._slots = [_Slot(i) for i in range(self._size)]
        for slot in self._slots:
            slot.child = self._start()

    def __enter__(self) -> ParseWorkers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def size(self) -> int:
        return self._size

    @property
    def restarts(self) -> int:
        with self._lock:
            return self._restarts

    def pids(self) -> list[int]:
        with self._lock:
            return [s.child.proc.pid for s in self._slots if s.child and s.child.proc.poll() is None]

    @property
    def processes(self) -> int:
        return len(self.pids())

    def _start(self) -> _Child | None:
        try:
            return _Child()
        except OSError as err:
            log.warning("library scan: cannot start a header worker process (%s); reading in this process", err)
            return None

    def _replace(self, slot: _Slot, why: object) -> None:
        """Drop the slot's dead child; start a replacement unless restarts ran out."""
        child = slot.child
        log.warning("library scan: header worker %s died (%s); replacing it", child.proc.pid, why)
        child.close()
        with self._lock:
            self._restarts += 1
            may_restart = self._restarts <= MAX_RESTARTS
        slot.child = self._start() if may_restart else None

    def _run(self, slot: _Slot, items: list[tuple[str, str]]):
        while True:
            child = slot.child
            if child is None:
                with self._lock:
                    self.local_batches += 1
                return read_batch(items, self._local_cache)
            if child.proc.poll() is not None:
                self._replace(slot, f"exit code {child.proc.returncode}")
                continue
            try:
                return child.run(items)
            except (EOFError, OSError, pickle.UnpicklingError) as err:
                self._replace(slot, err)

    def submit(self, items: list[tuple[str, str]], slot: int | None = None) -> Future:
        """Queue one batch of (path, name) for worker `slot`; the future's result is `read_batch`'s."""
        if slot is None:
            with self._lock:
                slot, self._next = self._next, (self._next + 1) % self._size
        target = self._slots[slot % self._size]
        return target.thread.submit(self._run, target, list(items))

    def close(self) -> None:
        for slot in self._slots:
            slot.thread.shutdown(wait=True, cancel_futures=True)
        for slot in self._slots:
            if slot.child is not None:
                slot.child.close()
                slot.child = None
