"""A LoRA's role, read from the folders it sits in (seed 000 phase 8.1: folder structure is authoritative).

Rules (version `ROLE_TABLE_VERSION`; a change of the table bumps it and the next scan re-derives every
stored role, without reopening any file):

1. Only the folders of the ComfyUI name count (`characters/anime/aiko.safetensors` -> `characters`,
   `anime`), never the file name and never the root folder itself.
2. A folder name is normalised: case-folded, a leading ordering prefix (`01_`, `1 - `) dropped,
   `_ - .` and spaces treated as one separator.
3. A folder matches a role when its whole normalised name is a key of `FOLDER_ROLES`; otherwise when
   its words match keys of exactly one role (`SDXL Characters` -> character; `style_characters`,
   with two roles, matches none).
4. The folder nearest to the file wins (`characters/outfits/x` is clothing: the inner folder is the
   more specific choice of the user who made it).
5. No match: `other`. There is no override: to change a role, move the file.
"""

from __future__ import annotations

import re

ROLE_TABLE_VERSION = 1

CHARACTER, STYLE, CONCEPT, POSE, DETAIL, CLOTHING, BACKGROUND, OTHER = (
    "character", "style", "concept", "pose", "detail", "clothing", "background", "other")
ROLES = (CHARACTER, STYLE, CONCEPT, POSE, DETAIL, CLOTHING, BACKGROUND, OTHER)

_NAMES: dict[str, tuple[str, ...]] = {
    CHARACTER: ("character", "characters", "char", "chars", "person", "people", "persons", "celebrity",
                "celebrities", "celeb", "celebs", "actor", "actors", "actress", "actresses", "oc", "ocs",
                "waifu", "waifus", "creature", "creatures"),
    STYLE: ("style", "styles", "art style", "art styles", "artstyle", "artstyles", "artist", "artists", "aesthetic",
            "aesthetics", "medium", "mediums"),
    CONCEPT: ("concept", "concepts", "theme", "themes", "idea", "ideas", "object", "objects", "effect", "effects"),
    POSE: ("pose", "poses", "posing", "action", "actions", "gesture", "gestures", "composition", "camera",
           "angle", "angles"),
    DETAIL: ("detail", "details", "detailer", "detailers", "tool", "tools", "utility", "utilities", "slider",
             "sliders", "enhancer", "enhancers", "fix", "fixes", "quality", "helper", "helpers", "lcm", "turbo",
             "lightning", "hyper"),
    CLOTHING: ("clothing", "clothes", "outfit", "outfits", "costume", "costumes", "fashion", "wear", "dress",
               "dresses", "uniform", "uniforms", "apparel", "accessory", "accessories"),
    BACKGROUND: ("background", "backgrounds", "bg", "scene", "scenes", "scenery", "location", "locations",
                 "environment", "environments", "landscape", "landscapes", "place", "places"),
}

# Normalised folder name (or word) -> role. Built once; read-only.
FOLDER_ROLES: dict[str, str] = {name: role for role, names in _NAMES.items() for name in names}

_ORDER_PREFIX = re.compile(r"^\d+\s*(?:[-_.)]\s*|\s+)")
_SEPARATORS = re.compile(r"[\s_.\-]+")


def normalise_folder(folder: str) -> str:
    text = _SEPARATORS.sub(" ", folder.casefold()).strip()
    return _ORDER_PREFIX.sub("", text).strip()


def role_of_folder(folder: str) -> str | None:
    """The role one folder name gives (rules 2-3), or None."""
    name = normalise_folder(folder)
    if name in FOLDER_ROLES:
        return FOLDER_ROLES[name]
    roles = {FOLDER_ROLES[word] for word in name.split(" ") if word in FOLDER_ROLES}
    return roles.pop() if len(roles) == 1 else None


def role_of_name(name: str) -> str:
    """The role of a LoRA from its ComfyUI name (`folder/sub/file.safetensors`, '/' or '\\' separated)."""
    folders = re.split(r"[\\/]", name)[:-1]
    for folder in reversed(folders):
        role = role_of_folder(folder)
        if role:
            return role
    return OTHER


def role_table() -> dict:
    """The documented table, as served to the editor."""
    return {"version": ROLE_TABLE_VERSION, "roles": list(ROLES),
            "folders": {role: list(names) for role, names in _NAMES.items()}}
