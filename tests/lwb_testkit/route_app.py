"""A bare aiohttp app carrying some of the pack's route groups, over model folders in a temporary tree.

    lib = make_route_library(tmp_path)            # loras/, checkpoints/, outside/ (not a model folder)
    app = routes_app(InspectRoutes(lib.folders))  # the groups' pools are closed with the app
    client = await aiohttp_client(app)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from lora_weights_builder.routes.model_folders import ModelFolders

from .tmp_model_folders import tmp_model_folders


@dataclass(frozen=True)
class RouteLibrary:
    loras: Path  # the loras root as ComfyUI is configured with it (a symlink when `linked_root`)
    checkpoints: Path
    outside: Path  # a folder beside the model folders that no route may read
    folders: ModelFolders


def make_route_library(tmp_path: Path, *, linked_root: bool = False) -> RouteLibrary:
    """Empty model folders under `tmp_path`; with `linked_root` the loras root links to a folder elsewhere."""
    models = tmp_path / "models"
    checkpoints = models / "checkpoints"
    outside = tmp_path / "outside"
    for folder in (checkpoints, outside):
        folder.mkdir(parents=True)
    loras = models / "loras"
    if linked_root:
        real = tmp_path / "other_drive" / "lora_library"
        real.mkdir(parents=True)
        loras.symlink_to(real, target_is_directory=True)
    else:
        loras.mkdir()
    folders = tmp_model_folders({"loras": [loras], "checkpoints": [checkpoints]})
    return RouteLibrary(loras, checkpoints, outside, folders)


def routes_app(*groups) -> web.Application:
    routes = web.RouteTableDef()
    for group in groups:
        group.add_routes(routes)
    app = web.Application()
    app.add_routes(routes)

    async def close(_app: web.Application) -> None:
        for group in groups:
            if hasattr(group, "close"):
                group.close()

    app.on_cleanup.append(close)
    return app
