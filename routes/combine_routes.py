"""`POST /mad-nodes/combine`: the combiner's engine as an API (the editor's live combine view uses it).

Body and answer: `modules/combiner/request.py` and `modules/combiner/response.py`. The LoRAs go through
the same `combine_inputs` and `combine` as the LoRA Block-Weight Combiner node, so equal inputs give the
node's results, and equal requests the same bytes. Names resolve only through the routes' name guard:
refused on sight (`validate_name`), then matched against the names ComfyUI lists (exact name, path
without extension or stem, like the node), then `resolve_listed` (the file must lie in a model folder).

| case | status | body |
| --- | --- | --- |
| combined | 200 | the answer |
| malformed body, unknown key, bad number, unknown policy, > 32 LoRAs, bad block id | 400 | `{"error", "field"}` |
| a profile or `preset=<profile>` that does not fit the LoRA's layout | 400 | `{"error", "field"}` |
| unknown or ambiguous LoRA, unknown profile | 404 | `{"error", "field"}` |
| listed LoRA that cannot be read | 422 | `{"error", "field"}` |

The work (file reads, factor maths) runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import closing

from aiohttp import web

from ..modules.blocks.templates import TemplateError, UnknownProfile
from ..modules.combiner.analysis import LoraAnalyzer, shared_analyzer
from ..modules.combiner.engine import combine
from ..modules.combiner.inputs import UnreadableLora, combine_inputs
from ..modules.combiner.request import CombineRequest, CombineRequestError, parse_combine_request
from ..modules.combiner.response import combine_response
from ..modules.inspection.lora_names import LoraNameError, resolve_lora_name
from ..modules.library import default_db_path
from ..modules.library.profiles import get_profile_by_name
from ..modules.library.schema import connect
from .json_body import json_response
from .model_folders import ModelFolders
from .name_guard import InvalidName, resolve_listed, validate_name

MAX_BODY_BYTES = 1_000_000


class CombineProblem(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


def _refuse_constant(name: str):
    raise CombineRequestError("body", f"{name} is not a finite number (JSON has no NaN or Infinity)")


async def read_body(request: web.Request):
    """The request's JSON body; `CombineRequestError` when it is too large or not JSON."""
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise CombineRequestError("body", f"larger than {MAX_BODY_BYTES} bytes")
    text = await request.text()
    if len(text) > MAX_BODY_BYTES:
        raise CombineRequestError("body", f"larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as err:
        if isinstance(err, CombineRequestError):
            raise
        raise CombineRequestError("body", f"not JSON: {err}") from None


class CombineRoutes:
    def __init__(self, folders: ModelFolders, analyzer: LoraAnalyzer | None = None):
        self._folders = folders
        self._analyzer = analyzer or shared_analyzer()

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.post("/mad-nodes/combine")(self.combine)

    async def combine(self, request: web.Request) -> web.Response:
        try:
            parsed = parse_combine_request(await read_body(request))
            answer = await asyncio.to_thread(self.compute, parsed)
        except CombineRequestError as err:
            return json_response({"error": str(err), "field": err.field}, status=400)
        except CombineProblem as err:
            return json_response({"error": str(err), "field": err.field}, status=err.status)
        return json_response(answer)

    def compute(self, req: CombineRequest) -> dict:
        """The answer for a validated request (blocking: file reads and maths; raises `CombineProblem`)."""
        listing = self._folders.list_names("loras")
        inputs = []
        for n, item in enumerate(req.items):
            field = f"loras[{n}]"
            try:
                inputs += combine_inputs([item], lambda name, f=f"{field}.lora_name": self._resolve(name, listing, f),
                                         self._profile_named, [req.profiles[n]])
            except UnreadableLora as err:
                raise CombineProblem(422, str(err), field) from None
            except TemplateError as err:
                status = 404 if isinstance(err, UnknownProfile) and err.field == "profile" else 400
                raise CombineProblem(status, str(err), f"{field}.{err.field}") from None
        try:
            result = combine(inputs, req.policy, req.headroom, self._analyzer)
        except (ValueError, OSError) as err:
            raise CombineProblem(400, str(err)) from None
        return combine_response(result, inputs)

    def _resolve(self, name: str, listing: list[str], field: str) -> tuple[str, str]:
        try:
            validate_name(name.strip(), self._folders.separator)
        except InvalidName as err:
            raise CombineProblem(400, f"LoRA {name!r}: {err}", field) from None
        try:
            listed = resolve_lora_name(name, listing)
        except LoraNameError as err:
            raise CombineProblem(404, str(err), field) from None
        path = resolve_listed(self._folders, "loras", listed)
        if path is None:
            raise CombineProblem(404, f"LoRA {name!r} not found in ComfyUI's loras folders", field)
        return listed, str(path)

    def _profile_named(self, name: str) -> dict | None:
        """A saved profile by name, for `preset=<profile>` and a LoRA's `profile` (the node's resolution)."""
        if self._folders.user_dir is None:
            return None
        with closing(connect(default_db_path(self._folders.user_dir()))) as conn:
            return get_profile_by_name(conn, name)
