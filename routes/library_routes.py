"""Library and block-weight profile routes (seed 000), all under `/mad-nodes/`.

| route | answer |
| --- | --- |
| `GET library/search?...` (below) | `{total, page, page_size, items, scan}`; 400 `{error}` naming each bad parameter |
| `GET library/entry/{id}` | every stored fact, `names` of all copies, `energy_status`; 404 |
| `GET library/entry/{id}/energy[?force=1]` | `{status, stats, error, arch}` (computed on first request); 404 |
| `GET library/entry/{id}/energy.csv` | block energy as CSV; 404, 409 when it could not be measured |
| `POST library/rescan` | 202 `{started, status}` (a running scan is not restarted) |
| `GET library/status` | scan state, last report, facet counts, `energy` (below) |
| `GET library/energy/status` | background energy: `{phase, done, failed, total, current?, running, paused, stored}` |
| `POST library/energy/pause`, `resume`, `retry-failed` | pause (kept across restarts), resume, measure failed again |
| `GET library/duplicates` | `{groups: [{id, names}]}` |
| `GET library/roles` | the folder -> role table and its version |
| `GET library/facets?...` | `{total, facets}`: per facet, counts with every other filter applied |
| `GET/PATCH library/entry/{id}/user` | tags, favourite, note of a content id (PATCH: only the fields sent) |
| `POST library/user/bulk` | `{ids, favourite?, tags?, add_tags?, remove_tags?, note?}` on many ids at once |
| `GET library/tags[?q=prefix]` | user tags with the number of files carrying each |
| `GET profiles[?layout]`, `POST profiles` | list; create (201, 400 `{error, problems}`, 409 name taken) |
| `GET/PUT/DELETE profiles/{pid}` | one profile; replace; delete (404 when missing) |
| `GET profiles/{pid}/csv`, `POST profiles/import-csv` | CSV export; import a CSV as a new profile |
| `GET profiles/layouts` | layouts and the profile lengths each accepts |
| `PATCH profiles/{pid}` | change some fields (rename: `{name}`), validated like a create |
| `GET profiles/templates` | `{builtin, profiles}`: every name usable as `preset=` |
| `GET profiles/resolve?preset=&lora=` (or `&id=`) | the preset's block values for that LoRA; 400 when it does not fit |

Search parameters (`modules/library/query.py`): `q` (words, prefix match, also over user tags and notes),
filters `family arch layout role format category folder tag` (comma = or; `tag_mode=all`), `rank_min`,
`rank_max`, `clip preview error favourite energy used` (true/false), `sort` (sort_orders.SORT_NAMES), `order`
asc|desc, `page` or `offset`, `page_size`, `facets=true` (adds the facet counts).

Every database call runs in a worker thread (`asyncio.to_thread`); the event loop only routes. The
first search or status request of a process starts the first scan (lazy start, nothing at import).
All texts are JSON data; nothing is HTML.
"""

from __future__ import annotations

import asyncio
import json
import re

from aiohttp import web

from ..modules.blocks.templates import TemplateError
from ..modules.library import Library, default_db_path, energy, profiles, store, template_resolve, user_data
from ..modules.library.energy_backlog import WaitIdle
from ..modules.library.roles import role_table
from .json_body import json_response
from .model_folders import ModelFolders

_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_BODY_BYTES = 1_000_000


def _error(status: int, message: str, **extra) -> web.Response:
    return json_response({"error": message, **extra}, status=status)


def _content_id(request: web.Request) -> str | None:
    value = request.match_info["id"]
    return value if _ID.match(value) else None


def _pid(request: web.Request) -> int | None:
    value = request.match_info["pid"]
    return int(value) if value.isdigit() and len(value) < 12 else None


