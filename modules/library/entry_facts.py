"""One library row from one LoRA file: content id, architecture, layout, blocks, adapter, sidecar facts.

Reads the header (bounded, like `inspection.header.read_header`), a few sampled windows for the id
(`ids.py`) and, only when the header metadata has no `ss_network_alpha`, one alpha scalar. Never the
tensor data: block energy is computed separately (`energy.py`), on demand.
"""

from __future__ import annotations

import json
import os
import struct
import time

from ..arch import detect as arch_mod
from ..arch.ids import SDXL_LINEAGES, UNKNOWN, base_family
from ..blocks.layouts import TEXT_ENCODERS, layout_for, split_block_id
from ..inspection.header import DEFAULT_MAX_HEADER_BYTES, SafetensorsHeaderError, read_header
from ..inspection.sidecars import load_metadata_sidecar, trigger_words
from .ids import content_id, raw_content_id
from .roles import ROLE_TABLE_VERSION, role_of_name
from .structure import Structure, StructureCache

# category: what the LoRA's blocks are, for the block editor.
CATEGORY_UNET = "unet"  # SD1.x / SD2 / SDXL UNet blocks
CATEGORY_TRANSFORMER = "transformer"  # DiT stacks (FLUX, SD3, Wan, ...)
CATEGORY_TEXT_ENCODER = "text_encoder"  # only text-encoder weights
CATEGORY_FALLBACK = "fallback"  # architecture unknown or without a block layout: no block weights
CATEGORY_UNREADABLE = "unreadable"  # not a readable safetensors file (see `error`)

_SCALAR = {"F16": "<e", "F32": "<f", "F64": "<d"}


def detect(structure: Structure, metadata: dict, sidecar: dict | None) -> arch_mod.ArchitectureVerdict:
    """`detect_architecture` with the key analysis taken from the cached structure.

    Same rules and result as `detect_architecture(header, sidecar=...)` (a unit test checks it); the
    key analysis is what the cache saves.
    """
    return arch_mod.detect_architecture(None, metadata or {}, sidecar, keys=structure.keys)


def category_of(arch: str, blocks: tuple[str, ...]) -> str:
    layout = layout_for(arch)
    if layout is None:
        return CATEGORY_FALLBACK
    if blocks and all(split_block_id(b)[0] in TEXT_ENCODERS for b in blocks):
        return CATEGORY_TEXT_ENCODER
    return CATEGORY_UNET if layout.kind in ("sd15", "sdxl") else CATEGORY_TRANSFORMER


def _number(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def _alpha(f, data_start: int, structure: Structure, metadata: dict) -> float | None:
    from_meta = _number(metadata.get("ss_network_alpha"))
    if from_meta is not None:
        return from_meta
    if structure.alpha_tensor is None:
        return None
    dtype, offset = structure.alpha_tensor
    f.seek(data_start + offset)
    if dtype == "BF16":
        return _number(struct.unpack("<f", b"\0\0" + f.read(2))[0])
    fmt = _SCALAR.get(dtype)
    return _number(struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]) if fmt else None


def _strings(value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _dig(data, *path):
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def sidecar_facts(data: dict | None, metadata: dict) -> dict:
    """model_name, base_model (as written), tags: from the sidecar, then header `modelspec.*`."""
    data = data if isinstance(data, dict) else {}
    tags = _strings(data.get("tags")) + _strings(_dig(data, "civitai", "model", "tags")) + _strings(
        metadata.get("modelspec.tags"))
    model_name = next((v for v in (data.get("model_name"), _dig(data, "civitai", "model", "name"),
                                   metadata.get("modelspec.title")) if isinstance(v, str) and v.strip()), "")
    base_model = next((v for v in (data.get("base_model"), data.get("baseModel"), _dig(data, "civitai", "baseModel"))
                       if isinstance(v, str) and v.strip()), "")
    return {"model_name": model_name.strip(), "base_model": base_model.strip(),
            "tags": sorted(set(tags), key=lambda t: (t.casefold(), t))}


def _empty_facts() -> dict:
    return {
        "arch": UNKNOWN, "family": UNKNOWN, "lineage": None, "arch_source": arch_mod.SOURCE_NONE,
        "arch_conflicts": "[]", "category": CATEGORY_UNREADABLE, "layout": None, "blocks": "[]", "rank": None,
        "alpha": None, "adapter": "unknown", "has_clip": 0, "clip_encoders": "[]", "tensor_count": 0,
    }


def read_facts(path: str, name: str, cache: StructureCache) -> dict:
    """Everything the `files` table stores about the file at `path` (ComfyUI name `name`), except the
    scan bookkeeping (root, size/mtime, sidecar fingerprint, seen_scan, preview). OSError propagates."""
    row = _empty_facts()
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        prefix = f.read(8)
        n = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
        raw = f.read(n) if 2 <= n <= min(DEFAULT_MAX_HEADER_BYTES, size - 8) else b""
        try:
            if len(raw) != n or n < 2:
                read_header(path)  # raises the canonical error for this file
                raise SafetensorsHeaderError(path, "header could not be read")
            structure, metadata = cache.parse(raw, size, path)
        except SafetensorsHeaderError as err:
            row.update(id=raw_content_id(f, size), error=err.problem)
            structure = None
        if structure is not None:
            row["id"] = content_id(f, size, prefix + raw)
            row["alpha"] = _alpha(f, 8 + n, structure, metadata)
            row["error"] = None
    sidecar = load_metadata_sidecar(path)
    data = sidecar.data if sidecar else None
    row.update(sidecar_facts(data, metadata if structure else {}))
    row.update(
        trigger_words=json.dumps(trigger_words(data)), tags=json.dumps(row["tags"]),
        sidecar=sidecar.path.name if sidecar else None, sidecar_error=sidecar.error if sidecar else None,
        role=role_of_name(name), role_version=ROLE_TABLE_VERSION, indexed_at=time.time(),
    )
    if structure is None:
        return row
    verdict = detect(structure, metadata, data)
    per_arch = structure.per_arch.get(verdict.arch)
    if per_arch is None:  # once per table and architecture: the same for every file with that table
        per_arch = structure.per_arch[verdict.arch] = _block_columns(structure, verdict.arch)
    row.update(
        per_arch, arch=verdict.arch, family=base_family(verdict.arch),
        lineage=verdict.arch if verdict.arch in SDXL_LINEAGES else None, arch_source=verdict.source,
        arch_conflicts=json.dumps(list(verdict.conflicts)),
    )
    return row


def _block_columns(structure: Structure, arch: str) -> dict:
    blocks = structure.blocks(arch)
    encoders = sorted({split_block_id(b)[0] for b in blocks} & set(TEXT_ENCODERS))
    layout = layout_for(arch)
    return {"category": category_of(arch, blocks), "layout": layout.name if layout else None,
            "blocks": json.dumps(list(blocks)), "rank": structure.rank, "adapter": structure.adapter,
            "has_clip": int(bool(encoders)), "clip_encoders": json.dumps(encoders),
            "tensor_count": structure.tensor_count}
