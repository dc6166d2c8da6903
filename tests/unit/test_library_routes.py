"""Library and profile routes on a bare aiohttp app over temporary model folders and user directory."""

import asyncio
import dataclasses

import pytest
from lora_weights_builder.routes.library_routes import LibraryRoutes
from lwb_testkit.demo_library import make_demo_library
from lwb_testkit.route_app import make_route_library, routes_app


@pytest.fixture
def lib(tmp_path):
    lib = make_route_library(tmp_path)
    make_demo_library(lib.loras)
    return lib


@pytest.fixture
async def client(aiohttp_client, lib, tmp_path):
    events = []
    folders = dataclasses.replace(lib.folders, user_dir=lambda: str(tmp_path / "user"),
                                  notify=lambda event, data: events.append(event))
    group = LibraryRoutes(folders)
    group.library.energy_backlog.pause()  # these tests are about the index; the energy test resumes it
    client = await aiohttp_client(routes_app(group))
    client.events = events
    client.group = group
    return client


async def _scanned(client):
    resp = await client.post("/mad-nodes/library/rescan")
    assert resp.status == 202
    await asyncio.to_thread(client.group.library.wait, 60)


async def test_search_filters_sort_and_pages(client):
    await _scanned(client)
    resp = await client.get("/mad-nodes/library/search", params={"family": "SDXL", "sort": "name", "page_size": "2"})
    body = await resp.json()
    assert resp.status == 200 and body["total"] == 6 and len(body["items"]) == 2
    assert [i["name"] for i in body["items"]] == sorted((i["name"] for i in body["items"]), key=str.casefold)
    page3 = await (await client.get("/mad-nodes/library/search",
                                    params={"family": "SDXL", "page_size": "2", "page": "3"})).json()
    assert len(page3["items"]) == 2 and not {i["id"] for i in page3["items"]} & {i["id"] for i in body["items"]}
    styles = await (await client.get("/mad-nodes/library/search", params={"role": "style", "clip": "true"})).json()
    assert [i["name"] for i in styles["items"]] == ["styles/watercolor_sdxl_lokr.safetensors"]
    words = await (await client.get("/mad-nodes/library/search", params={"q": "kimo"})).json()
    assert [i["name"] for i in words["items"]] == ["characters/aiko_sdxl.safetensors"]  # trigger word prefix
    lokr = await (await client.get("/mad-nodes/library/search",
                                   params={"format": "lokr", "sort": "size", "order": "desc"})).json()
    assert [i["size"] for i in lokr["items"]] == sorted((i["size"] for i in lokr["items"]), reverse=True)
    assert "lwb.library.scan" in client.events


async def test_bad_search_parameters_are_all_named(client):
    resp = await client.get("/mad-nodes/library/search", params={"sort": "nope", "page": "0", "role": "hero",
                                                                  "zzz": "1"})
    assert resp.status == 400
    error = (await resp.json())["error"]
    for part in ("unknown parameter 'zzz'", "sort='nope'", "page=0", "role: unknown 'hero'"):
        assert part in error


async def test_entry_energy_and_csv(client):
    await _scanned(client)
    items = (await (await client.get("/mad-nodes/library/search", params={"q": "ranger"})).json())["items"]
    cid = items[0]["id"]
    entry = await (await client.get(f"/mad-nodes/library/entry/{cid}")).json()
    assert entry["names"] == ["characters/ranger_sd15.safetensors"] and entry["energy_status"] == "pending"
    energy = await (await client.get(f"/mad-nodes/library/entry/{cid}/energy")).json()
    assert energy["status"] == "done" and abs(sum(energy["stats"]["energy_distribution"].values()) - 1) < 1e-9
    assert (await (await client.get(f"/mad-nodes/library/entry/{cid}")).json())["energy_status"] == "done"
    csv_resp = await client.get(f"/mad-nodes/library/entry/{cid}/energy.csv")
    lines = (await csv_resp.text()).splitlines()
    assert csv_resp.content_type == "text/csv" and lines[0] == "block,label,tag,energy_share,norm"
    assert len(lines) == 1 + len(energy["stats"]["energy_distribution"])
    assert (await client.get("/mad-nodes/library/entry/" + "0" * 32)).status == 404
    assert (await client.get("/mad-nodes/library/entry/../../etc")).status == 404


