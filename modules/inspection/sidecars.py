"""Files that sit beside a LoRA: metadata JSON (LoRA Manager, A1111, Civitai Helper) and previews.

Sidecars are user files, often written by other tools and sometimes broken. Nothing here raises for
a bad sidecar: the problem is logged and returned as `Sidecar.error`, and the LoRA still loads.
The stem of `my.lora.v2.safetensors` is `my.lora.v2` (only the last suffix is dropped).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Seed 004 reads `.metadata.json` (LoRA Manager) then `.json` (A1111); `.civitai.info` is Civitai Helper's.
METADATA_SUFFIXES = (".metadata.json", ".json", ".civitai.info")

# Seed 004's `/lora-preview` priority order, exactly.
PREVIEW_SUFFIXES = (
    ".preview.png", ".preview.jpg", ".preview.webp",
    ".png", ".jpg", ".jpeg", ".webp", ".mp4", ".webm",
)

CONTENT_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
    ".mp4": "video/mp4", ".webm": "video/webm",
}

# A sidecar bigger than this is not metadata we want to parse on a request path.
MAX_SIDECAR_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Sidecar:
    """A metadata sidecar as read: `data` is the JSON object, or None with `error` saying why."""

    path: Path
    data: dict | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None


def _beside(lora_path: str | os.PathLike, suffix: str) -> Path:
    p = Path(lora_path)
    return p.parent / (p.stem + suffix)


def metadata_candidates(lora_path: str | os.PathLike) -> list[Path]:
    return [_beside(lora_path, s) for s in METADATA_SUFFIXES]


def stays_beside(candidate: Path, lora_path: str | os.PathLike) -> bool:
    """Whether `candidate`, links followed, is in the LoRA's own (resolved) folder.

    A sidecar that is a link to a file elsewhere (another folder, outside every model folder) is not
    read: sidecars are looked up from user-chosen LoRA names, and no lookup may read a file outside
    ComfyUI's model folders. A LoRA folder that is itself a link keeps working, since both sides
    resolve through it.
    """
    try:
        return candidate.resolve().parent == Path(lora_path).resolve().parent
    except OSError:
        return False


def find_metadata_sidecar(lora_path: str | os.PathLike) -> Path | None:
    """The first existing metadata sidecar in `METADATA_SUFFIXES` order, or None."""
    return next((p for p in metadata_candidates(lora_path) if p.is_file() and stays_beside(p, lora_path)), None)


def read_sidecar(path: str | os.PathLike, max_bytes: int = MAX_SIDECAR_BYTES) -> Sidecar:
    """Parse one sidecar; any problem (missing, too big, not UTF-8, not JSON, not an object) -> `error`."""
    path = Path(path)
    error = None
    try:
        size = path.stat().st_size
        if size > max_bytes:
            error = f"{size} bytes, larger than the {max_bytes}-byte limit for a sidecar"
        else:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
            if isinstance(data, dict):
                return Sidecar(path, data)
            error = f"JSON is {'null' if data is None else 'a ' + type(data).__name__}, expected an object"
    except OSError as err:
        error = f"cannot read: {err.strerror or err}"
    except UnicodeDecodeError as err:
        error = f"not UTF-8 text (byte {err.start})"
    except ValueError as err:  # json.JSONDecodeError
        error = f"not valid JSON: {err}"
    except RecursionError:
        error = "JSON nested too deeply"
    log.warning("ignoring sidecar %s: %s", path, error)
    return Sidecar(path, None, error)


def load_metadata_sidecar(lora_path: str | os.PathLike) -> Sidecar | None:
    """The first sidecar beside `lora_path` that parses; else the first broken one (with its error); else None."""
    first_broken = None
    lora = Path(lora_path)
    folder, stem = str(lora.parent), lora.stem
    for suffix in METADATA_SUFFIXES:
        # A string stat first: a library index looks up every file's sidecars, most of which do not exist.
        if not os.path.isfile(os.path.join(folder, stem + suffix)):
            continue
        candidate = _beside(lora, suffix)
        if not stays_beside(candidate, lora_path):
            log.warning("ignoring sidecar %s: it links to a file outside the LoRA's folder", candidate)
            continue
        sidecar = read_sidecar(candidate)
        if sidecar.ok:
            return sidecar
        first_broken = first_broken or sidecar
    return first_broken


def _string_list(value) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def unique_sorted_words(words) -> list[str]:
    """Trigger words deduplicated and sorted case-insensitively (ties: exact order), as every output lists them."""
    return sorted(set(words), key=lambda w: (w.casefold(), w))


def trigger_words(sidecar: dict | None) -> list[str]:
    """Trigger words from `trainedWords` and `civitai.trainedWords`: strings only, stripped, deduplicated, sorted.

    Values that are not lists (a bare string, null) and list items that are not strings are ignored.
    """
    if not isinstance(sidecar, dict):
        return []
    words = _string_list(sidecar.get("trainedWords"))
    civitai = sidecar.get("civitai")
    if isinstance(civitai, dict):
        words += _string_list(civitai.get("trainedWords"))
    return unique_sorted_words(words)


def find_preview(lora_path: str | os.PathLike) -> Path | None:
    """The first existing preview beside `lora_path`, in seed 004's order (`PREVIEW_SUFFIXES`)."""
    for suffix in PREVIEW_SUFFIXES:
        candidate = _beside(lora_path, suffix)
        if candidate.is_file():
            return candidate
    return None


def preview_content_type(path: str | os.PathLike) -> str:
    """The HTTP content type of a preview file, from its extension."""
    return CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")
