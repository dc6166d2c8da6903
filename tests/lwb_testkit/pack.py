"""Make the pack's pure packages importable by tests and scripts as `lora_weights_builder.*`.

The repo root is a ComfyUI custom-node package: its `__init__.py` imports ComfyUI's `server` and
`nodes`. Pure code (`modules/`) must be testable without ComfyUI, so the package is registered
here *without* executing that `__init__.py`; its subpackages then import normally.
"""

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

PACK_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_NAME = "lora_weights_builder"


def register_pack_package() -> None:
    """Register the repo root as package `lora_weights_builder` (idempotent, no __init__ run)."""
    if PACKAGE_NAME in sys.modules:
        return
    spec = importlib.machinery.ModuleSpec(PACKAGE_NAME, None, is_package=True)
    spec.submodule_search_locations = [str(PACK_ROOT)]
    sys.modules[PACKAGE_NAME] = importlib.util.module_from_spec(spec)


register_pack_package()
