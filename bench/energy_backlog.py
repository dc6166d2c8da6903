"""ComfyUI's own latency while the library's background block energy runs, and the memory it costs.

    LWB_HOST_DIR=... .comfyhost/venv/bin/python bench/energy_backlog.py [--loras 30]

Boots a real ComfyUI with this pack over a mixed folder (SDXL/SD1.5 LoRA, LoHa, LoKr), then probes
`GET /system_stats` every 20 ms:
- `idle`: before the library is touched (the baseline of this run);
- `backlog`: while the first scan and the background energy pass run (until its `done` event);
- `inspect`: while 20 uncached inspections compute (interactive workers), and their answer latency.
Prints p50/p99/max of each, the ratio against idle, the pass's wall time, and the peak RSS of
ComfyUI and of its worker processes (sampled every 20 ms with psutil).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import lwb_testkit.pack  # noqa: E402,F401
from aiohttp import ClientSession  # noqa: E402
from lwb_testkit.comfy_server import ComfyServer  # noqa: E402
from lwb_testkit.lora_factory import make_lora  # noqa: E402

KINDS = [("SDXL", "lora"), ("SD15", "lora"), ("SDXL", "loha"), ("SD15", "lokr"), ("SDXL", "lokr")]


class Probe:
    """/system_stats latency and RSS samples in a thread, labelled by phase."""

    def __init__(self, server: ComfyServer):
        self.server = server
        self.phase = "idle"
        self.samples: dict[str, list[float]] = {}
        self.rss: dict[str, dict[str, int]] = {}  # phase -> peak {"comfyui", "workers"}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        main = psutil.Process(self.server.process.pid)
        while not self.stop.is_set():
            start = time.perf_counter()
            with urllib.request.urlopen(self.server.url + "/system_stats", timeout=30) as resp:
                resp.read()
            self.samples.setdefault(self.phase, []).append(time.perf_counter() - start)
            try:
                peak = self.rss.setdefault(self.phase, {"comfyui": 0, "workers": 0})
                peak["comfyui"] = max(peak["comfyui"], main.memory_info().rss)
                workers = [c for c in main.children(recursive=True) if "entry.py" in " ".join(c.cmdline())]
                peak["workers"] = max(peak["workers"], sum(w.memory_info().rss for w in workers))
            except psutil.Error:
                pass
            self.stop.wait(0.02)


def summary(values: list[float]) -> tuple[float, float, float]:
    values = sorted(values)
    return statistics.median(values), values[max(0, int(len(values) * 0.99) - 1)], values[-1]


async def wait_for_energy_done(url: str) -> None:
    async with ClientSession() as session, session.ws_connect(f"{url}/ws?clientId=lwb-bench") as ws:
        async with session.get(f"{url}/mad-nodes/library/status") as resp:  # starts scan, then the pass
            await resp.read()
        while True:
            message = await ws.receive(timeout=3600)
            if message.type.name == "TEXT":
                data = json.loads(message.data)
                if data["type"] == "lwb.library.energy" and data["data"].get("phase") == "done":
                    return


async def inspect_all(url: str, names: list[str]) -> list[float]:
    latencies = []
    async with ClientSession() as session:
        async def one(name: str) -> None:
            start = time.perf_counter()
            async with session.get(f"{url}/mad-nodes/inspect-lora", params={"lora_name": name}) as resp:
                await resp.read()
            latencies.append(time.perf_counter() - start)
        await asyncio.gather(*(one(n) for n in names))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loras", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = ComfyServer(base_dir=root / "base", loras_dir=root / "models" / "loras",
                             checkpoints_dir=root / "models" / "checkpoints", frontend=False)
        for i in range(args.loras):
            arch, adapter = KINDS[i % len(KINDS)]
            make_lora(server.loras_dir / f"lib/{arch}_{adapter}_{i:03d}.safetensors", arch=arch, adapter=adapter,
                      seed=i, rank=16, max_modules=16)
        extra = [f"extra/x_{i:02d}.safetensors" for i in range(20)]
        for i, name in enumerate(extra):
            make_lora(server.loras_dir / name, arch="SDXL", adapter="loha", seed=1000 + i, rank=8, max_modules=12)
        server.start()
        probe = Probe(server)
        try:
            probe.thread.start()
            time.sleep(5)  # the idle baseline
            probe.phase = "backlog"
            started = time.perf_counter()
            asyncio.run(wait_for_energy_done(server.url))
            backlog_s = time.perf_counter() - started
            probe.phase = "inspect"
            latencies = asyncio.run(inspect_all(server.url, extra))
            time.sleep(2)
            probe.stop.set()
            probe.thread.join(60)
        finally:
            server.stop()
    load = " ".join(f"{x:.2f}" for x in psutil.getloadavg())
    print(f"{args.loras} LoRAs in the backlog (+20 inspected), load average {load}")
    print(f"background energy pass: {backlog_s:.1f}s")
    idle = summary(probe.samples["idle"])
    print(f"{'/system_stats':<22}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'n':>6}{'p99/idle':>10}")
    for phase in ("idle", "backlog", "inspect"):
        values = probe.samples.get(phase, [])
        if values:
            p50, p99, worst = summary(values)
            print(f"{phase:<22}{p50 * 1e3:>9.1f}{p99 * 1e3:>9.1f}{worst * 1e3:>9.1f}{len(values):>6}"
                  f"{p99 / idle[1]:>10.2f}")
    p50, p99, worst = summary(latencies)
    print(f"{'inspect first answer':<22}{p50 * 1e3:>9.1f}{p99 * 1e3:>9.1f}{worst * 1e3:>9.1f}{len(latencies):>6}")
    for phase, peak in probe.rss.items():
        print(f"peak RSS {phase:<8}: ComfyUI {peak['comfyui'] / 2**20:.0f} MB, "
              f"worker processes {peak['workers'] / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
