"""Background block energy in real ComfyUI: paused across a restart, resumed over HTTP, completed with the
stats of a direct computation, progress over the websocket; worker processes end when ComfyUI dies."""

import asyncio
import json
import os
import signal

import psutil
import pytest
from aiohttp import ClientSession
from lora_weights_builder.modules.blocks.energy import compute_stats
from lwb_testkit.comfy_server import ComfyServer
from lwb_testkit.lora_factory import make_lora

pytestmark = [pytest.mark.comfy]

EVENT = "lwb.library.energy"
TIMEOUT_S = 900
FILES = [("a_sdxl.safetensors", "SDXL"), ("b_sd15.safetensors", "SD15"), ("c/loha_sdxl.safetensors", "SDXL")]


def jsonable(value):
    return json.loads(json.dumps(value))


def worker_processes(server: ComfyServer) -> list[psutil.Process]:
    return [c for c in psutil.Process(server.process.pid).children(recursive=True)
            if any(part.endswith("entry.py") for part in c.cmdline())]


async def resume_and_wait_for_the_pass(url: str) -> tuple[dict, list[dict]]:
    """POST resume, then the websocket's energy events until the pass is done: (resume answer, events)."""
    events = []
    async with ClientSession() as session, session.ws_connect(f"{url}/ws?clientId=lwb-energy-test") as ws:
        async with session.post(f"{url}/mad-nodes/library/energy/resume") as resp:
            resumed = await resp.json()
        while True:
            message = await ws.receive(timeout=TIMEOUT_S)
            if message.type.name != "TEXT":
                continue
            data = json.loads(message.data)
            if data["type"] == EVENT:
                events.append(data["data"])
                if data["data"].get("phase") == "done":
                    return resumed, events


def test_paused_energy_survives_a_crash_and_completes_when_resumed(tmp_path):
    server = ComfyServer(base_dir=tmp_path / "base", loras_dir=tmp_path / "models" / "loras",
                         checkpoints_dir=tmp_path / "models" / "checkpoints")
    paths = {name: make_lora(server.loras_dir / name, arch=arch, seed=i, adapter="loha" if "loha" in name else "lora",
                             max_modules=6).path for i, (name, arch) in enumerate(FILES)}
    server.start()
    try:
        status, _, body = server.request("/mad-nodes/library/energy/pause", data=b"", method="POST")
        assert status == 200 and json.loads(body)["paused"] is True
        server.get_json("/mad-nodes/inspect-lora?lora_name=a_sdxl.safetensors")  # starts a stats worker
        workers = worker_processes(server)
        assert workers, "the inspection runs in a worker process"
        os.kill(server.process.pid, signal.SIGKILL)  # ComfyUI dies without any cleanup
        gone, alive = psutil.wait_procs(workers, timeout=120)
        assert not alive, f"worker processes outlived ComfyUI: {[p.pid for p in alive]}"
    finally:
        server.stop()

    restarted = ComfyServer(base_dir=server.base_dir, loras_dir=server.loras_dir,
                            checkpoints_dir=server.checkpoints_dir)
    restarted.start()
    try:
        status = restarted.get_json("/mad-nodes/library/status")  # starts the first scan of this process
        assert status["energy"]["paused"] is True, "the pause was kept across the restart"
        resumed, events = asyncio.run(resume_and_wait_for_the_pass(restarted.url))
        assert resumed["paused"] is False
        running = [e for e in events if e.get("phase") == "running"]
        assert running and running[-1]["total"] == len(FILES)
        assert events[-1] == {"phase": "done", "done": len(FILES), "failed": 0, "total": len(FILES)}
        search = restarted.get_json("/mad-nodes/library/search?page_size=50")
        for item in search["items"]:
            energy = restarted.get_json(f"/mad-nodes/library/entry/{item['id']}/energy")
            arch = dict(FILES)[item["name"]]
            assert energy["status"] == "done"
            assert energy["stats"] == jsonable(compute_stats(paths[item["name"]], arch)), item["name"]
    finally:
        restarted.stop()
