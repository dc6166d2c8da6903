"""Read ComfyUI's boot log for the pack's own import result.

ComfyUI prints `Cannot import <path> module for custom nodes: ...` for each module that fails, and a
table `<t> seconds[ (IMPORT FAILED)]: <path>` of custom-node folders. Its own optional extras fail too
(`Cannot import <host>/ComfyUI/comfy_extras/nodes_audio.py ...` when torchaudio is absent), and the host
may live inside a clone named like the pack (`.../ComfyUI-LoRA-Weights-Builder/.comfyhost/...`), so a
line is about the pack only when it names the pack's folder under `custom_nodes/`.
"""

from pathlib import Path


def pack_import_failures(log_text: str, pack_dir: Path | str) -> list[str]:
    """Log lines saying the pack at `pack_dir` (`<base>/custom_nodes/<folder>`) failed to import."""
    pack = str(pack_dir).rstrip("/")
    out = []
    for line in log_text.splitlines():
        if "IMPORT FAILED" not in line and "Cannot import" not in line:
            continue
        if line.rstrip().endswith(pack) or f"{pack} " in line or f"{pack}/" in line:
            out.append(line)
    return out


def pack_import_listed(log_text: str, pack_dir: Path | str) -> bool:
    """True when ComfyUI's import-times table lists the pack as imported (no IMPORT FAILED mark)."""
    pack = str(pack_dir).rstrip("/")
    return any(line.rstrip().endswith(f"seconds: {pack}") for line in log_text.splitlines())
