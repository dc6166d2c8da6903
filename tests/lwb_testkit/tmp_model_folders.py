"""`ModelFolders` over temporary folders, listing and resolving names the way ComfyUI's `folder_paths` does.

Listing walks each root following directory symlinks and keeps model extensions; `full_path`
normalises the name against "/" and takes the first root holding a regular file with that name
(see `folder_paths.recursive_search` / `get_full_path`). Route tests build the pack's routes on a
bare aiohttp app over these folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from lora_weights_builder.routes.model_folders import ModelFolders

MODEL_EXTENSIONS = {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}


def _list(roots: list[Path]) -> list[str]:
    names = set()
    for root in roots:
        for dirpath, _, filenames in os.walk(root, followlinks=True):
            for filename in filenames:
                if os.path.splitext(filename)[1].lower() in MODEL_EXTENSIONS:
                    names.add(os.path.relpath(os.path.join(dirpath, filename), root))
    return sorted(names)


def _full_path(roots: list[Path], name: str) -> str | None:
    relative = os.path.relpath(os.path.join("/", name), "/")
    for root in roots:
        candidate = os.path.join(root, relative)
        if os.path.isfile(candidate):
            return candidate
    return None


def tmp_model_folders(folders: dict[str, list[Path]]) -> ModelFolders:
    """`folders` maps a kind ("loras", "checkpoints") to its roots, in ComfyUI's search order."""
    return ModelFolders(
        list_names=lambda kind: _list(folders.get(kind, [])),
        full_path=lambda kind, name: _full_path(folders.get(kind, []), name),
        folder_roots=lambda kind: [str(r) for r in folders.get(kind, [])],
    )
