"""The model folders a route may read, injected into the handlers.

In ComfyUI they come from `folder_paths`; in tests, from temporary folders. Handlers never take a
path from a request: they take a *name* and ask this object, which only answers with files that
ComfyUI itself lists in that folder type.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..modules.inspection.lora_names import listed_spelling


@dataclass(frozen=True)
class ModelFolders:
    """`list_names(kind)` lists the names ComfyUI offers for `kind` ("loras", "checkpoints");
    `full_path(kind, name)` resolves one of those names to its file, or None.

    `user_dir()` is ComfyUI's user directory (where the library database lives, never beside the models)
    and `notify(event, data)` sends an event to the browsers (ComfyUI's websocket `send_sync`; callable
    from any thread). Both are optional for route groups that do not need them.

    `separator` is the file system's ('\\' on Windows, where ComfyUI lists `styles\\ink.safetensors` and
    `styles/ink.safetensors` names the same file); tests set it to check Windows rules on any OS."""

    list_names: Callable[[str], list[str]]
    full_path: Callable[[str, str], str | None]
    folder_roots: Callable[[str], list[str]]
    user_dir: Callable[[], str] | None = None
    notify: Callable[[str, dict], None] | None = None
    separator: str = os.sep

    def resolve(self, kind: str, name: str) -> Path | None:
        """The file behind `name` if, and only if, ComfyUI lists that name for `kind` (either separator on
        Windows); ComfyUI's own spelling is what gets resolved."""
        listed = listed_spelling(name, self.list_names(kind), self.separator) if name else None
        if listed is None:
            return None
        found = self.full_path(kind, listed)
        return Path(found) if found else None

    def resolve_many(self, kind: str, names: list[str]) -> dict[str, Path | None]:
        """`resolve(kind, name)` for each of `names`, with one listing for all of them."""
        listed = self.list_names(kind)
        exact = set(listed)
        resolved: dict[str, Path | None] = {}
        for name in names:
            spelling = name if name in exact else listed_spelling(name, listed, self.separator) if name else None
            found = self.full_path(kind, spelling) if spelling is not None else None
            resolved[name] = Path(found) if found else None
        return resolved
