"""Entry script of a worker process: started by path (`python <this file>`), never imported by the pack.

Spawn-safe by construction, on every platform: the child is its own `__main__`, so it never re-runs
ComfyUI's main.py (which `multiprocessing`'s spawn start method would import in the child), and it
registers the pack's folder as a bare package *without* executing the pack's `__init__.py` (which
imports ComfyUI's `server` and the node modules), so only pure `modules/` code is imported here.
"""

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

PACKAGE = "lwb_worker_pack"


def _register_pack() -> None:
    spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(Path(__file__).resolve().parents[2])]
    sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)


if __name__ == "__main__":
    del sys.path[0]  # this script's folder: its files must not shadow top-level modules
    _register_pack()
    importlib.import_module(f"{PACKAGE}.modules.workers.child").serve()
