"""`WorkerPool`: named tasks (`tasks.TASKS`) run in child processes, with priorities and crash recovery.

- Processes, not threads: block energy is numpy/torch work interleaved with Python, and threads doing
  it hold the GIL long enough to stall ComfyUI's event loop. A child holds its own GIL.
- Children are started by `entry.py` with `sys.executable` (spawn-safe everywhere, see there), lazily
  on the first job, and leave after `idle_exit_s` without work, so an idle ComfyUI holds no worker.
- One dispatcher thread per slot hands the next job (lowest `priority`, then oldest) to its child and
  waits for the reply. A child that dies mid-job (killed, out of memory, a crash in a native library)
  is replaced and the job is queued again at its place, up to `max_attempts` times; then the job fails
  with `WorkerCrashed` naming the task and its arguments. Nothing queued is lost.
- `close()` (also run at interpreter exit) closes the children's stdin: they exit; stragglers are
  killed. A child whose parent dies sees its stdin close and exits too.
"""

from __future__ import annotations

import atexit
import contextlib
import heapq
import itertools
import logging
import os
import subprocess
import sys
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from .protocol import read_message, write_message

log = logging.getLogger(__name__)

ENTRY = Path(__file__).with_name("entry.py")
INTERACTIVE, BACKGROUND = 0, 10
IDLE_EXIT_S = 120.0
MAX_ATTEMPTS = 2
STOP_TIMEOUT_S = 5.0


class WorkerCrashed(RuntimeError):
    """The worker process died every time it ran this job."""


class TaskError(Exception):
    """A task failed in the worker; `type_name`, `problem` describe the original exception."""

    def __init__(self, type_name: str, message: str, problem: str | None = None):
        super().__init__(message or type_name)
        self.type_name = type_name
        self.problem = problem


def rebuild_error(info: dict) -> Exception:
    """The parent-side exception for an error described by the child (OSError keeps its errno and class)."""
    if info.get("errno") is not None and info.get("type", "").endswith("Error") and info.get("strerror"):
        return OSError(info["errno"], info["strerror"])  # OSError(2, ...) is a FileNotFoundError, etc.
    return TaskError(info.get("type", "Error"), info.get("message", ""), info.get("problem"))


@dataclass(order=True)
class _Job:
    priority: int
    seq: int
    task: str = field(compare=False)
    args: tuple = field(compare=False)
    future: Future = field(compare=False)
    attempts: int = field(default=0, compare=False)
    started: bool = field(default=False, compare=False)


class _ChildDied(Exception):
    pass


class _Child:
    """One worker process and its pipes; used by one dispatcher thread only."""

    def __init__(self, niceness: int):
        self.process = subprocess.Popen([sys.executable, str(ENTRY)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        close_fds=True)
        self.ids = itertools.count()
        try:
            self.send({"niceness": niceness})
        except _ChildDied:
            self.kill()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message) -> None:
        try:
            write_message(self.process.stdin, message)
        except (BrokenPipeError, OSError, ValueError) as err:
            raise _ChildDied(f"worker {self.pid} is gone: {err}") from err

    def call(self, task: str, args: tuple):
        job_id = next(self.ids)
        self.send((job_id, task, args))
        try:
            reply_id, ok, value = read_message(self.process.stdout)
        except (EOFError, OSError, ValueError) as err:
            raise _ChildDied(f"worker {self.pid} exited (code {self.process.poll()})") from err
        if reply_id != job_id:
            raise _ChildDied(f"worker {self.pid} answered job {reply_id} instead of {job_id}")
        if not ok:
            raise rebuild_error(value)
        return value

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
        self.process.stdout.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.stop()


