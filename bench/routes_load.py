"""Load on GET /mad-nodes/inspect-lora: 200 concurrent clients over a 1,000-LoRA folder.

    .comfyhost/venv/bin/python bench/routes_load.py [--loras 1000] [--clients 200] [--requests 3000]
                                                    [--mixes cached,uncached-10%]

Two servers answer the same requests over the same folder, resolved by ComfyUI's real `folder_paths`:
- `pack`: the pack's `InspectRoutes` (disk work in an I/O pool, stats in worker processes, an
  uncached LoRA answers `stats_pending` with its architecture after at most 0.25 s, a cached one is
  served as stored JSON checked by one `stat` per file);
- `seed`: a baseline built like seed 004's handler: name resolution and architecture detection on the
  event loop, stats in a 2-worker executor, a path-keyed cache, no sharing of in-flight work.

Each runs in its own child process (a fresh one per mix), the clients in this one. The longest
event-loop stall is measured *inside* the server by a probe coroutine that sleeps 5 ms in a loop and
records how late it wakes up: a stall is time the loop schedules nothing, which is what freezes
ComfyUI's UI and websocket. (A client pinging a route from outside would add HTTP and the clients'
own scheduling delays to the figure.)

Mixes: `cached` (every LoRA inspected beforehand), `uncached-10%` (90% of requests hit 100 warm
LoRAs, 10% go to LoRAs never inspected). The 1,000 names are hard links to 10 distinct small SDXL
files, so every name is its own cache entry and its own computation. Prints req/s, p50/p99 latency
and the longest stall per server and mix, and the pack/seed ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import lwb_testkit.pack  # noqa: E402,F401  (registers lora_weights_builder)
from aiohttp import ClientSession, TCPConnector, web  # noqa: E402
from lora_weights_builder.modules.blocks.energy import compute_stats  # noqa: E402
from lora_weights_builder.modules.inspection.lora_facts import describe_lora  # noqa: E402
from lora_weights_builder.routes.inspect_routes import InspectRoutes  # noqa: E402
from lora_weights_builder.routes.model_folders import ModelFolders  # noqa: E402
from lwb_testkit.host import comfy_dir  # noqa: E402
from lwb_testkit.lora_factory import make_lora  # noqa: E402

DISTINCT_FILES = 10
WARM_SET = 100
MIXES = ("cached", "uncached-10%")


def build_library(folder: Path, count: int) -> list[str]:
    bases = [make_lora(folder / "base" / f"b{i}.safetensors", arch="SDXL", seed=i, text_encoder=False).path
             for i in range(DISTINCT_FILES)]
    names = []
    for i in range(count):
        target = folder / "lib" / f"lora_{i:04d}.safetensors"
        target.parent.mkdir(exist_ok=True)
        os.link(bases[i % DISTINCT_FILES], target)
        names.append(f"lib/lora_{i:04d}.safetensors")
    for base in bases:
        base.unlink()
    return names


def comfy_folders(loras: Path) -> ModelFolders:
    sys.path.insert(0, str(comfy_dir()))
    argv, sys.argv = sys.argv, [sys.argv[0]]  # ComfyUI's cli_args parses sys.argv on import
    import folder_paths
    sys.argv = argv
    folder_paths.add_model_folder_path("loras", str(loras), is_default=True)
    return ModelFolders(folder_paths.get_filename_list, folder_paths.get_full_path, folder_paths.get_folder_paths)


class SeedStyleRoutes:
    """Baseline shaped like seed 004's handler (not the pack's code)."""

    def __init__(self, folders: ModelFolders):
        self._folders = folders
        self._executor = ThreadPoolExecutor(max_workers=2)
        self._cache: dict[str, dict] = {}

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/inspect-lora")(self.inspect_lora)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def inspect_lora(self, request: web.Request) -> web.Response:
        path = self._folders.resolve("loras", request.query.get("lora_name", ""))  # on the loop
        if path is None:
            return web.json_response({"arch": "UNKNOWN", "error": "File not found"})
        entry = self._cache.setdefault(str(path), {})
        if "arch" not in entry:
            entry["arch"] = describe_lora(path, refresh=True).arch.arch  # header read on the loop
        if "stats" not in entry:
            loop = asyncio.get_running_loop()
            entry["stats"] = await loop.run_in_executor(self._executor, compute_stats, path, entry["arch"])
        return web.json_response({"arch": entry["arch"], "stats": entry["stats"]})


class BenchServer:
    """The app in a child process (`--serve`), so the clients' CPU and GIL use stay out of its figures.

    The child adds `/bench/stall` (GET: the longest stall since the last call, then resets) and runs a
    probe coroutine: sleep 5 ms, record how late the loop woke up.
    """

    def __init__(self, kind: str, folder: Path):
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--dir", str(folder)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())

    def stall(self) -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/stall") as resp:
            return float(resp.read())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


def serve(kind: str, folder: Path) -> None:
    folders = comfy_folders(folder)
    group = InspectRoutes(folders) if kind == "pack" else SeedStyleRoutes(folders)
    worst = [0.0]

    async def stall(request: web.Request) -> web.Response:
        value, worst[0] = worst[0], 0.0
        return web.Response(text=repr(value))

    async def probe() -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.005)
            worst[0] = max(worst[0], loop.time() - start - 0.005)

    async def main() -> None:
        routes = web.RouteTableDef()
        group.add_routes(routes)
        routes.get("/bench/stall")(stall)
        app = web.Application()
        app.add_routes(routes)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        probe_task = asyncio.create_task(probe())
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
        probe_task.cancel()
        await runner.cleanup()
        group.close()

    asyncio.run(main())


async def run_load(port: int, names: list[str], clients: int) -> tuple[float, list[float]]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for name in names:
        queue.put_nowait(name)
    latencies: list[float] = []
    url = f"http://127.0.0.1:{port}/mad-nodes/inspect-lora"

    async def client(session: ClientSession) -> None:
        while not queue.empty():
            name = queue.get_nowait()
            start = time.perf_counter()
            async with session.get(url, params={"lora_name": name}) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{name}: HTTP {resp.status}")
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    async with ClientSession(connector=TCPConnector(limit=clients)) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return time.perf_counter() - start, latencies


def workload(names: list[str], mix: str, requests: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """(names to warm first, request sequence)."""
    warm = names[:WARM_SET]
    if mix == "cached":
        return names, [rng.choice(names) for _ in range(requests)]
    cold = names[WARM_SET:]
    rng.shuffle(cold)
    cold_count = requests // 10
    seq = [rng.choice(warm) for _ in range(requests - cold_count)] + cold[:cold_count]
    rng.shuffle(seq)
    return warm, seq


async def settle(port: int, names: list[str]) -> None:
    """Ask until no answer says `stats_pending` (the pack's stats finish in its worker processes)."""
    url = f"http://127.0.0.1:{port}/mad-nodes/inspect-lora"
    waiting = list(names)
    async with ClientSession(connector=TCPConnector(limit=8)) as session:
        while waiting:
            pending = []
            for name in waiting:
                async with session.get(url, params={"lora_name": name}) as resp:
                    if (await resp.json()).get("stats_pending"):
                        pending.append(name)
            waiting = pending
            if waiting:
                await asyncio.sleep(0.5)


def measure(server: BenchServer, names, mix, requests, clients, seed) -> dict:
    warm, seq = workload(list(names), mix, requests, random.Random(seed))
    asyncio.run(run_load(server.port, warm, 8))
    asyncio.run(settle(server.port, warm))  # "cached" means the stats are there
    server.stall()
    elapsed, lat = asyncio.run(run_load(server.port, seq, clients))
    lat.sort()
    return {"rps": len(lat) / elapsed, "p50": statistics.median(lat), "p99": lat[int(len(lat) * 0.99) - 1],
            "stall": server.stall()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loras", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--mixes", default=",".join(MIXES), help="comma-separated, of: " + ", ".join(MIXES))
    parser.add_argument("--serve", choices=("pack", "seed"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.dir)
    mixes = args.mixes.split(",")
    if unknown := set(mixes) - set(MIXES):
        parser.error(f"--mixes: unknown mix {', '.join(sorted(unknown))} (known: {', '.join(MIXES)})")
    with tempfile.TemporaryDirectory() as tmp:
        names = build_library(Path(tmp), args.loras)
        print(f"{args.loras} LoRAs, {args.clients} clients, {args.requests} requests per run")
        print(f"{'mix':<14}{'server':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'stall ms':>10}")
        for mix in mixes:
            figures = {}
            for label in ("seed", "pack"):
                server = BenchServer(label, Path(tmp))
                figures[label] = f = measure(server, names, mix, args.requests, args.clients, seed=1)
                server.stop()
                print(f"{mix:<14}{label:<7}{f['rps']:>9.0f}{f['p50'] * 1e3:>9.1f}{f['p99'] * 1e3:>9.1f}"
                      f"{f['stall'] * 1e3:>10.1f}")
            s, p = figures["seed"], figures["pack"]
            print(f"{mix:<14}{'ratio':<7}{p['rps'] / s['rps']:>9.2f}{p['p50'] / s['p50']:>9.2f}"
                  f"{p['p99'] / s['p99']:>9.2f}{p['stall'] / max(s['stall'], 1e-9):>10.2f}   (pack / seed)")


if __name__ == "__main__":
    main()
