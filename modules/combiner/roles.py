"""A LoRA's role from its folder path (seed 000 phase 8.1: the folder is authoritative, no override).

Interface expected from the library's role table: `role_for_path(relative_name) -> str`. This module is
the combiner's own table until `modules/library/roles.py` provides one. The deepest folder whose name
(case-insensitive, singular or plural) is in `FOLDER_ROLES` decides; no match gives "other".
"""

from __future__ import annotations

from pathlib import PurePosixPath

FOLDER_ROLES: dict[str, str] = {
    "character": "character", "characters": "character", "char": "character", "person": "character",
    "people": "character",
    "style": "style", "styles": "style", "art": "style", "artist": "style", "artists": "style",
    "concept": "concept", "concepts": "concept",
    "clothing": "clothing", "clothes": "clothing", "outfit": "clothing", "outfits": "clothing",
    "pose": "pose", "poses": "pose", "action": "pose", "actions": "pose",
    "environment": "environment", "environments": "environment", "background": "environment",
    "backgrounds": "environment", "scene": "environment", "scenes": "environment",
    "utility": "utility", "utilities": "utility", "tool": "utility", "tools": "utility", "slider": "utility",
    "sliders": "utility", "detail": "utility", "details": "utility",
}


def role_for_path(relative_name: str) -> str:
    """Role of the LoRA listed as `relative_name` in ComfyUI's loras folders ("other" when no folder says)."""
    folders = PurePosixPath(relative_name.replace("\\", "/")).parts[:-1]
    for folder in reversed(folders):
        role = FOLDER_ROLES.get(folder.strip().lower())
        if role:
            return role
    return "other"
