"""`/mad-nodes/config-sets`: the combiner's saved configuration sets — list, load (with which LoRA
files changed since the set was saved), delete. Sets are saved by the combiner node's `save_as`."""

import asyncio

from aiohttp import web

from ..modules.combiner.config_sets import ConfigSetStore, config_sets_dir
from .json_body import json_response
from .model_folders import ModelFolders


class ConfigSetRoutes:
    def __init__(self, folders: ModelFolders):
        self._store = ConfigSetStore(config_sets_dir(folders.user_dir())) if folders.user_dir else None

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/config-sets")(self.list_sets)
        routes.get("/mad-nodes/config-sets/{name}")(self.load_set)
        routes.delete("/mad-nodes/config-sets/{name}")(self.delete_set)

    def _require_store(self) -> ConfigSetStore:
        if self._store is None:
            raise web.HTTPServiceUnavailable(text='{"error": "no user directory configured"}',
                                             content_type="application/json")
        return self._store

    async def list_sets(self, request: web.Request) -> web.Response:
        return json_response({"sets": await asyncio.to_thread(self._require_store().list)})

    async def load_set(self, request: web.Request) -> web.Response:
        store = self._require_store()
        try:
            loaded = await asyncio.to_thread(store.load, request.match_info["name"])
        except ValueError as err:
            status = 404 if "does not exist" in str(err) else 400
            return json_response({"error": str(err)}, status=status)
        return json_response({**loaded.data, "stale": loaded.is_stale, "stale_loras": list(loaded.stale)})

    async def delete_set(self, request: web.Request) -> web.Response:
        store = self._require_store()
        try:
            deleted = await asyncio.to_thread(store.delete, request.match_info["name"])
        except ValueError as err:
            return json_response({"error": str(err)}, status=400)
        return json_response({"deleted": deleted}, status=200 if deleted else 404)
