"""Library tab bench: scrolling the LoRA Library sidebar tab over a 30,000-LoRA index, in real ComfyUI.

    .comfyhost/venv/bin/python bench/library_tab.py [--count 30000] [--dir /tmp/lwb_bench_tab] [--keep] [--trace FILE]

Builds the library with the test kit's generator (`lwb_testkit.generated_library`: real safetensors
headers with sparse data, a third with sidecars, previews for ~40%, characters/styles/... folders), boots
ComfyUI on it, waits for the first scan, then runs bench/library_tab.mjs in headless Chromium: the tab
scrolled from the top one step per frame with thumbnails, then random jumps. Printed: fps, p95 frame,
long tasks from the browser's performance timeline (target: none over 50 ms), the most cells ever in
the DOM, and the same scroll of a plain scroller of equal height in the same page as the baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from lwb_testkit.comfy_server import ComfyServer  # noqa: E402
from lwb_testkit.generated_library import plan_library, write_library  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (reused when it has a library)")
    parser.add_argument("--keep", action="store_true", help="keep the generated library")
    parser.add_argument("--trace", type=Path, default=None,
                        help="also run the tab (and the baseline) once under the Chromium trace, written here, "
                             "and print what the long tasks were made of")
    parser.add_argument("--cold", action="store_true", help="drop the index of a kept --dir (not measured here)")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="lwb_bench_tab_"))
    loras = work / "loras"
    if not loras.exists():
        started = time.perf_counter()
        write_library(loras, plan_library(args.count))
        print(f"generated {args.count} LoRAs in {time.perf_counter() - started:.1f}s")
    if args.cold:
        shutil.rmtree(work / "comfy", ignore_errors=True)  # a fresh ComfyUI user dir: the index is built cold
    server = ComfyServer(base_dir=work / "comfy", loras_dir=loras, checkpoints_dir=work / "checkpoints")
    server.start()
    try:
        started = time.perf_counter()
        status = server.wait_for_library_scan(timeout=1800, poll=1)
        print(f"library scan: {status['index']['total']} LoRAs indexed, ready in {time.perf_counter() - started:.1f}s")
        print(f"load average before the browser run: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores")
        trace = [str(args.trace)] if args.trace else []
        script = str(ROOT / "bench" / "library_tab.mjs")
        proc = subprocess.run(["node", script, server.url, *trace], text=True, timeout=1800)
        if proc.returncode:
            print(f"library_tab.mjs exited with {proc.returncode}\n{server.log_tail()}")
    finally:
        server.stop()
        if not args.keep and args.dir is None:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