async def test_status_lazily_starts_the_first_scan(client):
    body = await (await client.get("/mad-nodes/library/status")).json()
    assert body["scans_started"] == 1
    await asyncio.to_thread(client.group.library.wait, 60)
    body = await (await client.get("/mad-nodes/library/status")).json()
    assert body["index"]["total"] == 20 and body["last_scan"]["complete"] and body["scans_started"] == 1


async def test_profiles_crud_and_csv(client):
    weights = [1.0] * 25
    resp = await client.post("/mad-nodes/profiles", json={"name": "<img src=x>", "layout": "sd_unet_12",
                                                           "weights": weights})
    assert resp.status == 201
    made = await resp.json()
    assert made["name"] == "<img src=x>"  # returned as data, never as markup
    dup = await client.post("/mad-nodes/profiles", json={"name": "<img src=x>", "layout": "sd_unet_12",
                                                         "weights": weights})
    assert dup.status == 409
    bad = await client.post("/mad-nodes/profiles", json={"name": "b", "layout": "sd_unet_12", "weights": [1.0]})
    assert bad.status == 400 and (await bad.json())["problems"] == [
        "weights: 1 values, layout sd_unet_12 needs 25 (one per block)"]
    edited = await client.put(f"/mad-nodes/profiles/{made['id']}",
                              json={"name": "Edited", "layout": "sd_unet_12", "weights": [0.5] * 25})
    assert edited.status == 200 and (await edited.json())["weights"] == [0.5] * 25
    csv_text = await (await client.get(f"/mad-nodes/profiles/{made['id']}/csv")).text()
    imported = await client.post("/mad-nodes/profiles/import-csv", params={"name": "Imported"}, data=csv_text)
    assert imported.status == 201 and (await imported.json())["weights"] == [0.5] * 25
    listed = await (await client.get("/mad-nodes/profiles", params={"layout": "sd_unet_12"})).json()
    assert [p["name"] for p in listed["profiles"]] == ["Edited", "Imported"]
    assert (await client.delete(f"/mad-nodes/profiles/{made['id']}")).status == 200
    assert (await client.get(f"/mad-nodes/profiles/{made['id']}")).status == 404
    layouts = await (await client.get("/mad-nodes/profiles/layouts")).json()
    assert layouts["sd3_joint"]["lengths"] == [24, 38]


async def test_without_user_directory_the_library_answers_503(aiohttp_client, lib):
    client = await aiohttp_client(routes_app(LibraryRoutes(lib.folders)))
    resp = await client.get("/mad-nodes/library/search")
    assert resp.status == 503 and "no user directory" in (await resp.json())["error"]


async def test_search_sees_a_lora_added_after_the_last_scan(client, lib):
    """A file ComfyUI lists but the index has not seen is found by the next search, without a manual rescan."""
    from lwb_testkit.lora_factory import make_lora

    await _scanned(client)
    before = await (await client.get("/mad-nodes/library/search", params={"q": "freshly_added"})).json()
    assert before["total"] == 0
    make_lora(lib.loras / "styles" / "freshly_added.safetensors", arch="SD15", seed=5)
    after = await (await client.get("/mad-nodes/library/search", params={"q": "freshly_added"})).json()
    assert [i["name"] for i in after["items"]] == ["styles/freshly_added.safetensors"]
    unchanged = client.group.library.status()
    await client.get("/mad-nodes/library/search", params={"q": "x"})
    assert client.group.library.status() == unchanged, "an unchanged listing starts no scan"


async def test_background_energy_can_be_paused_and_resumed_over_http(client):
    await client.post("/mad-nodes/library/energy/resume")
    paused = await (await client.post("/mad-nodes/library/energy/pause")).json()
    assert paused["paused"] is True
    await _scanned(client)
    status = await (await client.get("/mad-nodes/library/status")).json()
    assert status["energy"]["paused"] is True and status["energy"]["stored"] == {"done": 0, "failed": 0}
    resumed = await (await client.post("/mad-nodes/library/energy/resume")).json()
    assert resumed["paused"] is False
    await asyncio.to_thread(client.group.library.energy_backlog.wait, 600)
    status = await (await client.get("/mad-nodes/library/energy/status")).json()
    assert status["stored"]["done"] > 0 and status["running"] is False
    assert "lwb.library.energy" in client.events
    retry = await (await client.post("/mad-nodes/library/energy/retry-failed")).json()
    assert retry["retrying"] == status["stored"]["failed"]
