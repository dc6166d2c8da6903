"""Make the real ComfyUI `comfy` modules importable and initialised in this process (hook-level tests).

ComfyUI reads its command-line args when `comfy.model_management` and `folder_paths` are first
imported, so `load_comfy` sets `args.cpu` and `args.base_directory` on `comfy.cli_args` before that.
`comfy.options` is imported first so ComfyUI keeps its default args instead of parsing pytest's argv.
Loading is once per process: a second call returns the same namespace (a different `comfy_dir` is an
error, since the modules cannot be swapped after import).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

from .host import comfy_dir as host_comfy_dir

_lock = threading.Lock()
_loaded: SimpleNamespace | None = None


def load_comfy(comfy_dir: str | Path | None = None, base_dir: str | Path | None = None) -> SimpleNamespace:
    """Import ComfyUI in-process on CPU; returns a namespace of its modules.

    `comfy_dir` defaults to the tree the server tests run (`lwb_testkit.host.comfy_dir`).

    Attributes: `comfy_dir`, `base_dir`, `lora` (comfy.lora), `lora_convert`, `utils`, `hooks`,
    `model_patcher`, `model_base`, `model_management`, `supported_models`, `sd`, `sd1_clip`,
    `text_encoders` (comfy.text_encoders: flux, sd3_clip), `folder_paths`.
    `base_dir` (default: a new temp dir) becomes ComfyUI's `--base-directory` (models/, user/, output/).
    """
    global _loaded
    comfy_dir = Path(comfy_dir) if comfy_dir is not None else host_comfy_dir()
    with _lock:
        if _loaded is not None:
            if comfy_dir.resolve() != _loaded.comfy_dir.resolve():
                raise RuntimeError(f"ComfyUI already loaded from {_loaded.comfy_dir}; cannot switch to {comfy_dir}")
            return _loaded
        if not (comfy_dir / "comfy" / "model_management.py").is_file():
            raise FileNotFoundError(f"{comfy_dir}: not a ComfyUI directory (no comfy/model_management.py); "
                                    "set COMFYUI_DIR or install the host with scripts/comfyhost")
        base = Path(base_dir) if base_dir is not None else Path(tempfile.mkdtemp(prefix="lwb-comfy-inproc-"))
        base.mkdir(parents=True, exist_ok=True)
        if str(comfy_dir) not in sys.path:
            sys.path.insert(0, str(comfy_dir))
        importlib.import_module("comfy.options")
        cli_args = importlib.import_module("comfy.cli_args")
        cli_args.args.cpu = True
        cli_args.args.disable_api_nodes = True
        cli_args.args.base_directory = str(base)
        names = {
            "model_management": "comfy.model_management", "utils": "comfy.utils", "lora": "comfy.lora",
            "lora_convert": "comfy.lora_convert", "hooks": "comfy.hooks", "model_patcher": "comfy.model_patcher",
            "model_base": "comfy.model_base", "supported_models": "comfy.supported_models", "sd": "comfy.sd",
            "sd1_clip": "comfy.sd1_clip", "sdxl_clip": "comfy.sdxl_clip", "folder_paths": "folder_paths",
        }
        modules = {attr: importlib.import_module(mod) for attr, mod in names.items()}
        text_encoders = SimpleNamespace(
            flux=importlib.import_module("comfy.text_encoders.flux"),
            sd3_clip=importlib.import_module("comfy.text_encoders.sd3_clip"),
        )
        _loaded = SimpleNamespace(comfy_dir=comfy_dir, base_dir=base, text_encoders=text_encoders, **modules)
        return _loaded
