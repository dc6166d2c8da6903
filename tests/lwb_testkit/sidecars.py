"""Sidecar files next to a LoRA: LoRA Manager `<stem>.metadata.json`, `<stem>.json`, Civitai Helper
`<stem>.civitai.info`, and preview images (`<stem>.preview.png`, `.png`, `.jpg`, `.webp`).

Schemas follow ../shared/reference/ecosystem.md (LoRA Manager schema v1.1). Everything is derived from
the arguments and the LoRA file's bytes, so the same call writes the same files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageDraw

PREVIEW_SUFFIXES = (".preview.png", ".png", ".jpg", ".webp")
_CIVITAI_BASE = {"SD15": "SD 1.5", "SDXL": "SDXL 1.0", "SDXL_PONY": "Pony", "SDXL_ILLUSTRIOUS": "Illustrious",
                 "FLUX.1": "Flux.1 D", "CHROMA": "Chroma", "SD3": "SD 3", "WAN": "Wan Video"}
_FIXED_TIME = 1_700_000_000.0  # "modified" is an import timestamp in LoRA Manager; fixed for byte-identical output


def civitai_base_model(arch: str) -> str:
    """Civitai's `baseModel` string for an architecture id (the id itself when unknown)."""
    return _CIVITAI_BASE.get(arch, arch)


def write_preview(path: Path, seed: int = 0, size: tuple[int, int] = (64, 80)) -> Path:
    """A small real image (gradient and a seed-dependent box) in the format the suffix names."""
    w, h = size
    base = ((seed * 67) % 200 + 30, (seed * 131) % 200 + 30, (seed * 29) % 200 + 30)
    img = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        shade = int(255 * y / max(h - 1, 1))
        draw.line([(0, y), (w // 4, y)], fill=(shade, 255 - shade, base[2]))
    x0, y0 = (seed * 7) % (w // 2) + w // 4, (seed * 11) % (h // 2) + 4
    draw.rectangle([x0, y0, x0 + w // 4, y0 + h // 4], fill=(255 - base[0], 255 - base[1], 255 - base[2]))
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path.name}: preview suffix must be .png, .jpg or .webp")
    img.save(path, format=kind)
    return path


def _civitai_version(stem: str, arch: str, words: list[str], tags: list[str], description: str,
                     model_id: int, version_id: int, nsfw_level: int) -> dict:
    return {
        "id": version_id, "modelId": model_id, "name": "v1.0", "nsfwLevel": nsfw_level,
        "baseModel": civitai_base_model(arch), "trainedWords": words, "type": "LoRA", "description": description,
        "model": {"name": stem.replace("_", " "), "type": "LORA", "description": description, "tags": tags,
                  "nsfw": nsfw_level > 1, "poi": False},
        "creator": {"username": "lwb-test", "image": None},
        "files": [{"name": f"{stem}.safetensors", "type": "Model", "primary": True}],
        "images": [],
    }


def write_sidecars(lora_path: str | Path, arch: str, *, trigger_words: Iterable[str] = (),
                   tags: Iterable[str] = (), description: str = "", preview: str | None = ".preview.png",
                   metadata_json: bool = True, civitai_info: bool = False, plain_json: bool = False,
                   nsfw_level: int = 1, seed: int = 0) -> dict[str, Path]:
    """Write the chosen sidecars of `lora_path`; returns {kind: path} for what was written.

    `preview` is one of PREVIEW_SUFFIXES or None; kinds are "preview", "metadata_json", "civitai_info", "json".
    """
    lora_path = Path(lora_path)
    if preview is not None and preview not in PREVIEW_SUFFIXES:
        raise ValueError(f"{lora_path.name}: preview must be one of {PREVIEW_SUFFIXES} or None, not {preview!r}")
    stem, folder = lora_path.name.removesuffix(".safetensors"), lora_path.parent
    words, tag_list = list(trigger_words), list(tags)
    written: dict[str, Path] = {}
    if preview is not None:
        written["preview"] = write_preview(folder / f"{stem}{preview}", seed=seed)
    model_id, version_id = 100000 + seed, 200000 + seed
    version = _civitai_version(stem, arch, words, tag_list, description, model_id, version_id, nsfw_level)
    if metadata_json:
        data = lora_path.read_bytes()
        doc = {
            "file_name": stem, "model_name": stem.replace("_", " "), "file_path": lora_path.resolve().as_posix(),
            "size": len(data), "modified": _FIXED_TIME, "sha256": hashlib.sha256(data).hexdigest(),
            "base_model": civitai_base_model(arch),
            "preview_url": written["preview"].resolve().as_posix() if "preview" in written else "",
            "preview_nsfw_level": nsfw_level, "notes": "", "from_civitai": True, "civitai": version,
            "tags": tag_list, "modelDescription": description, "favorite": False, "exclude": False,
            "hash_status": "completed", "usage_tips": json.dumps({"strength": 1.0}),
        }
        written["metadata_json"] = _dump(folder / f"{stem}.metadata.json", doc)
    if civitai_info:
        written["civitai_info"] = _dump(folder / f"{stem}.civitai.info", version)
    if plain_json:
        doc = {"description": description, "sd version": civitai_base_model(arch),
               "activation text": ", ".join(words), "preferred weight": 1.0, "notes": ""}
        written["json"] = _dump(folder / f"{stem}.json", doc)
    return written


def _dump(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
