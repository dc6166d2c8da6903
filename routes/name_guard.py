"""Model names from HTTP requests: refused on sight when malformed, resolved only through ComfyUI's listing.

Two layers, so that no request ever makes the server touch a file outside the model folders:

1. `validate_name` looks at the string alone, before any file-system call: absolute paths, `~`,
   drive letters, `..` / `.` / empty components, backslashes (on POSIX, where ComfyUI never lists a
   name with one; on Windows they are the separator and go through the same component rules),
   percent escapes left after aiohttp's one decoding (double-encoded `%252e`), control characters
   (NUL, newline) and names longer than `MAX_NAME_CHARS` are refused with the reason.
2. `resolve_listed` asks `ModelFolders.resolve`, which answers only for a name ComfyUI itself lists,
   then checks that the file's real path stays inside the model folders (`within_model_folders`):
   a *file* symlink leading out of every folder is refused, while a *directory* symlink the user
   placed in (or as) a model folder - a library on another drive - is followed like ComfyUI does.

`resolve_listed` does file-system calls: run it off the event loop.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .model_folders import ModelFolders

MAX_NAME_CHARS = 1024

_DRIVE = re.compile(r"^[A-Za-z]:")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_SEPARATORS = re.compile(r"[\\/]")


class InvalidName(ValueError):
    """A request name refused from its text alone; the message says why."""


def validate_name(name: str, separator: str = os.sep) -> str:
    """`name` unchanged if it can be a name ComfyUI lists on a file system with `separator` ('\\' on
    Windows, where '/' separates too); raises `InvalidName` naming the problem."""
    windows = separator == "\\"
    if not name:
        raise InvalidName("the name is empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidName(f"the name is {len(name)} characters long, more than {MAX_NAME_CHARS}")
    if bad := _CONTROL.search(name):
        raise InvalidName(f"the name contains the control character U+{ord(bad.group()):04X}")
    if not windows and "\\" in name:
        raise InvalidName("the name contains a backslash")
    if _PERCENT_ESCAPE.search(name):
        raise InvalidName("the name contains a URL escape (%xx) after decoding")
    if name.startswith(("/", "~")) or _DRIVE.match(name) or (windows and name.startswith("\\")):
        raise InvalidName("the name is an absolute or home-relative path")
    for part in _WINDOWS_SEPARATORS.split(name) if windows else name.split("/"):
        if part in ("", ".", ".."):
            raise InvalidName(f"the name has a {part!r} path component" if part else
                              "the name has an empty path component")
    return name


def _inside(path: str, folder: str, pathmod=os.path) -> bool:
    """Whether `path` is `folder` or below it (absolute paths; `pathmod` is ntpath or posixpath, so the
    Windows rules - either separator, any letter case, several drives - are testable on any OS)."""
    try:
        return pathmod.normcase(pathmod.commonpath([path, folder])) == pathmod.normcase(folder)
    except ValueError:  # different drives on Windows
        return False


def _trusted_trees(lexical: str, roots: list[str]) -> list[str]:
    """Real paths of the model folder holding `lexical` and of every directory symlink between it and the file."""
    trees = []
    for root in (os.path.abspath(r) for r in roots):
        if not _inside(lexical, root):
            continue
        trees.append(os.path.realpath(root))
        current = root
        for part in Path(os.path.relpath(os.path.dirname(lexical), root)).parts:
            if part == os.curdir:
                continue
            current = os.path.join(current, part)
            if os.path.islink(current):
                trees.append(os.path.realpath(current))
    return trees


def within_model_folders(path: str | os.PathLike, roots: list[str]) -> bool:
    """Whether the file at `path` (as listed under one of `roots`) really lies inside the model folders.

    Its real path must lie inside the real path of its folder root, or of a directory symlink on the
    way to it; a file that is itself a symlink to elsewhere does not pass.
    """
    lexical = os.path.abspath(path)
    real = os.path.realpath(lexical)
    return any(_inside(real, tree) for tree in _trusted_trees(lexical, roots))


def resolve_listed(folders: ModelFolders, kind: str, name: str) -> Path | None:
    """The file behind a validated `name` of folder type `kind`, or None (not listed, gone, or leading outside)."""
    path = folders.resolve(kind, name)
    if path is None or not within_model_folders(path, folders.folder_roots(kind)):
        return None
    return path
