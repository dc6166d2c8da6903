"""What `GET /mad-nodes/inspect-lora` computes, as plain blocking functions (the route runs them off the loop).

The pool that runs stats jobs is route machinery and lives in `routes/stats_jobs.py`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..arch.detect import detect_checkpoint_architecture
from ..arch.ids import SDXL
from ..arch.lineage import classify_sdxl_lineage
from ..blocks.layouts.layouts import layout_for
from .cache import shared_cache
from .header import SafetensorsHeaderError, read_header
from .sidecars import metadata_candidates

CHECKPOINT_KIND = "checkpoint-arch"


def has_block_layout(arch: str) -> bool:
    """Whether stats mean anything for `arch` (UNKNOWN and unrecognised strings have no blocks)."""
    return layout_for(arch) is not None


def refine_arch(arch: str, stats: dict | None) -> str:
    """Seed 004: an SDXL LoRA with stats may be refined to an SDXL lineage (see `lineage.py`)."""
    return classify_sdxl_lineage(stats) if arch == SDXL and stats else arch


def file_fingerprint(path: str | os.PathLike) -> str:
    """16 hex digits that change when the LoRA file or one of its metadata sidecars changes (size or mtime).

    The browser keeps it with a cached inspect result to tell when to inspect again.
    """
    parts = []
    for candidate in (Path(path), *metadata_candidates(path)):
        try:
            st = candidate.stat()
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        except FileNotFoundError:
            parts.append("-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def checkpoint_architecture(path: str | os.PathLike, refresh: bool = False) -> str:
    """A checkpoint's architecture from its safetensors header alone (the model is never loaded); cached."""
    return shared_cache().get_or_compute(
        path, CHECKPOINT_KIND, lambda: detect_checkpoint_architecture(read_header(path)).arch, refresh=refresh)


def problem_text(err: BaseException, path: str | os.PathLike, name: str) -> str:
    """The error message for a request about `name`, without the server's file-system path in it."""
    if isinstance(err, SafetensorsHeaderError) or getattr(err, "problem", None):
        return f"{name}: {err.problem}"  # also a header error raised in a worker process
    if isinstance(err, OSError):
        return f"{name}: {err.strerror or type(err).__name__}"
    text = str(err) or type(err).__name__
    for shown in {str(path), os.path.realpath(path)}:
        text = text.replace(shown, name)
    return text

