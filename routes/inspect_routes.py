"""`GET /mad-nodes/inspect-lora` (seed 004) and cache clearing, also as `POST /mad-nodes/clear-cache`.

Bodies are seed 004's; status codes are real ones, so a client that only looks at bodies keeps
working and one that looks at `response.ok` does not cache errors:

| case | status | body |
| --- | --- | --- |
| inspected | 200 | `{"arch", "stats"?, "stats_error"?, "fingerprint"}` |
| `lora_name` missing | 400 | `{"arch": "UNKNOWN"}` |
| name refused on sight (`name_guard`) | 400 | `{"arch": "UNKNOWN", "error": "File not found", "detail"}` |
| not listed by ComfyUI, or leading outside | 404 | `{"arch": "UNKNOWN", "error": "File not found"}` |
| listed but unreadable (not safetensors...) | 422 | `{"arch": "UNKNOWN", "error": "<name>: <problem>"}` |
| anything else | 500 | `{"arch": "UNKNOWN", "error": "<message>"}` |
| `clear_cache_all` truthy, or POST | 200 | `{"status": "cleared", "message": "Global LoRA cache cleared."}` |

`stats` is omitted (and `stats_error` says why) when they cannot be computed, and for architectures
without blocks. `fingerprint` changes with the file's or a metadata sidecar's size or mtime.

Never waits on a file: the answer waits at most `STATS_WAIT_S` for stats. When they are not ready by
then it is `{"arch", "stats_pending": true, "fingerprint"}` and, when the computation ends, every
browser gets the websocket event `lwb.inspect.stats` `{"lora_name", "fingerprint", "arch", "stats"}`
(or `"stats_error"` instead of `stats`), once per job and name; a later request answers with the
stored stats. Everything that touches the disk runs in a small I/O pool, stats in `StatsJobs`
(worker processes); never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from ..modules.arch.ids import UNKNOWN
from ..modules.inspection.cache import shared_cache
from ..modules.inspection.lora_facts import describe_lora
from ..modules.inspection.service import file_fingerprint, has_block_layout, problem_text, refine_arch
from .answer_memo import AnswerMemo, Stamp
from .json_body import dumps, finite, json_response
from .memo_batches import MemoBatches
from .model_folders import ModelFolders
from .name_guard import InvalidName, resolve_listed, validate_name
from .stats_jobs import StatsJobs

log = logging.getLogger(__name__)

TRUTHY = frozenset({"true", "1", "yes"})
NOT_FOUND = "File not found"
CLEARED = {"status": "cleared", "message": "Global LoRA cache cleared."}
IO_WORKERS = 4
MEMO_WORKERS = 2  # batches of checks in flight at once (memo_batches)
STATS_EVENT = "lwb.inspect.stats"
STATS_WAIT_S = 0.25  # an answer waits this long for stats, then says `stats_pending`


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in TRUTHY


class _Unreadable(Exception):
    """The LoRA is listed but cannot be inspected; the message is safe to show."""


@dataclass(frozen=True)
class _Found:
    path: Path
    arch: str
    fingerprint: str
    stats_job: Future | None
    stamp: Stamp | None = None  # the file version the answer is about (answer memo)


class InspectRoutes:
    def __init__(self, folders: ModelFolders, *, stats_jobs: StatsJobs | None = None, io_workers: int = IO_WORKERS,
                 stats_wait_s: float = STATS_WAIT_S):
        self._folders = folders
        self._jobs = stats_jobs or StatsJobs()
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="lwb-inspect-io")
        # stored answers are checked in their own small pool: never queued behind header parsing
        self._memo_io = ThreadPoolExecutor(max_workers=MEMO_WORKERS, thread_name_prefix="lwb-inspect-memo")
        self._wait_s = stats_wait_s
        self._lock = threading.Lock()
        self._waiting: dict[Future, dict[str, str]] = {}  # pending job -> {lora name: fingerprint}; guarded
        self._memo = AnswerMemo()
        self._memo_checks = MemoBatches(self._memo, self._listed_paths, self._memo_io, MEMO_WORKERS)

    @property
    def stats_jobs(self) -> StatsJobs:
        return self._jobs

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/inspect-lora")(self.inspect_lora)
        routes.post("/mad-nodes/clear-cache")(self.clear_cache)

    def close(self) -> None:
        self._io.shutdown(wait=False, cancel_futures=True)
        self._memo_io.shutdown(wait=False, cancel_futures=True)
        self._jobs.close()

    async def clear_cache(self, request: web.Request) -> web.Response:
        shared_cache().clear()
        self._memo.clear()
        log.info("inspect cache cleared on request")
        return json_response(CLEARED)

    async def inspect_lora(self, request: web.Request) -> web.Response:
        query = request.query
        if truthy(query.get("clear_cache_all")):
            return await self.clear_cache(request)
        name = query.get("lora_name", "")
        if not name:
            return json_response({"arch": UNKNOWN}, status=400)
        try:
            validate_name(name, self._folders.separator)
        except InvalidName as err:
            return json_response({"arch": UNKNOWN, "error": NOT_FOUND, "detail": str(err)}, status=400)
        refresh = truthy(query.get("refresh"))
        if not refresh and (memo := await self._memo_checks.get(name)) is not None:
            return web.Response(body=memo, content_type="application/json")  # unchanged since last answered
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self._io, self._find, name, refresh)
        except _Unreadable as err:
            return json_response({"arch": UNKNOWN, "error": str(err)}, status=422)
        except Exception as err:
            log.exception("inspect-lora %r failed", name)
            return json_response({"arch": UNKNOWN, "error": f"{name}: {type(err).__name__}: {err}"}, status=500)
        if found is None:
            return json_response({"arch": UNKNOWN, "error": NOT_FOUND}, status=404)
        body = await self._body(name, found)
        if body.get("stats_pending") or body.get("stats_error"):  # neither is final: asked again, recomputed
            return json_response(body)
        encoded = dumps(body).encode()
        if found.stamp is not None:
            self._memo.put(name, found.stamp, encoded)
        return web.Response(body=encoded, content_type="application/json")

    def _resolve(self, name: str) -> Path | None:
        return resolve_listed(self._folders, "loras", name)

    def _listed_paths(self, names: list[str]) -> dict[str, Path | None]:
        return self._folders.resolve_many("loras", names)

    def _find(self, name: str, refresh: bool) -> _Found | None:
        """Resolve, detect and start (or find) the stats job; runs in the I/O pool."""
        path = self._resolve(name)
        if path is None:
            return None
        try:
            stamp = self._memo.stamp(path)
            arch = describe_lora(path, refresh=refresh).arch.arch
            fingerprint = file_fingerprint(path)
            job = self._jobs.future(path, arch, refresh) if has_block_layout(arch) else None
        except (OSError, ValueError) as err:
            raise _Unreadable(problem_text(err, path, name)) from err
        return _Found(path, arch, fingerprint, job, stamp)

    async def _body(self, name: str, found: _Found) -> dict:
        job = found.stats_job
        if job is None:
            return {"arch": found.arch, "fingerprint": found.fingerprint}
        if not job.done():
            # shield: a client hanging up (or the timeout) must not cancel a job other requests share;
            # a timeout or a failure is read from the job below
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job)), self._wait_s)
        if not job.done():
            self._notify_when_done(job, name, found)
            if not job.done():  # else it ended meanwhile: answer in full (the event goes out as well)
                return {"arch": found.arch, "stats_pending": True, "fingerprint": found.fingerprint}
        return {**stats_fields(name, found, job), "fingerprint": found.fingerprint}

    def _notify_when_done(self, job: Future, name: str, found: _Found) -> None:
        """Send `lwb.inspect.stats` for `name` when `job` ends (once per job and name)."""
        if self._folders.notify is None:
            return
        with self._lock:
            names = self._waiting.get(job)
            first = names is None
            if first:
                names = self._waiting[job] = {}
            names[name] = found.fingerprint
        if first:
            log.info("block energy of %s: computing in a worker process; the browser gets it when done", name)
            started = time.monotonic()
            job.add_done_callback(lambda done: self._send_stats(done, found, started))

    def _send_stats(self, job: Future, found: _Found, started: float) -> None:
        with self._lock:
            names = self._waiting.pop(job, {})
        for name, fingerprint in names.items():
            fields = stats_fields(name, found, job)
            log.info("block energy of %s %s after %.1fs", name, "failed" if "stats_error" in fields else "ready",
                     time.monotonic() - started)
            try:
                self._folders.notify(STATS_EVENT, finite({"lora_name": name, "fingerprint": fingerprint, **fields}))
            except Exception:  # noqa: BLE001 - a closed websocket must not break the worker thread
                log.warning("could not send %s for %s", STATS_EVENT, name, exc_info=True)


def stats_fields(name: str, found: _Found, job: Future) -> dict:
    """`{"arch", "stats"}` (SDXL refined by lineage) of a finished job, or `{"arch", "stats_error"}`."""
    try:
        if job.cancelled():
            raise RuntimeError("the computation was cancelled")
        stats = job.result()
    except Exception as err:  # noqa: BLE001 - any failure of one file is that file's stats error
        log.warning("stats of LoRA %r failed: %s", name, err)
        return {"arch": found.arch, "stats_error": problem_text(err, found.path, name)}
    return {"arch": refine_arch(found.arch, stats), "stats": stats}
