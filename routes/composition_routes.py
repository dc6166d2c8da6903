"""Composition history routes (`modules/library/compositions.py`), all under `/mad-nodes/compositions`.

| route | answer |
| --- | --- |
| `GET compositions[?limit=N]` | `{compositions: [...]}` newest first, `result` summarised; 400 bad limit |
| `GET compositions/{id}` | the record `{id, created_at, source, policy, headroom, inputs, result}`; 404 |
| `POST compositions` | body: a `/combine` request; combined and recorded (`source: editor`): 201 the record |
| `GET compositions/{id}/restore` | `{combiner_config, policy, headroom}` for the combiner node; 404 |

A `POST` that `/combine` would refuse gets the same 4xx answer and records nothing.
The database is the library's (ComfyUI's user directory); every call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from contextlib import closing

from aiohttp import web

from ..modules.combiner.request import CombineRequestError, parse_combine_request
from ..modules.library import compositions, default_db_path
from ..modules.library.schema import connect
from .combine_routes import CombineProblem, CombineRoutes, read_body
from .json_body import json_response
from .model_folders import ModelFolders


def _error(status: int, message: str, field: str | None = None) -> web.Response:
    return json_response({"error": message, "field": field}, status=status)


def _id(request: web.Request) -> int | None:
    value = request.match_info["id"]
    return int(value) if value.isdigit() and len(value) < 16 else None


class CompositionRoutes:
    def __init__(self, folders: ModelFolders, combiner: CombineRoutes | None = None):
        self._folders = folders
        self._combiner = combiner or CombineRoutes(folders)

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/compositions")(self.list_recent)
        routes.post("/mad-nodes/compositions")(self.keep)
        routes.get("/mad-nodes/compositions/{id}")(self.get_one)
        routes.get("/mad-nodes/compositions/{id}/restore")(self.restore)

    def _db(self, fn, *args):
        if self._folders.user_dir is None:
            raise web.HTTPServiceUnavailable(text='{"error": "no user directory configured"}',
                                             content_type="application/json")
        with closing(connect(default_db_path(self._folders.user_dir()))) as conn:
            return fn(conn, *args)

    async def list_recent(self, request: web.Request) -> web.Response:
        raw = request.query.get("limit", str(compositions.DEFAULT_LIMIT))
        if not raw.isdigit() or not 1 <= int(raw) <= compositions.MAX_LIMIT:
            return _error(400, f"limit: expected a whole number from 1 to {compositions.MAX_LIMIT}, got {raw!r}",
                          "limit")
        found = await asyncio.to_thread(self._db, compositions.recent, int(raw))
        return json_response({"compositions": found})

    async def get_one(self, request: web.Request) -> web.Response:
        found = await self._find(request)
        return found if isinstance(found, web.Response) else json_response(found)

    async def restore(self, request: web.Request) -> web.Response:
        found = await self._find(request)
        return found if isinstance(found, web.Response) else json_response(compositions.restore(found))

    async def _find(self, request: web.Request):
        composition_id = _id(request)
        found = None if composition_id is None else await asyncio.to_thread(self._db, compositions.get,
                                                                             composition_id)
        if found is None:
            return _error(404, f"composition {request.match_info['id']!r} does not exist", "id")
        return found

    async def keep(self, request: web.Request) -> web.Response:
        try:
            body = await read_body(request)
            parsed = parse_combine_request(body)
            answer = await asyncio.to_thread(self._combiner.compute, parsed)
        except CombineRequestError as err:
            return _error(400, str(err), err.field)
        except CombineProblem as err:
            return _error(err.status, str(err), err.field)
        inputs = {"loras": body["loras"], "policy": parsed.policy, "headroom": parsed.headroom}
        new_id = await asyncio.to_thread(self._db, compositions.record, "editor", inputs, answer)
        return json_response(await asyncio.to_thread(self._db, compositions.get, new_id), status=201)