class WorkerPool:
    """`size` worker processes; `submit(task, *args, priority=...)` returns a `concurrent.futures.Future`."""

    def __init__(self, size: int = 2, *, name: str = "lwb-worker", niceness: int = 0,
                 idle_exit_s: float = IDLE_EXIT_S, max_attempts: int = MAX_ATTEMPTS):
        if size < 1:
            raise ValueError(f"{name}: size must be at least 1, got {size}")
        self.name = name
        self._niceness = niceness
        self._idle_exit_s = idle_exit_s
        self._max_attempts = max_attempts
        self._cond = threading.Condition()  # guards every attribute below
        self._queue: list[_Job] = []
        self._seq = itertools.count()
        self._running = 0
        self._closed = False
        self._in_flight: dict[int, _Job] = {}  # slot -> job
        self._pids: dict[int, int] = {}  # slot -> pid of its live child
        self._threads = [threading.Thread(target=self._serve_slot, args=(slot,), name=f"{name}-{slot}", daemon=True)
                         for slot in range(size)]
        for thread in self._threads:
            thread.start()
        atexit.register(_close_at_exit, weakref.ref(self))

    # -- requests ---------------------------------------------------------------------------------
    def submit(self, task: str, *args, priority: int = INTERACTIVE) -> Future:
        future: Future = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self.name}: the worker pool is closed")
            heapq.heappush(self._queue, _Job(priority, next(self._seq), task, args, future))
            self._cond.notify()
        return future

    def busy(self) -> bool:
        """Whether any job is queued or running."""
        with self._cond:
            return bool(self._queue) or self._running > 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (or `timeout`); True when idle."""
        with self._cond:
            return self._cond.wait_for(lambda: self._closed or (not self._queue and self._running == 0), timeout)

    def in_flight(self) -> dict[int, tuple[str, tuple]]:
        """{worker pid: (task, args)} of the jobs being run right now."""
        with self._cond:
            return {self._pids[s]: (j.task, j.args) for s, j in self._in_flight.items() if s in self._pids}

    def close(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Cancel queued jobs, let running ones end with their worker, stop every worker."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            queued, self._queue = self._queue, []
            self._cond.notify_all()
        for job in queued:
            job.future.cancel()
            if not job.future.cancelled():  # a job queued again after a crash is already running
                job.future.set_exception(RuntimeError(f"{self.name}: closed before {job.task} ran"))
        for thread in self._threads:
            thread.join(timeout)

    # -- dispatch ---------------------------------------------------------------------------------
    def _next_job(self, slot: int, child: _Child | None) -> tuple[_Job | None, bool]:
        """(job, idle timeout passed); (None, False) when the pool is closed."""
        with self._cond:
            while not self._closed:
                if self._queue:
                    job = heapq.heappop(self._queue)
                    if not job.started:
                        if not job.future.set_running_or_notify_cancel():
                            continue  # cancelled while queued
                        job.started = True
                    self._running += 1
                    self._in_flight[slot] = job
                    return job, False
                if not self._cond.wait(self._idle_exit_s if child is not None else None) and child is not None:
                    return None, True
            return None, False

    def _serve_slot(self, slot: int) -> None:
        child: _Child | None = None
        try:
            while True:
                job, idle = self._next_job(slot, child)
                if job is None:
                    if idle:
                        child = self._retire(slot, child)
                        continue
                    break
                child = self._run(slot, child, job)
        finally:
            self._retire(slot, child)

    def _retire(self, slot: int, child: _Child | None) -> None:
        if child is not None:
            with self._cond:
                self._pids.pop(slot, None)
            child.stop()
        return None

    def _run(self, slot: int, child: _Child | None, job: _Job) -> _Child | None:
        try:
            if child is None:
                child = _Child(self._niceness)
                with self._cond:
                    self._pids[slot] = child.pid
            result = child.call(job.task, job.args)
        except _ChildDied as died:
            if child is not None:
                child.kill()
            child = None
            with self._cond:
                self._pids.pop(slot, None)
            self._crashed(job, died)
        except OSError as err:
            if child is None:  # the process could not even be started
                job.future.set_exception(RuntimeError(f"{self.name}: cannot start a worker process: {err}"))
            else:
                job.future.set_exception(err)
        except Exception as err:  # noqa: BLE001 - the task's own error, for the requester
            job.future.set_exception(err)
        else:
            job.future.set_result(result)
        finally:
            with self._cond:
                self._running -= 1
                self._in_flight.pop(slot, None)
                self._cond.notify_all()
        return child

    def _crashed(self, job: _Job, died: _ChildDied) -> None:
        job.attempts += 1
        with self._cond:
            retry = job.attempts < self._max_attempts and not self._closed
            if retry:
                heapq.heappush(self._queue, job)
                self._cond.notify()
        if retry:
            log.warning("%s: %s during %s; the job is queued again on a new worker", self.name, died, job.task)
        else:
            job.future.set_exception(WorkerCrashed(f"{job.task} {_describe(job.args)}: the worker process died "
                                                   f"{job.attempts} time(s) running it ({died})"))


def _describe(args: tuple) -> str:
    return os.path.basename(str(args[0])) if args else ""


def _close_at_exit(ref: weakref.ref) -> None:
    pool = ref()
    if pool is not None:
        pool.close(timeout=1.0)
