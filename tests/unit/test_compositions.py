"""Composition history: the store (bounded retention, restore) and its routes on a bare aiohttp app."""

import dataclasses
import json
import os
from contextlib import closing

import pytest
from lora_weights_builder.modules.combiner.analysis import LoraAnalyzer
from lora_weights_builder.modules.library import compositions, default_db_path
from lora_weights_builder.modules.library.schema import connect
from lora_weights_builder.routes.combine_routes import CombineRoutes
from lora_weights_builder.routes.composition_routes import CompositionRoutes
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.route_app import make_route_library, routes_app


def test_retention_keeps_the_newest_records(tmp_path):
    with closing(connect(tmp_path / "db.sqlite")) as conn:
        ids = [compositions.record(conn, "node", {"loras": [{"lora_name": f"l{i}"}], "policy": "budget",
                                                  "headroom": 1.0}, {"loras": []}, now=1000.0 + i, keep=3)
               for i in range(5)]
        found = compositions.recent(conn, 10)
        assert [e["id"] for e in found] == ids[:1:-1], "the three newest, newest first"
        assert [e["inputs"]["loras"][0]["lora_name"] for e in found] == ["l4", "l3", "l2"]
        assert compositions.get(conn, ids[0]) is None
        assert compositions.restore(compositions.get(conn, ids[4])) == {
            "combiner_config": json.dumps([{"lora_name": "l4"}]), "policy": "budget", "headroom": 1.0}
        with pytest.raises(ValueError, match="source"):
            compositions.record(conn, "somewhere", {}, {})


@pytest.fixture
def lib(tmp_path):
    lib = make_route_library(tmp_path)
    make_lora(lib.loras / "characters" / "alice.safetensors", arch="SD15", seed=21)
    make_lora(lib.loras / "styles" / "ink.safetensors", arch="SD15", seed=22, text_encoder=False)
    return dataclasses.replace(lib, folders=dataclasses.replace(lib.folders, user_dir=lambda: str(tmp_path / "user")))


@pytest.fixture
async def client(aiohttp_client, lib):
    combiner = CombineRoutes(lib.folders, LoraAnalyzer())
    return await aiohttp_client(routes_app(combiner, CompositionRoutes(lib.folders, combiner)))


REQUEST = {"loras": [{"lora_name": "characters/alice.safetensors", "strength_model": 0.9, "strength_clip": 1.0},
                     {"lora_name": "ink", "strength_model": 1.2, "strength_clip": 1.0, "vectors": {"input_4": 0.5}}],
           "policy": "role_aware", "headroom": 0.8}


def model_files(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


async def test_keep_list_get_and_restore(client, lib):
    before = model_files(lib.loras.parent)
    resp = await client.post("/mad-nodes/compositions", json=REQUEST)
    kept = await resp.json()
    assert resp.status == 201, kept
    combined = await (await client.post("/mad-nodes/combine", json=REQUEST)).json()
    assert kept["source"] == "editor" and kept["inputs"] == REQUEST and kept["result"] == combined
    listed = (await (await client.get("/mad-nodes/compositions")).json())["compositions"]
    assert [(e["id"], e["source"], e["policy"], e["headroom"]) for e in listed] == [
        (kept["id"], "editor", "role_aware", 0.8)]
    assert [lo["lora_name"] for lo in listed[0]["result"]["loras"]] == ["characters/alice.safetensors",
                                                                       "styles/ink.safetensors"]
    assert await (await client.get(f"/mad-nodes/compositions/{kept['id']}")).json() == kept
    restored = await (await client.get(f"/mad-nodes/compositions/{kept['id']}/restore")).json()
    assert json.loads(restored["combiner_config"]) == REQUEST["loras"]
    assert (restored["policy"], restored["headroom"]) == ("role_aware", 0.8)
    assert model_files(lib.loras.parent) == before, "nothing is written beside the models"
    assert default_db_path(lib.folders.user_dir()).exists()


async def test_history_errors(client):
    resp = await client.post("/mad-nodes/compositions", json={"loras": [{"lora_name": "nope"}]})
    assert resp.status == 404 and "nope" in (await resp.json())["error"]
    assert (await (await client.get("/mad-nodes/compositions")).json()) == {"compositions": []}, "nothing recorded"
    for path in ("/mad-nodes/compositions/999", "/mad-nodes/compositions/abc", "/mad-nodes/compositions/1/restore"):
        assert (await client.get(path)).status == 404, path
    resp = await client.get("/mad-nodes/compositions", params={"limit": "0"})
    assert resp.status == 400 and (await resp.json())["field"] == "limit"
