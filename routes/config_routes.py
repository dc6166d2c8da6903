"""`GET /mad-nodes/config`: the block layouts and presets the editor renders, from `modules/ui_config.py`.

The configuration is fixed for the life of the process, so its JSON is encoded once.
"""

from aiohttp import web

from ..modules.ui_config import get_ui_config
from .json_body import dumps
from .model_folders import ModelFolders


class ConfigRoutes:
    def __init__(self, folders: ModelFolders):
        self._body = dumps(get_ui_config())

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/config")(self.config)

    async def config(self, request: web.Request) -> web.Response:
        return web.Response(text=self._body, content_type="application/json", headers={"Cache-Control": "no-cache"})
