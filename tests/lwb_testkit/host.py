"""Which ComfyUI host the tests run: LWB_HOST picks the version (0.3.75 by default, or 0.8.0), LWB_HOST_DIR
overrides where it lives; COMFYUI_DIR overrides the ComfyUI tree. scripts/comfyhost/install.sh installs both."""

import os
from pathlib import Path

from .pack import PACK_ROOT

# ComfyUI version -> the host dir install.sh uses by default (git-ignored).
HOST_DIRS = {"0.3.75": ".comfyhost", "0.8.0": ".comfyhost-0.8.0"}
HOST_VERSION = os.environ.get("LWB_HOST", "0.3.75")
if HOST_VERSION not in HOST_DIRS:
    raise RuntimeError(f"LWB_HOST={HOST_VERSION!r} is not a tested host (known: {', '.join(HOST_DIRS)})")
HOST_DIR = Path(os.environ.get("LWB_HOST_DIR", PACK_ROOT / HOST_DIRS[HOST_VERSION]))


def comfy_dir() -> Path:
    """The ComfyUI tree the tests run: $COMFYUI_DIR, else the host's link to one, else its own copy."""
    if os.environ.get("COMFYUI_DIR"):
        return Path(os.environ["COMFYUI_DIR"]).resolve()
    link = HOST_DIR / "ComfyUI.link"
    if link.exists():
        return link.resolve()
    return HOST_DIR / "ComfyUI"


def host_python() -> Path:
    """The interpreter of the host venv (ComfyUI's dependencies and the test tools)."""
    return HOST_DIR / "venv" / "bin" / "python"
