"""`GET /mad-nodes/lora-preview?lora_name=[&size=]` (seed 004): the first preview beside the LoRA, in the seed's order.

The LoRA name resolves only through ComfyUI's listing (`name_guard`), the preview is looked up beside
that file (`modules/sidecars.find_preview`), and a preview that is a symlink leading out of the model
folders is not served. 200 with the file and its content type; 400 for a name refused on sight; 404
otherwise (missing name, not listed, no preview), with a JSON body saying which.

`size` (16-512) asks for a small WebP thumbnail of an image preview instead (the library grid's cards; a
preview that already fits the size is served as it is):
made once per preview version and kept in a bounded memory cache (`modules/library/preview_thumbnail`),
with an ETag from the preview's size and mtime, so a revisited card costs a 304. A `size` that is not an
integer in range is a 400; a preview Pillow cannot read is a 422; a video preview is served whole.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from ..modules.inspection.sidecars import find_preview, preview_content_type
from ..modules.library.preview_thumbnail import CONTENT_TYPE as THUMB_TYPE
from ..modules.library.preview_thumbnail import MAX_BOX, MIN_BOX, ThumbnailCache, ThumbnailError
from .json_body import json_response
from .model_folders import ModelFolders
from .name_guard import InvalidName, resolve_listed, validate_name, within_model_folders

IO_WORKERS = 2
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")


class PreviewRoutes:
    def __init__(self, folders: ModelFolders, *, io_workers: int = IO_WORKERS):
        self._folders = folders
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="lwb-preview-io")
        self._thumbnails = ThumbnailCache()

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
        size = request.query.get("size")
        box = None
        if size is not None:
            try:
                box = int(size)
            except ValueError:
                box = None
            if box is None or not MIN_BOX <= box <= MAX_BOX:
                problem = f"size must be an integer from {MIN_BOX} to {MAX_BOX}, not {size!r}"
                return json_response({"error": problem}, status=400)
        found = await asyncio.get_running_loop().run_in_executor(self._io, self._find, name)
        if isinstance(found, str):
            return json_response({"error": found}, status=404)
        if box is not None and found.suffix.lower() in IMAGE_SUFFIXES:
            small = await self._thumbnail(request, name, found, box)
            if small is not None:
                return small
        return web.FileResponse(found, headers={
            "Content-Type": preview_content_type(found),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        })

    async def _thumbnail(self, request: web.Request, name: str, preview: Path, box: int) -> web.StreamResponse | None:
        """The small WebP (or 304, or 422), None when the preview already fits the box (served as it is)."""
        stat = await asyncio.get_running_loop().run_in_executor(self._io, preview.stat)
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}-{box}"'
        headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff"}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        try:
            data = await asyncio.get_running_loop().run_in_executor(self._io, self._thumbnails.get, preview, box)
        except ThumbnailError as err:
            return json_response({"error": f"preview of {name}: {err}"}, status=422)
        if data is None:
            return None
        return web.Response(body=data, content_type=THUMB_TYPE, headers=headers)

    def _find(self, name: str) -> Path | str:
        """The preview file, or why there is none; runs in the I/O pool."""
        lora = resolve_listed(self._folders, "loras", name)
        if lora is None:
            return "LoRA not found"
        preview = find_preview(lora)
        if preview is None or not within_model_folders(preview, self._folders.folder_roots("loras")):
            return "No preview for this LoRA"
        return preview
