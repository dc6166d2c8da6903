"""Where the ComfyUI host lives: the tree installed by scripts/comfyhost/install.sh, or COMFYUI_DIR."""

import os
from pathlib import Path

from .pack import PACK_ROOT

HOST_DIR = Path(os.environ.get("LWB_HOST_DIR", PACK_ROOT / ".comfyhost"))


def comfy_dir() -> Path:
    """The ComfyUI tree the tests run: $COMFYUI_DIR, else the host's link to one, else horde's copy."""
    if os.environ.get("COMFYUI_DIR"):
        return Path(os.environ["COMFYUI_DIR"]).resolve()
    link = HOST_DIR / "ComfyUI.link"
    if link.exists():
        return link.resolve()
    return HOST_DIR / "ComfyUI"


def host_python() -> Path:
    """The interpreter of the host venv (ComfyUI's dependencies and the test tools)."""
    return HOST_DIR / "venv" / "bin" / "python"
