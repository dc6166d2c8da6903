"""Inspect never waits on a file, in real ComfyUI: a slow LoRA answers `stats_pending`, its stats arrive
over ComfyUI's websocket (and fill the editor's bars in Chromium), and the work runs in worker processes
that are not ComfyUI (spawn-safe)."""

import json
import subprocess
from pathlib import Path

import psutil
import pytest
from aiohttp import ClientSession
from lora_weights_builder.modules.blocks.energy import compute_stats
from lwb_testkit.lora_factory import make_lora

pytestmark = [pytest.mark.comfy]

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
EVENT = "lwb.inspect.stats"
EVENT_TIMEOUT_S = 900


def slow_lora(folder: Path, name: str, seed: int) -> Path:
    """An SDXL LoHa whose exact energy takes about 1.2 s even in a warm worker on an idle machine (rank 64,
    300 modules, 100 MB), well past the route's 0.25 s wait, so the first answer is pending whatever ran before."""
    return make_lora(folder / name, arch="SDXL", adapter="loha", rank=64, max_modules=300, text_encoder=False,
                     seed=seed).path


def jsonable(value):
    return json.loads(json.dumps(value))


async def inspect_and_wait_for_event(url: str, name: str) -> tuple[dict, dict, dict]:
    """(first answer, the event's data, a later answer), listening on the websocket before asking."""
    async with ClientSession() as session, session.ws_connect(f"{url}/ws?clientId=lwb-async-test") as ws:
        async with session.get(f"{url}/mad-nodes/inspect-lora", params={"lora_name": name}) as resp:
            assert resp.status == 200
            first = await resp.json()
        while True:
            message = await ws.receive(timeout=EVENT_TIMEOUT_S)
            if message.type.name != "TEXT":
                continue
            data = json.loads(message.data)
            if data["type"] == EVENT and data["data"]["lora_name"] == name:
                break
        async with session.get(f"{url}/mad-nodes/inspect-lora", params={"lora_name": name}) as resp:
            later = await resp.json()
    return first, data["data"], later


async def test_slow_inspect_answers_pending_and_the_event_brings_the_stats(comfy_server):
    name = "lwb_async_slow_loha.safetensors"
    path = slow_lora(comfy_server.loras_dir, name, seed=41)
    first, event, later = await inspect_and_wait_for_event(comfy_server.url, name)
    assert first == {"arch": "SDXL", "stats_pending": True, "fingerprint": first["fingerprint"]}
    expected = jsonable(compute_stats(path, "SDXL"))
    assert event["fingerprint"] == first["fingerprint"]
    assert event["stats"] == expected
    assert later == {"arch": event["arch"], "stats": expected, "fingerprint": first["fingerprint"]}


def test_stats_run_in_worker_processes_that_are_not_comfyui(comfy_server):
    make_lora(comfy_server.loras_dir / "lwb_async_worker_probe.safetensors", arch="SD15", seed=42)
    comfy_server.get_json("/mad-nodes/inspect-lora?lora_name=lwb_async_worker_probe.safetensors")
    children = psutil.Process(comfy_server.process.pid).children(recursive=True)
    workers = [c.cmdline() for c in children if any(part.endswith("entry.py") for part in c.cmdline())]
    assert workers, [c.cmdline() for c in children]
    for cmdline in workers:
        assert not any(part.endswith("main.py") for part in cmdline), cmdline
        assert any(part.endswith("modules/workers/entry.py") for part in cmdline), cmdline


@pytest.mark.browser
def test_the_editor_fills_the_energy_bars_when_the_event_arrives(comfy_server):
    name = "lwb_async_browser_loha.safetensors"
    # The library's background energy pass would measure the new file after the next scan, and the editor
    # would then get stored stats at once (no pending state to see): hold the pass while the editor asks.
    status, _, _ = comfy_server.request("/mad-nodes/library/energy/pause", data=b"", method="POST")
    assert status == 200
    try:
        path = slow_lora(comfy_server.loras_dir, name, seed=43)
        proc = subprocess.run(["node", str(BROWSER_DIR / "inspect_stats.mjs"), comfy_server.url, name],
                              capture_output=True, text=True, timeout=EVENT_TIMEOUT_S + 120, cwd=BROWSER_DIR)
    finally:
        comfy_server.request("/mad-nodes/library/energy/resume", data=b"", method="POST")
    assert proc.returncode == 0, f"inspect_stats.mjs failed:\n{proc.stdout}\n{proc.stderr}"
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in run, run.get("error")
    assert run["pendingNote"].startswith("Computing block energy")
    assert run["barsWhilePending"] and set(run["barsWhilePending"].values()) == {0}
    distribution = compute_stats(path, "SDXL")["energy_distribution"]
    top = max(distribution.values())
    expected = {block: round(100 * distribution.get(block, 0) / top) for block in run["barsAfterEvent"]}
    assert run["barsAfterEvent"] == expected
    assert run["noteAfterEvent"] == 0
    assert run["requestsAfterEvent"] == run["requestsWhilePending"], "filled by the event, not by polling"
    assert run["pageErrors"] == []
