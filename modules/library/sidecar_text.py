"""The words a LoRA's metadata sidecar says about it, for the library's detail view.

LoRA Manager writes `modelDescription` and `civitai.description` / `civitai.model.description`;
A1111's `.json` writes `description` and `notes`. Civitai descriptions are HTML: they are returned
as the raw text (the browser turns them into plain text and inserts them with textContent only).
Each text is capped so a huge sidecar never becomes a huge response.
"""

from __future__ import annotations

MAX_TEXT_CHARS = 20_000


def _text(value) -> str:
    return value[:MAX_TEXT_CHARS] if isinstance(value, str) else ""


def sidecar_texts(data: dict | None) -> dict:
    """{description, version_description, notes, model_name, base_model}: strings ('' when absent)."""
    if not isinstance(data, dict):
        return {"description": "", "version_description": "", "notes": "", "model_name": "", "base_model": ""}
    civitai = data.get("civitai") if isinstance(data.get("civitai"), dict) else {}
    model = civitai.get("model") if isinstance(civitai.get("model"), dict) else {}
    description = (_text(data.get("modelDescription")) or _text(model.get("description"))
                   or _text(data.get("description")))
    version = _text(civitai.get("description"))
    return {
        "description": description,
        "version_description": "" if version == description else version,
        "notes": _text(data.get("notes")),
        "model_name": _text(data.get("model_name")) or _text(model.get("name")),
        "base_model": _text(data.get("base_model")) or _text(civitai.get("baseModel")) or _text(data.get("sd version")),
    }
