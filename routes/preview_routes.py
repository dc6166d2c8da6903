"""`GET /mad-nodes/lora-preview?lora_name=` (seed 004): the first preview beside the LoRA, in the seed's order.

The LoRA name resolves only through ComfyUI's listing (`name_guard`), the preview is looked up beside
that file (`modules/sidecars.find_preview`), and a preview that is a symlink leading out of the model
folders is not served. 200 with the file and its content type; 400 for a name refused on sight; 404
otherwise (missing name, not listed, no preview), with a JSON body saying which.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from ..modules.inspection.sidecars import find_preview, preview_content_type
from .json_body import json_response
from .model_folders import ModelFolders
from .name_guard import InvalidName, resolve_listed, validate_name, within_model_folders

IO_WORKERS = 2


class PreviewRoutes:
    def __init__(self, folders: ModelFolders, *, io_workers: int = IO_WORKERS):
        self._folders = folders
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="lwb-preview-io")

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/lora-preview")(self.lora_preview)

    def close(self) -> None:
        self._io.shutdown(wait=False, cancel_futures=True)

    async def lora_preview(self, request: web.Request) -> web.StreamResponse:
        name = request.query.get("lora_name", "")
        if not name:
            return json_response({"error": "lora_name is missing"}, status=404)
        try:
            validate_name(name, self._folders.separator)
        except InvalidName as err:
            return json_response({"error": f"Invalid LoRA name: {err}"}, status=400)
        found = await asyncio.get_running_loop().run_in_executor(self._io, self._find, name)
        if isinstance(found, str):
            return json_response({"error": found}, status=404)
        return web.FileResponse(found, headers={
            "Content-Type": preview_content_type(found),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        })

    def _find(self, name: str) -> Path | str:
        """The preview file, or why there is none; runs in the I/O pool."""
        lora = resolve_listed(self._folders, "loras", name)
        if lora is None:
            return "LoRA not found"
        preview = find_preview(lora)
        if preview is None or not within_model_folders(preview, self._folders.folder_roots("loras")):
            return "No preview for this LoRA"
        return preview
