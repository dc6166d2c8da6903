"""`GET /mad-nodes/library/entry/{id}/sidecar`: the texts of one library entry's metadata sidecar.

Answer `{id, name, sidecar, error, description, version_description, notes, model_name, base_model}`
(`sidecar`: the sidecar's file name or null; `error`: why it could not be read). 404 for an unknown
id. The file is found through the index (a path the library scanned under ComfyUI's `loras` folders),
and only a sidecar that stays in the LoRA's own folder is read (`sidecars.load_metadata_sidecar`).
The read runs in a worker thread. Texts are JSON data, never HTML the page would run.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from ..modules.inspection.sidecars import load_metadata_sidecar
from ..modules.library.sidecar_text import sidecar_texts
from .json_body import json_response
from .library_routes import LibraryRoutes

_ID = re.compile(r"^[0-9a-f]{32}$")


def _first_file(conn, content_id: str):
    return conn.execute("SELECT path, name FROM files WHERE id = ? ORDER BY name COLLATE NOCASE, path LIMIT 1",
                        (content_id,)).fetchone()


class LibrarySidecarRoutes:
    def __init__(self, library_routes: LibraryRoutes):
        self._routes = library_routes

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/library/entry/{id}/sidecar")(self.sidecar)

    def _read(self, content_id: str) -> dict | None:
        row = self._routes.library.read(_first_file, content_id)
        if row is None:
            return None
        sidecar = load_metadata_sidecar(row["path"])
        return {"id": content_id, "name": row["name"], "sidecar": sidecar.path.name if sidecar else None,
                "error": sidecar.error if sidecar else None, **sidecar_texts(sidecar.data if sidecar else None)}

    async def sidecar(self, request: web.Request) -> web.Response:
        content_id = request.match_info["id"]
        found = await asyncio.to_thread(self._read, content_id) if _ID.match(content_id) else None
        if found is None:
            return json_response({"error": f"no library entry with id {content_id!r}"}, status=404)
        return json_response(found)
