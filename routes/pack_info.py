"""`GET /mad-nodes/pack-info`: which pack and version answers, and how many LoRAs ComfyUI lists.

The editor calls it first to check that the backend it talks to matches its own version."""

import asyncio

from aiohttp import web

from ..modules.version import PACK_NAME, PACK_VERSION
from .model_folders import ModelFolders


class PackInfoRoutes:
    def __init__(self, folders: ModelFolders):
        self._folders = folders

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/pack-info")(self.pack_info)

    async def pack_info(self, request: web.Request) -> web.Response:
        return web.json_response({
            "name": PACK_NAME,
            "version": PACK_VERSION,
            # Listing walks the loras folders (cached by ComfyUI, but the first walk is disk I/O).
            "lora_count": len(await asyncio.to_thread(self._folders.list_names, "loras")),
        })