async def _json_body(request: web.Request):
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise ValueError(f"request body larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(await request.text())
    except ValueError as err:
        raise ValueError(f"request body is not JSON: {err}") from None


class LibraryRoutes:
    def __init__(self, folders: ModelFolders, library: Library | None = None, *,
                 wait_interactive_idle: WaitIdle | None = None):
        if library is None and folders.user_dir is not None:
            library = Library(default_db_path(folders.user_dir()), lambda: folders.folder_roots("loras"),
                              folders.notify, wait_interactive_idle=wait_interactive_idle)
        self._library = library  # None: no user directory was given, every library route answers 503
        self._folders = folders

    @property
    def library_or_none(self) -> Library | None:
        """The library, or None when no user directory was given (other route groups use it optionally)."""
        return self._library

    @property
    def library(self) -> Library:
        if self._library is None:
            raise web.HTTPServiceUnavailable(
                text=json.dumps({"error": "the LoRA library is unavailable: no user directory configured"}),
                content_type="application/json")
        return self._library

    def add_routes(self, routes: web.RouteTableDef) -> None:
        p = "/mad-nodes/library"
        routes.get(f"{p}/search")(self.search)
        routes.get(f"{p}/entry/{{id}}")(self.entry)
        routes.get(f"{p}/entry/{{id}}/energy")(self.entry_energy)
        routes.get(f"{p}/entry/{{id}}/energy.csv")(self.entry_energy_csv)
        routes.post(f"{p}/rescan")(self.rescan)
        routes.get(f"{p}/energy/status")(self.energy_status)
        routes.post(f"{p}/energy/pause")(self.energy_pause)
        routes.post(f"{p}/energy/resume")(self.energy_resume)
        routes.post(f"{p}/energy/retry-failed")(self.energy_retry_failed)
        routes.get(f"{p}/status")(self.status)
        routes.get(f"{p}/duplicates")(self.duplicates)
        routes.get(f"{p}/roles")(self.roles)
        routes.get(f"{p}/facets")(self.facets)
        routes.get(f"{p}/entry/{{id}}/user")(self.get_user)
        routes.patch(f"{p}/entry/{{id}}/user")(self.patch_user)
        routes.post(f"{p}/user/bulk")(self.bulk_user)
        routes.get(f"{p}/tags")(self.tags)
        routes.get("/mad-nodes/profiles")(self.list_profiles)
        routes.post("/mad-nodes/profiles")(self.create_profile)
        routes.get("/mad-nodes/profiles/layouts")(self.profile_layouts)
        routes.get("/mad-nodes/profiles/templates")(self.profile_templates)
        routes.get("/mad-nodes/profiles/resolve")(self.resolve_template)
        routes.post("/mad-nodes/profiles/import-csv")(self.import_profile_csv)
        routes.get("/mad-nodes/profiles/{pid}")(self.get_profile)
        routes.put("/mad-nodes/profiles/{pid}")(self.update_profile)
        routes.patch("/mad-nodes/profiles/{pid}")(self.patch_profile)
        routes.delete("/mad-nodes/profiles/{pid}")(self.delete_profile)
        routes.get("/mad-nodes/profiles/{pid}/csv")(self.profile_csv)

    def close(self) -> None:
        if self._library is not None:
            self._library.stop(timeout=5)

    def _refresh(self) -> None:
        """Bring the index up to date with what ComfyUI lists (blocking: run in a worker thread)."""
        self.library.refresh_if_listing_changed(self._folders.list_names("loras"))

    async def _read(self, fn, *args):
        return await asyncio.to_thread(self.library.read, fn, *args)

    # -- library ----------------------------------------------------------------------------------
    async def search(self, request: web.Request) -> web.Response:
        try:
            query = store.parse_query(dict(request.query))
        except ValueError as err:
            return _error(400, str(err))
        await asyncio.to_thread(self._refresh)
        result = await asyncio.to_thread(self.library.search, query)
        result["scan"] = self.library.status()
        return json_response(result)

    async def entry(self, request: web.Request) -> web.Response:
        cid = _content_id(request)
        found = await self._read(store.entry, cid) if cid else None
        return json_response(found) if found else _error(404, f"no library entry with id {request.match_info['id']!r}")

    async def _energy(self, request: web.Request) -> tuple[dict | None, web.Response | None]:
        cid = _content_id(request)
        force = request.query.get("force", "").lower() in ("1", "true", "yes")
        found = await asyncio.to_thread(self.library.energy, cid, force) if cid else None
        if found is None:
            return None, _error(404, f"no readable library entry with id {request.match_info['id']!r}")
        return found, None

    async def entry_energy(self, request: web.Request) -> web.Response:
        found, problem = await self._energy(request)
        return problem or json_response(found)

    async def entry_energy_csv(self, request: web.Request) -> web.Response:
        found, problem = await self._energy(request)
        if problem:
            return problem
        if found["status"] != energy.DONE:
            return _error(409, f"block energy could not be measured: {found['error']}")
        return web.Response(text=energy.energy_csv(found["stats"]), content_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="block_energy_{request.match_info["id"]}.csv"'})

    async def rescan(self, request: web.Request) -> web.Response:
        started = await asyncio.to_thread(self.library.start_scan)
        return json_response({"started": started, "status": self.library.status()}, status=202)

    async def status(self, request: web.Request) -> web.Response:
        await asyncio.to_thread(self.library.ensure_scanned)
        facets = await asyncio.to_thread(self.library.index_counts)
        energy_status = await asyncio.to_thread(self.library.energy_backlog.status)
        return json_response({**self.library.status(), "index": facets, "energy": energy_status})

    # -- background block energy --------------------------------------------------------------------
    async def energy_status(self, request: web.Request) -> web.Response:
        return json_response(await asyncio.to_thread(self.library.energy_backlog.status))

    async def energy_pause(self, request: web.Request) -> web.Response:
        return json_response(await asyncio.to_thread(self.library.energy_backlog.pause))

    async def energy_resume(self, request: web.Request) -> web.Response:
        return json_response(await asyncio.to_thread(self.library.energy_backlog.resume))

    async def energy_retry_failed(self, request: web.Request) -> web.Response:
        count = await asyncio.to_thread(self.library.energy_backlog.retry_failed)
        return json_response({"retrying": count, **await asyncio.to_thread(self.library.energy_backlog.status)})

    async def duplicates(self, request: web.Request) -> web.Response:
        return json_response({"groups": await self._read(store.duplicates)})

    async def roles(self, request: web.Request) -> web.Response:
        return json_response(role_table())

    async def facets(self, request: web.Request) -> web.Response:
        try:
            query = store.parse_query(dict(request.query))
        except ValueError as err:
            return _error(400, str(err))
        await asyncio.to_thread(self._refresh)
        return json_response(await asyncio.to_thread(self.library.facet_counts, query))

    # -- user data --------------------------------------------------------------------------------
    async def get_user(self, request: web.Request) -> web.Response:
        cid = _content_id(request)

        def read(conn):
            return user_data.get_user(conn, cid) if user_data.known_ids(conn, [cid]) else None

        found = await self._read(read) if cid else None
        if not found:
            return _error(404, f"id: no library entry with id {request.match_info['id']!r}")
        return json_response(found)

    async def _write_user(self, ids: list, body) -> web.Response:
        try:
            changes = user_data.validate_changes(body)
            count = await self._read(user_data.update, ids, changes)
        except user_data.UserDataError as err:
            return _error(400, str(err), problems=err.problems)
        except user_data.UnknownIds as err:
            return _error(404, str(err), unknown_ids=err.ids[:100])
        return json_response({"updated": count})

    async def patch_user(self, request: web.Request) -> web.Response:
        cid = _content_id(request)
        if cid is None:
            return _error(404, f"id: no library entry with id {request.match_info['id']!r}")
        try:
            body = await _json_body(request)
        except ValueError as err:
            return _error(400, str(err), problems=[str(err)])
        answer = await self._write_user([cid], body)
        if answer.status != 200:
            return answer
        return json_response(await self._read(user_data.get_user, cid))

    async def bulk_user(self, request: web.Request) -> web.Response:
        try:
            body = await _json_body(request)
        except ValueError as err:
            return _error(400, str(err), problems=[str(err)])
        if not isinstance(body, dict):
            return _error(400, "body: expected an object with ids and the fields to change")
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            return _error(400, "ids: expected a non-empty list of content ids")
        if len(ids) > user_data.MAX_BULK_IDS:
            return _error(400, f"ids: {len(ids)} ids, at most {user_data.MAX_BULK_IDS} per request")
        answer = await self._write_user(ids, {k: v for k, v in body.items() if k != "ids"})
        return answer

    async def tags(self, request: web.Request) -> web.Response:
        prefix = request.query.get("q", "")
        if len(prefix) > user_data.MAX_TAG_CHARS:
            return _error(400, f"q: at most {user_data.MAX_TAG_CHARS} characters")
        try:
            limit = int(request.query.get("limit", "500"))
            if not 1 <= limit <= 5000:
                raise ValueError
        except ValueError:
            return _error(400, f"limit={request.query.get('limit')!r}: expected a whole number 1..5000")
        return json_response({"tags": await self._read(user_data.list_tags, prefix, limit)})

    # -- profiles ---------------------------------------------------------------------------------
    async def list_profiles(self, request: web.Request) -> web.Response:
        layout = request.query.get("layout") or None
        return json_response({"profiles": await self._read(profiles.list_profiles, layout)})

    async def profile_layouts(self, request: web.Request) -> web.Response:
        return json_response(profiles.layouts_summary())

    async def profile_templates(self, request: web.Request) -> web.Response:
        return json_response(await self._read(template_resolve.templates))

    async def resolve_template(self, request: web.Request) -> web.Response:
        preset = request.query.get("preset", "").strip()
        lora, cid = request.query.get("lora"), request.query.get("id")
        problems = [] if preset else ["preset: required"]
        if (lora is None) == (cid is None):
            problems.append("lora or id: give exactly one of them")
        if problems:
            return _error(400, "; ".join(problems), problems=problems)
        try:
            found = await self._read(lambda conn: template_resolve.resolve(
                conn, preset, lora=lora, content_id=cid, separator=self._folders.separator))
        except template_resolve.NotFound as err:
            return _error(404, str(err))
        except TemplateError as err:
            return _error(400, str(err), problems=[str(err)])
        return json_response(found)

    async def _save(self, fn, *args) -> web.Response:
        try:
            saved = await self._read(fn, *args)
        except profiles.ProfileNameTaken as err:
            return _error(409, str(err), problems=err.problems)
        except profiles.ProfileError as err:
            return _error(400, str(err), problems=err.problems)
        if saved is None:
            return _error(404, f"no profile with id {request_pid_text(args)}")
        return json_response(saved, status=201 if fn is profiles.create_profile else 200)

    async def _save_profile_body(self, request: web.Request, fn) -> web.Response:
        """PUT/PATCH of one profile: the id from the path, the JSON body, then `fn(pid, data)`."""
        pid = _pid(request)
        if pid is None:
            return _error(404, f"no profile with id {request.match_info['pid']!r}")
        try:
            data = await _json_body(request)
        except ValueError as err:
            return _error(400, str(err), problems=[str(err)])
        return await self._save(fn, pid, data)

    async def patch_profile(self, request: web.Request) -> web.Response:
        return await self._save_profile_body(request, profiles.patch_profile)

    async def create_profile(self, request: web.Request) -> web.Response:
        try:
            data = await _json_body(request)
        except ValueError as err:
            return _error(400, str(err), problems=[str(err)])
        return await self._save(profiles.create_profile, data)

    async def import_profile_csv(self, request: web.Request) -> web.Response:
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return _error(400, f"request body larger than {MAX_BODY_BYTES} bytes")
        try:
            data = profiles.parse_profile_csv(await request.text())
        except profiles.ProfileError as err:
            return _error(400, str(err), problems=err.problems)
        if request.query.get("name"):
            data["name"] = request.query["name"]
        return await self._save(profiles.create_profile, data)

    async def get_profile(self, request: web.Request) -> web.Response:
        pid = _pid(request)
        found = await self._read(profiles.get_profile, pid) if pid is not None else None
        return json_response(found) if found else _error(404, f"no profile with id {request.match_info['pid']!r}")

    async def update_profile(self, request: web.Request) -> web.Response:
        return await self._save_profile_body(request, profiles.update_profile)

    async def delete_profile(self, request: web.Request) -> web.Response:
        pid = _pid(request)
        deleted = await self._read(profiles.delete_profile, pid) if pid is not None else False
        return json_response({"deleted": True}) if deleted else _error(
            404, f"no profile with id {request.match_info['pid']!r}")

    async def profile_csv(self, request: web.Request) -> web.Response:
        pid = _pid(request)
        found = await self._read(profiles.get_profile, pid) if pid is not None else None
        if not found:
            return _error(404, f"no profile with id {request.match_info['pid']!r}")
        return web.Response(text=profiles.profile_csv(found), content_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="profile_{found["id"]}.csv"'})


def request_pid_text(args: tuple) -> str:
    return repr(args[0]) if args else "?"
