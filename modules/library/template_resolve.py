"""A preset or profile resolved for one LoRA: an indexed one (the resolve route: architecture and blocks
as the index stored them, no file opened) or a file (the nodes: the blocks of its header's keys).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3

from ..blocks.layouts import layout_for
from ..blocks.presets import PRESET_STRATEGIES, vectors_for_preset
from ..blocks.templates import FindProfile, TemplateError, is_template, lay_profile, resolve_item, template_vector
from ..blocks.weights import blocks_of_modules
from ..inspection.header import read_header
from .profiles import get_profile_by_name, layout_blocks
from .walk import library_name


class NotFound(LookupError):
    pass


def find_profile(conn: sqlite3.Connection):
    """`find_profile(name)` for `blocks.templates.resolve_item`, over this connection."""
    return lambda name: get_profile_by_name(conn, name)


def templates(conn: sqlite3.Connection) -> dict:
    """Everything usable as `preset=`: the built-in presets and every saved profile."""
    rows = conn.execute("SELECT pid, name, layout, weights FROM profiles ORDER BY name COLLATE NOCASE").fetchall()
    return {"builtin": list(PRESET_STRATEGIES),
            "profiles": [{"id": r["pid"], "name": r["name"], "layout": r["layout"],
                          "length": len(json.loads(r["weights"])), "lengths": sorted(layout_blocks(r["layout"]))}
                         for r in rows]}


def resolve(conn: sqlite3.Connection, preset: str, *, lora: str | None = None, content_id: str | None = None,
            separator: str = os.sep) -> dict:
    """{preset, kind, lora, arch, layout, vectors} of `preset` for the LoRA named `lora` (ComfyUI's name, on a
    file system with `separator`) or with `content_id`; NotFound for an unknown LoRA or preset, TemplateError
    when the profile does not fit."""
    if lora is not None:
        lora = library_name(lora, separator)
        row = conn.execute("SELECT name, arch, blocks FROM files WHERE name = ? ORDER BY path LIMIT 1",
                           (lora,)).fetchone()
    else:
        row = conn.execute("SELECT name, arch, blocks FROM files WHERE id = ? ORDER BY name LIMIT 1",
                           (content_id,)).fetchone()
    if row is None:
        raise NotFound(f"lora: {lora or content_id!r} is not in the library index")
    name, arch, blocks = row["name"], row["arch"], json.loads(row["blocks"])
    layout = layout_for(arch)
    out = {"preset": preset, "lora": name, "arch": arch, "layout": layout.name if layout else None}
    if not is_template(preset):
        if preset not in PRESET_STRATEGIES:
            return {**out, "kind": "none", "vectors": {}}
        try:
            return {**out, "kind": "builtin", "vectors": vectors_for_preset(arch, preset, blocks)}
        except ValueError as err:
            raise TemplateError(f"LoRA {name!r}: {err}") from None
    profile = get_profile_by_name(conn, preset)
    if profile is None:
        raise NotFound(f"preset: {preset!r} is neither a built-in preset ({', '.join(PRESET_STRATEGIES)}) "
                       "nor a saved profile")
    return {**out, "kind": "profile", "vectors": template_vector(profile, arch, blocks, name)}


def file_blocks(path: str, arch: str) -> list[str]:
    """The block ids of the LoRA file at `path` (from its header's keys; OSError/ValueError when unreadable)."""
    return sorted(set(blocks_of_modules(arch, read_header(path).tensors).values()))


def resolve_item_for_file(item, arch: str, path: str, find_profile: FindProfile, profile: str | None = None):
    """`item` with its template preset and the saved profile `profile` resolved for the LoRA file at `path`.

    `profile` is the combiner's per-LoRA profile: it lies under the item's explicit values and over its
    preset's. Both go through `blocks.templates.lay_profile` (same fit rules, same errors naming profile,
    LoRA and layouts). The file's header is read only when a profile is named.
    """
    if not is_template(item.preset) and not profile:
        return item
    blocks = file_blocks(path, arch)
    resolved = resolve_item(item, arch, blocks, find_profile)
    if not profile:
        return resolved
    laid = lay_profile(item, profile, arch, blocks, find_profile,
                       f"LoRA {item.lora_name!r}: profile {profile!r} is not a saved profile", "profile")
    return dataclasses.replace(resolved, vectors={**resolved.vectors, **laid.vectors})
