"""Walk the LoRA roots with one `scandir` per folder: no open, no extra stat for sidecars or previews.

A file's `sidecar_fp` fingerprints its metadata sidecars (name, size, mtime) and its preview (name),
so an edited sidecar or a new preview makes the scanner re-read that LoRA although the LoRA itself is
unchanged. Folders are followed through symlinks, like ComfyUI's own listing, with a guard against
loops; `.git` is skipped as ComfyUI skips it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from ..inspection.sidecars import METADATA_SUFFIXES, PREVIEW_SUFFIXES

LORA_EXTENSIONS = (".safetensors", ".sft")
EXCLUDED_DIRS = frozenset({".git"})


@dataclass(frozen=True)
class SeenFile:
    path: str
    root: str
    name: str  # ComfyUI name: path under the root with '/' separators
    size: int
    mtime_ns: int
    sidecar_fp: str
    preview: str | None  # preview file name in the same folder


def library_name(relative: str, separator: str = os.sep) -> str:
    """The index's spelling of a name relative to its root: '/'-separated on every OS. ComfyUI lists
    `styles\\ink.safetensors` on Windows; on POSIX a backslash is part of a file name and stays."""
    return relative.replace(separator, "/") if separator != "/" else relative


def _stem(filename: str) -> str:
    return os.path.splitext(filename)[0]


def _folder_files(names: dict[str, os.DirEntry], stem: str) -> tuple[str, str | None]:
    parts = []
    for suffix in METADATA_SUFFIXES:
        entry = names.get(stem + suffix)
        if entry is not None:
            try:
                st = entry.stat()
                parts.append(f"{suffix}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(f"{suffix}:?")
    preview = next((stem + s for s in PREVIEW_SUFFIXES if stem + s in names), None)
    if preview:
        parts.append(f"preview:{preview}")
    return "|".join(parts), preview


def walk_root(root: str, errors: list[str], unlisted: list[str] | None = None) -> Iterator[SeenFile]:
    """Every LoRA file under `root` (depth-first, sorted). Unreadable folders go to `errors`, and their
    paths to `unlisted`: the files under them were not seen, which does not mean they are gone."""
    visited: set[str] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as err:
            errors.append(f"{folder}: cannot list folder: {err.strerror or err}")
            if unlisted is not None:
                unlisted.append(folder)
            continue
        names = {e.name: e for e in entries}
        subdirs = []
        for entry in sorted(entries, key=lambda e: e.name):
            try:
                if entry.is_dir():
                    if entry.name not in EXCLUDED_DIRS:
                        subdirs.append(entry.path)
                    continue
                if not entry.name.lower().endswith(LORA_EXTENSIONS) or not entry.is_file():
                    continue
                st = entry.stat()
            except OSError as err:
                errors.append(f"{entry.path}: cannot stat: {err.strerror or err}")
                continue
            fp, preview = _folder_files(names, _stem(entry.name))
            rel = library_name(os.path.relpath(entry.path, root))
            yield SeenFile(entry.path, root, rel, st.st_size, st.st_mtime_ns, fp, preview)
        stack.extend(reversed(subdirs))
