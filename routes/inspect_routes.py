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
Everything that touches the disk runs in a small I/O pool, stats in `StatsJobs`; never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from ..modules.arch.ids import UNKNOWN
from ..modules.inspection.cache import shared_cache
from ..modules.inspection.lora_facts import describe_lora
from ..modules.inspection.service import file_fingerprint, has_block_layout, problem_text, refine_arch
from .json_body import json_response
from .model_folders import ModelFolders
from .name_guard import InvalidName, resolve_listed, validate_name
from .stats_jobs import StatsJobs

log = logging.getLogger(__name__)

TRUTHY = frozenset({"true", "1", "yes"})
NOT_FOUND = "File not found"
CLEARED = {"status": "cleared", "message": "Global LoRA cache cleared."}
IO_WORKERS = 4


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


class InspectRoutes:
    def __init__(self, folders: ModelFolders, *, stats_jobs: StatsJobs | None = None, io_workers: int = IO_WORKERS):
        self._folders = folders
        self._jobs = stats_jobs or StatsJobs()
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="lwb-inspect-io")

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/inspect-lora")(self.inspect_lora)
        routes.post("/mad-nodes/clear-cache")(self.clear_cache)

    def close(self) -> None:
        self._io.shutdown(wait=False, cancel_futures=True)
        self._jobs.close()

    async def clear_cache(self, request: web.Request) -> web.Response:
        shared_cache().clear()
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
            validate_name(name)
        except InvalidName as err:
            return json_response({"arch": UNKNOWN, "error": NOT_FOUND, "detail": str(err)}, status=400)
        try:
            found = await asyncio.get_running_loop().run_in_executor(
                self._io, self._find, name, truthy(query.get("refresh")))
        except _Unreadable as err:
            return json_response({"arch": UNKNOWN, "error": str(err)}, status=422)
        except Exception as err:
            log.exception("inspect-lora %r failed", name)
            return json_response({"arch": UNKNOWN, "error": f"{name}: {type(err).__name__}: {err}"}, status=500)
        if found is None:
            return json_response({"arch": UNKNOWN, "error": NOT_FOUND}, status=404)
        return json_response(await self._body(name, found))

    def _find(self, name: str, refresh: bool) -> _Found | None:
        """Resolve, detect and start (or find) the stats job; runs in the I/O pool."""
        path = resolve_listed(self._folders, "loras", name)
        if path is None:
            return None
        try:
            arch = describe_lora(path, refresh=refresh).arch.arch
            fingerprint = file_fingerprint(path)
            job = self._jobs.future(path, arch, refresh) if has_block_layout(arch) else None
        except (OSError, ValueError) as err:
            raise _Unreadable(problem_text(err, path, name)) from err
        return _Found(path, arch, fingerprint, job)

    async def _body(self, name: str, found: _Found) -> dict:
        body: dict = {"arch": found.arch}
        if found.stats_job is not None:
            try:
                stats = await self._result(found.stats_job)
            except Exception as err:
                log.warning("stats of LoRA %r failed: %s", name, err)
                body["stats_error"] = problem_text(err, found.path, name)
            else:
                body["arch"] = refine_arch(found.arch, stats)
                body["stats"] = stats
        body["fingerprint"] = found.fingerprint
        return body

    @staticmethod
    async def _result(job: Future) -> dict:
        if job.done() and not job.cancelled():
            return job.result()  # a cache hit: no hop through the loop's callback queue
        # shield: a client hanging up must not cancel a job other requests share
        return await asyncio.shield(asyncio.wrap_future(job))
