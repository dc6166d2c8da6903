"""Every route of the pack, added to an aiohttp RouteTableDef (PromptServer's or a test app's)."""

from aiohttp import web

from .model_folders import ModelFolders
from .pack_info import PackInfoRoutes


def add_routes(routes: web.RouteTableDef, folders: ModelFolders) -> None:
    PackInfoRoutes(folders).add_routes(routes)
