"""Picker bench: first page of a search over a 10,000-LoRA library, in the browser, in real ComfyUI.

    .comfyhost/venv/bin/python bench/editor_picker.py [--count 10000] [--dir /tmp/lwb_bench_picker] [--keep]

Builds the library with bench/library_index.py's generator (real headers, sparse files, sidecars and
previews for a third, characters/styles/... folders), boots ComfyUI on it (lwb_testkit ComfyServer),
waits for the library's first scan, then runs bench/editor_picker.mjs in headless Chromium: the picker
opened in the ComfyUI page, 20 queries (words, family and role filters, a deep page), each timed from
the query to its first page in the DOM and to the next painted frame; baseline in the same page: the
bare `fetch` + JSON parse of the same search URLs. Target: < 150 ms from query to first page.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from library_index import make_library  # noqa: E402
from lwb_testkit.comfy_server import PACK_FOLDER_NAME, ComfyServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (reused when it has a library)")
    parser.add_argument("--keep", action="store_true", help="keep the generated library")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="lwb_bench_picker_"))
    loras = work / "loras"
    if not loras.exists():
        made = make_library(loras, args.count)
        print(f"generated {args.count} LoRAs in {made['seconds']:.1f}s")
    shutil.rmtree(work / "comfy", ignore_errors=True)  # a fresh ComfyUI user dir: the index is built cold
    server = ComfyServer(base_dir=work / "comfy", loras_dir=loras, checkpoints_dir=work / "checkpoints")
    started = time.perf_counter()
    server.start()
    print(f"ComfyUI up in {time.perf_counter() - started:.1f}s")
    try:
        started = time.perf_counter()
        status = server.wait_for_library_scan(timeout=600, poll=1)
        print(f"library scan: {status['index']['total']} LoRAs indexed, ready {time.perf_counter() - started:.1f}s "
              f"after the first status request")
        proc = subprocess.run(["node", str(ROOT / "bench" / "editor_picker.mjs"), server.url, PACK_FOLDER_NAME],
                              text=True, timeout=900)
        if proc.returncode:
            print(f"editor_picker.mjs exited with {proc.returncode}\n{server.log_tail()}")
    finally:
        server.stop()
        if not args.keep and args.dir is None:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
