"""`ModelFolders` that behave as ComfyUI's `folder_paths` does on the Windows portable build, over temporary
folders on any OS: names are listed with backslashes (`styles\\ink.safetensors`), `full_path` accepts either
separator (ComfyUI normalises with `os.path.relpath(os.path.join("/", name), "/")`, which on Windows turns
`/` into `\\`), and the separator is `\\`."""

from __future__ import annotations

import dataclasses
import ntpath
from pathlib import Path

from lora_weights_builder.routes.model_folders import ModelFolders

from .tmp_model_folders import tmp_model_folders


def windows_model_folders(folders: dict[str, list[Path]]) -> ModelFolders:
    posix = tmp_model_folders(folders)

    def list_names(kind: str) -> list[str]:
        return [name.replace("/", "\\") for name in posix.list_names(kind)]

    def full_path(kind: str, name: str) -> str | None:
        relative = ntpath.relpath(ntpath.join("\\", name), "\\")  # what ComfyUI computes on Windows
        if relative.startswith(".."):
            return None
        return posix.full_path(kind, relative.replace("\\", "/"))

    return dataclasses.replace(posix, list_names=list_names, full_path=full_path, separator="\\")
