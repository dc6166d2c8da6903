"""`GET /mad-nodes/library/entry/{id}/sidecar` on a bare aiohttp app: a sidecar's texts for the detail view."""

import asyncio
import dataclasses
import json

import pytest
from lora_weights_builder.routes.library_routes import LibraryRoutes
from lora_weights_builder.routes.library_sidecar_routes import LibrarySidecarRoutes
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.route_app import make_route_library, routes_app
from lwb_testkit.sidecars import write_sidecars

HOSTILE = '<p>Ink <b>wash</b></p><script>alert(1)</script>'


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    lib = make_route_library(tmp_path)
    described = make_lora(lib.loras / "styles" / "ink.safetensors", "SDXL")
    write_sidecars(described.path, "SDXL", description=HOSTILE, preview=None)
    make_lora(lib.loras / "plain.safetensors", "SD15")
    broken = make_lora(lib.loras / "broken.safetensors", "SD15", seed=2)
    broken.path.with_suffix(".metadata.json").write_text("{not json")
    # a sidecar that links outside the LoRA's folder is never read
    (lib.outside / "secret.json").write_text(json.dumps({"modelDescription": "secret"}))
    linked = make_lora(lib.loras / "linked.safetensors", "SD15", seed=3)
    linked.path.with_suffix(".metadata.json").symlink_to(lib.outside / "secret.json")
    folders = dataclasses.replace(lib.folders, user_dir=lambda: str(tmp_path / "user"), notify=lambda e, d: None)
    group = LibraryRoutes(folders)
    client = await aiohttp_client(routes_app(group, LibrarySidecarRoutes(group)))
    assert (await client.post("/mad-nodes/library/rescan")).status == 202
    await asyncio.to_thread(group.library.wait, 60)
    client.ids = {i["name"]: i["id"] for i in (await (await client.get("/mad-nodes/library/search")).json())["items"]}
    return client


async def _sidecar(client, name):
    resp = await client.get(f"/mad-nodes/library/entry/{client.ids[name]}/sidecar")
    return resp.status, await resp.json()


async def test_description_is_returned_as_raw_text_data(client):
    status, body = await _sidecar(client, "styles/ink.safetensors")
    assert status == 200
    assert body["description"] == HOSTILE, "returned as data; the browser turns it into plain text"
    assert body["sidecar"] == "ink.metadata.json" and body["error"] is None
    assert body["name"] == "styles/ink.safetensors"


async def test_no_sidecar_broken_sidecar_and_linked_sidecar(client):
    status, body = await _sidecar(client, "plain.safetensors")
    assert status == 200 and body["sidecar"] is None and body["description"] == ""
    status, body = await _sidecar(client, "broken.safetensors")
    assert status == 200 and "not valid JSON" in body["error"] and body["description"] == ""
    status, body = await _sidecar(client, "linked.safetensors")
    assert status == 200 and body["description"] == "" and "secret" not in json.dumps(body)


async def test_unknown_and_malformed_ids_are_404(client):
    for cid in ("0" * 32, "not-an-id", "ABC"):
        resp = await client.get(f"/mad-nodes/library/entry/{cid}/sidecar")
        assert resp.status == 404
        assert "no library entry" in (await resp.json())["error"]
