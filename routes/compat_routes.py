"""`GET /mad-nodes/check-compatibility?ckpt_name=&lora_name=` (seed 004): checkpoint vs LoRA base family.

The checkpoint's architecture comes from its safetensors header alone; nothing is loaded. Unlike the
seed, `ckpt_name` is only ever a name ComfyUI lists under `checkpoints` (never a path), so the route
tells nothing about files elsewhere.

| case | status | body |
| --- | --- | --- |
| compared | 200 | `{"status": "ok", "ckpt_arch", "lora_arch", "compatible", "message"}` |
| `ckpt_name` missing or refused on sight | 400 | `{"status": "error", "message": "Checkpoint not found", "detail"}` |
| checkpoint not listed / leading outside | 404 | `{"status": "error", "message": "Checkpoint not found"}` |

A LoRA that is missing, refused, not listed or unreadable gives `lora_arch: "UNKNOWN"`,
`compatible: false` and a message saying which; an unreadable checkpoint gives `ckpt_arch: "UNKNOWN"`.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from ..modules.arch.compatibility import compare
from ..modules.arch.ids import UNKNOWN
from ..modules.inspection.lora_facts import describe_lora
from ..modules.inspection.service import checkpoint_architecture, problem_text
from .json_body import json_response
from .model_folders import ModelFolders
from .name_guard import InvalidName, resolve_listed, validate_name

log = logging.getLogger(__name__)

CKPT_NOT_FOUND = {"status": "error", "message": "Checkpoint not found"}
IO_WORKERS = 2


class CompatRoutes:
    def __init__(self, folders: ModelFolders, *, io_workers: int = IO_WORKERS):
        self._folders = folders
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="lwb-compat-io")

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/check-compatibility")(self.check_compatibility)

    def close(self) -> None:
        self._io.shutdown(wait=False, cancel_futures=True)

    async def check_compatibility(self, request: web.Request) -> web.Response:
        ckpt_name = request.query.get("ckpt_name", "")
        lora_name = request.query.get("lora_name", "")
        try:
            validate_name(ckpt_name, self._folders.separator)
        except InvalidName as err:
            return json_response({**CKPT_NOT_FOUND, "detail": str(err)}, status=400)
        body = await asyncio.get_running_loop().run_in_executor(self._io, self._compare, ckpt_name, lora_name)
        return json_response(CKPT_NOT_FOUND, status=404) if body is None else json_response(body)

    def _compare(self, ckpt_name: str, lora_name: str) -> dict | None:
        """The response body, or None when the checkpoint is not found; runs in the I/O pool."""
        ckpt_path = resolve_listed(self._folders, "checkpoints", ckpt_name)
        if ckpt_path is None:
            return None
        ckpt_arch, ckpt_problem = UNKNOWN, None
        try:
            ckpt_arch = checkpoint_architecture(ckpt_path)
        except (OSError, ValueError) as err:
            ckpt_problem = problem_text(err, ckpt_path, ckpt_name)
            log.info("check-compatibility: checkpoint %s", ckpt_problem)
        lora_arch, lora_missing = self._lora_arch(lora_name)
        compatible, message = compare(ckpt_arch, lora_arch, lora_missing)
        if ckpt_problem:
            message = f"{message} ({ckpt_problem})"
        return {"status": "ok", "ckpt_arch": ckpt_arch, "lora_arch": lora_arch, "compatible": compatible,
                "message": message}

    def _lora_arch(self, lora_name: str) -> tuple[str, str | None]:
        """(LoRA architecture, why there is none)."""
        if not lora_name:
            return UNKNOWN, "No LoRA given to compare with the checkpoint."
        try:
            validate_name(lora_name, self._folders.separator)
        except InvalidName as err:
            return UNKNOWN, f"LoRA not found ({err})."
        path = resolve_listed(self._folders, "loras", lora_name)
        if path is None:
            return UNKNOWN, "LoRA not found."
        try:
            return describe_lora(path).arch.arch, None
        except (OSError, ValueError) as err:
            return UNKNOWN, f"Cannot read the LoRA: {problem_text(err, path, lora_name)}."
