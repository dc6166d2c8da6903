"""The library routes inside a real ComfyUI: the index lives in ComfyUI's user directory, the scan
lists ComfyUI's own loras folder, profiles persist through the server."""

import asyncio
import json

import aiohttp
import pytest
from lwb_testkit.lora_factory import make_lora

pytestmark = pytest.mark.comfy


def _json(server, path, data=None, method=None):
    body = json.dumps(data).encode() if data is not None else None
    status, _, raw = server.request(path, data=body, method=method,
                                    headers={"Content-Type": "application/json"} if body else None)
    return status, json.loads(raw)


def test_rescan_search_and_entry_in_comfyui(comfy_server):
    make_lora(comfy_server.loras_dir / "library_it" / "characters" / "it_hero.safetensors", arch="SDXL",
              seed=11, max_modules=3)
    status, started = _json(comfy_server, "/mad-nodes/library/rescan", data={}, method="POST")
    assert status == 202
    body = comfy_server.wait_for_library_scan(timeout=60, poll=0.2)
    assert body["last_scan"]["complete"] and body["last_scan"]["error_count"] == 0
    db = comfy_server.base_dir / "user" / "lora_weights_builder" / "library.sqlite"
    assert db.is_file()  # in ComfyUI's user directory, nothing beside the models
    assert not list(comfy_server.loras_dir.rglob("*.sqlite*"))
    status, found = _json(comfy_server, "/mad-nodes/library/search?q=it_hero")
    assert status == 200 and found["total"] == 1
    item = found["items"][0]
    assert (item["name"], item["arch"], item["role"]) == ("library_it/characters/it_hero.safetensors", "SDXL",
                                                          "character")
    status, entry = _json(comfy_server, f"/mad-nodes/library/entry/{item['id']}")
    assert status == 200 and entry["layout"] == "sdxl_unet_9"
    assert "LoRA library scan finished" in comfy_server.log_text()  # and in the console


def test_scan_progress_reaches_the_browser_websocket(comfy_server):
    async def listen() -> list[dict]:
        async with aiohttp.ClientSession() as session:  # noqa: SIM117 (the websocket must outlive the POST)
            async with session.ws_connect(f"{comfy_server.url}/ws?clientId=lwb-library-test") as ws:
                async with session.post(f"{comfy_server.url}/mad-nodes/library/rescan") as resp:
                    assert resp.status == 202
                events = []
                while True:
                    msg = await asyncio.wait_for(ws.receive(), timeout=60)
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        continue
                    data = json.loads(msg.data)
                    if data.get("type") == "lwb.library.scan":
                        events.append(data["data"])
                        if data["data"]["phase"] in ("done", "stopped", "failed"):
                            return events

    events = asyncio.run(listen())
    assert events[-1]["phase"] == "done" and events[-1]["complete"] is True


def test_profiles_in_comfyui(comfy_server):
    status, made = _json(comfy_server, "/mad-nodes/profiles",
                         data={"name": "IT profile", "layout": "flux_19_38", "weights": [0.25] * 57}, method="POST")
    assert status == 201
    status, listed = _json(comfy_server, "/mad-nodes/profiles?layout=flux_19_38")
    assert status == 200 and any(p["id"] == made["id"] and p["weights"] == [0.25] * 57 for p in listed["profiles"])
    status, problem = _json(comfy_server, "/mad-nodes/profiles",
                            data={"name": "bad", "layout": "flux_19_38", "weights": [1.0] * 3}, method="POST")
    assert status == 400 and problem["problems"] == ["weights: 3 values, layout flux_19_38 needs 57 (one per block)"]
    status, _ = _json(comfy_server, f"/mad-nodes/profiles/{made['id']}", method="DELETE")
    assert status == 200
