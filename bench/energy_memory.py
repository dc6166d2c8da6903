"""Peak memory of one `compute_stats` call, measured in a fresh process (shared by the energy benches).

`python bench/energy_memory.py FILE` prints {"before", "peak"} in MB: the RSS before the call and the peak RSS
during it. The call runs once first (lazy imports and allocator warm-up are not the LoRA's cost) and the peak
(VmHWM) is reset through /proc/self/clear_refs, so the imports' peak does not count.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def energy_peak_mb(path: Path) -> dict:
    """{"before", "peak"} (MB) of one compute_stats of the SDXL LoRA at `path`, in a child process."""
    out = subprocess.run([sys.executable, __file__, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def _child(path: str) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import lwb_testkit.pack  # noqa: F401  (registers lora_weights_builder)
    from lora_weights_builder.modules.blocks.energy import compute_stats

    compute_stats(path, "SDXL")
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _status_mb("VmRSS")
    compute_stats(path, "SDXL")
    print(json.dumps({"before": before, "peak": _status_mb("VmHWM")}))


if __name__ == "__main__":
    _child(sys.argv[1])
