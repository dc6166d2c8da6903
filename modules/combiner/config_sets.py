"""Saved configuration sets: a computed combination stored as JSON, listed and reloaded without recomputing.

A set holds its inputs (items, policy, headroom), its outputs (per-LoRA strengths and vectors, schedule
string, per-LoRA text, report) and the fingerprint of every LoRA file it used (size and mtime_ns, the
inspection cache's notion of "this version of the file"). Reloading compares the fingerprints with the
files now on disk: a changed or missing file marks the set stale (the outputs are still returned; the
caller decides whether to recompute). The store's directory is injected; each set is one
`<name>.json`, written to a temporary file in the same directory and renamed over the old one, so a
reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCHEMA = 1
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,99}$")


def fingerprint(path: str | os.PathLike) -> dict | None:
    """{"size", "mtime_ns"} of the file now, or None when it cannot be stat'ed."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


@dataclass(frozen=True)
class LoadedSet:
    name: str
    data: dict
    stale: tuple[str, ...]  # LoRA names whose file changed or is missing

    @property
    def is_stale(self) -> bool:
        return bool(self.stale)


def config_sets_dir(user_dir: str | os.PathLike) -> Path:
    """Where saved sets live: under ComfyUI's user directory (shared by the node and the routes)."""
    return Path(user_dir) / "lora_weights_builder" / "config_sets"


class ConfigSetStore:
    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not NAME_RE.match(name) or name.strip() != name:
            raise ValueError(f"configuration set name {name!r}: use 1-100 letters, digits, spaces, '_', '.', '-' "
                             "(starting with a letter or digit)")
        return self.directory / f"{name}.json"

    def save(self, name: str, inputs: dict, outputs: dict, files: dict[str, str]) -> dict:
        """Write set `name`; `files` maps each LoRA name to its path (fingerprinted now). Returns the data."""
        target = self._path(name)
        prints = {}
        for lora, path in sorted(files.items()):
            fp = fingerprint(path)
            if fp is None:
                raise ValueError(f"configuration set {name!r}: LoRA {lora!r}: cannot read {path}")
            prints[lora] = {"path": str(path), **fp}
        data = {"schema": SCHEMA, "name": name, "inputs": inputs, "outputs": outputs, "fingerprints": prints}
        text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return data

    def list(self) -> list[dict]:
        """[{name, loras, policy, stale}] for every readable set, sorted by name; unreadable files are skipped."""
        out = []
        if not self.directory.is_dir():
            return out
        for path in sorted(self.directory.glob("*.json")):
            try:
                loaded = self.load(path.stem)
            except ValueError:
                continue
            out.append({"name": loaded.name, "loras": sorted(loaded.data.get("fingerprints", {})),
                        "policy": loaded.data.get("inputs", {}).get("policy"), "stale": loaded.is_stale})
        return out

    def load(self, name: str) -> LoadedSet:
        """The saved data, untouched, and which LoRA files changed since it was saved."""
        path = self._path(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"configuration set {name!r} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"configuration set {name!r}: unreadable: {err}") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("fingerprints"), dict):
            raise ValueError(f"configuration set {name!r}: not a schema-{SCHEMA} set")
        stale = []
        for lora, saved in sorted(data["fingerprints"].items()):
            now = fingerprint(saved.get("path", "")) if isinstance(saved, dict) else None
            if now is None or now["size"] != saved.get("size") or now["mtime_ns"] != saved.get("mtime_ns"):
                stale.append(lora)
        return LoadedSet(name, data, tuple(stale))

    def delete(self, name: str) -> bool:
        path = self._path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True
