"""Profiles as preset templates: resolution for a LoRA's layout (routes and the pure resolver), the schedule
string that carries the resolved vector, renames, built-in names refused, CSV cells that no spreadsheet runs."""

import asyncio
import dataclasses

import pytest
from lora_weights_builder.modules.blocks.templates import TemplateError, resolve_item
from lora_weights_builder.modules.blocks.weights import effective_vector
from lora_weights_builder.modules.schedule import LoraItem, parse_schedule_string, serialize_schedule
from lora_weights_builder.routes.library_routes import LibraryRoutes
from lwb_testkit.library_index import tiny_lora
from lwb_testkit.route_app import make_route_library, routes_app

# SDXL's UNet blocks in run order, written out: the profile's value i belongs to block i.
SDXL_BLOCKS = [f"input_{i}" for i in range(9)] + ["middle_0"] + [f"output_{i}" for i in range(9)]
SOFT = [round(0.1 * i, 1) for i in range(19)]


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    lib = make_route_library(tmp_path)
    tiny_lora(lib.loras / "faces" / "face_sdxl.safetensors", arch="SDXL", seed=1)
    tiny_lora(lib.loras / "other_sd15.safetensors", arch="SD15", seed=2)
    folders = dataclasses.replace(lib.folders, user_dir=lambda: str(tmp_path / "user"))
    group = LibraryRoutes(folders)
    client = await aiohttp_client(routes_app(group))
    assert (await client.post("/mad-nodes/library/rescan")).status == 202
    assert await asyncio.to_thread(group.library.wait, 120)
    return client


async def _json(resp, status):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_a_profile_resolves_for_a_lora_of_its_layout_and_names_every_part_of_a_misfit(client):
    made = await _json(await client.post("/mad-nodes/profiles", json={
        "name": "Soft face: v2", "layout": "sdxl_unet_9", "weights": SOFT}), 201)
    templates = await _json(await client.get("/mad-nodes/profiles/templates"), 200)
    assert templates["builtin"] == ["LINEAR", "STYLE_FOCUSED", "BALANCED", "HEAVY_STYLE", "REALISM"]
    assert [(p["id"], p["name"], p["layout"]) for p in templates["profiles"]] == [
        (made["id"], "Soft face: v2", "sdxl_unet_9")]
    found = await _json(await client.get("/mad-nodes/profiles/resolve", params={
        "preset": "Soft face: v2", "lora": "faces/face_sdxl.safetensors"}), 200)
    assert found["kind"] == "profile" and found["vectors"] == dict(zip(SDXL_BLOCKS, SOFT, strict=True))
    misfit = await _json(await client.get("/mad-nodes/profiles/resolve", params={
        "preset": "Soft face: v2", "lora": "other_sd15.safetensors"}), 400)
    for part in ("profile 'Soft face: v2'", "LoRA 'other_sd15.safetensors'", "layout sdxl_unet_9", "sd_unet_12"):
        assert part in misfit["error"]
    unknown = await _json(await client.get("/mad-nodes/profiles/resolve", params={
        "preset": "Nope", "lora": "other_sd15.safetensors"}), 404)
    assert "'Nope' is neither a built-in preset" in unknown["error"]
    assert (await client.get("/mad-nodes/profiles/resolve", params={"preset": "BALANCED"})).status == 400
    builtin = await _json(await client.get("/mad-nodes/profiles/resolve", params={
        "preset": "LINEAR", "lora": "faces/face_sdxl.safetensors"}), 200)
    assert builtin["kind"] == "builtin" and builtin["vectors"] == {}


async def test_rename_validation_and_builtin_names(client):
    made = await _json(await client.post("/mad-nodes/profiles", json={
        "name": "Old", "layout": "sdxl_unet_9", "weights": SOFT}), 201)
    renamed = await _json(await client.patch(f"/mad-nodes/profiles/{made['id']}", json={"name": "New"}), 200)
    assert (renamed["name"], renamed["weights"], renamed["layout"]) == ("New", SOFT, "sdxl_unet_9")
    bad = await _json(await client.patch(f"/mad-nodes/profiles/{made['id']}", json={
        "weights": [1.0] * 18 + [float("1e400")]}), 400)
    assert "weights[18]" in bad["error"] or "not finite" in bad["error"]
    short = await _json(await client.patch(f"/mad-nodes/profiles/{made['id']}", json={"weights": [1.0] * 5}), 400)
    assert "weights: 5 values, layout sdxl_unet_9 needs 19" in short["error"]
    taken = await _json(await client.post("/mad-nodes/profiles", json={
        "name": "BALANCED", "layout": "sdxl_unet_9", "weights": SOFT}), 400)
    assert "name: BALANCED is a built-in preset" in taken["error"]
    assert (await client.patch("/mad-nodes/profiles/999999", json={"name": "x"})).status == 404
    assert (await _json(await client.get(f"/mad-nodes/profiles/{made['id']}"), 200))["name"] == "New"


async def test_csv_export_neutralises_formulas_and_import_reads_them_back(client):
    hostile = "=HYPERLINK(\"http://x\",\"y\")"
    made = await _json(await client.post("/mad-nodes/profiles", json={
        "name": hostile, "layout": "sdxl_unet_9", "weights": [-0.5] + SOFT[1:]}), 201)
    text = await (await client.get(f"/mad-nodes/profiles/{made['id']}/csv")).text()
    cells = [line.split(",", 1)[0] for line in text.splitlines()[1:]]
    assert all(c.startswith("\"'=") or c.startswith("'=") for c in cells)  # never a live formula
    assert not any(line.startswith(("=", "+", "@")) for line in text.splitlines())
    await _json(await client.delete(f"/mad-nodes/profiles/{made['id']}"), 200)
    back = await _json(await client.post("/mad-nodes/profiles/import-csv", data=text.encode()), 201)
    assert (back["name"], back["weights"]) == (hostile, [-0.5] + SOFT[1:])
    for name in ("+1", "-x", "@cmd", "'quoted", "''twice"):
        made = await _json(await client.post("/mad-nodes/profiles", json={
            "name": name, "layout": "sdxl_unet_9", "weights": SOFT}), 201)
        text = await (await client.get(f"/mad-nodes/profiles/{made['id']}/csv")).text()
        assert text.splitlines()[1].startswith("'")
        await _json(await client.delete(f"/mad-nodes/profiles/{made['id']}"), 200)
        back = await _json(await client.post("/mad-nodes/profiles/import-csv", data=text.encode()), 201)
        assert back["name"] == name


def test_resolved_template_runs_the_same_where_the_profile_does_not_exist():
    profile = {"name": "Soft face: v2", "layout": "sdxl_unet_9", "weights": SOFT}
    item = LoraItem("faces/face_sdxl.safetensors", preset="Soft face: v2", vectors={"output_8": 2.0})
    resolved = resolve_item(item, "SDXL", SDXL_BLOCKS, {"Soft face: v2": profile}.get)
    expected = {**dict(zip(SDXL_BLOCKS, SOFT, strict=True)), "output_8": 2.0}  # explicit values win
    assert resolved.vectors == expected and resolved.preset == "Soft face: v2"
    text = serialize_schedule([resolved])
    assert "preset=Soft face%3A v2:vectors=" in text
    elsewhere = parse_schedule_string(text)[0]  # another machine: no profile store at all
    again = resolve_item(elsewhere, "SDXL", SDXL_BLOCKS, lambda name: None)
    assert effective_vector("SDXL", SDXL_BLOCKS, again.preset, again.vectors) == expected
    with pytest.raises(TemplateError, match="preset 'Soft face: v2' is neither a built-in preset"):
        resolve_item(LoraItem("a.safetensors", preset="Soft face: v2"), "SDXL", SDXL_BLOCKS, lambda name: None)
    with pytest.raises(TemplateError, match="profile 'Soft face: v2' on LoRA 'f.safetensors'.*layout sdxl_unet_9"):
        resolve_item(LoraItem("f.safetensors", preset="Soft face: v2"), "FLUX.1", ["double_0"], {
            "Soft face: v2": profile}.get)
    with pytest.raises(ValueError, match="unknown preset 'Typo'"):  # an unresolved name never runs silently
        effective_vector("SDXL", SDXL_BLOCKS, "Typo", {})


def test_sd3_profile_length_picks_the_depth_variant_holding_the_loras_blocks():
    medium = {"name": "m", "layout": "sd3_joint", "weights": [0.5] * 24}
    large = {"name": "l", "layout": "sd3_joint", "weights": [0.25] * 38}
    small_lora = ["joint_0", "joint_20"]
    deep_lora = ["joint_0", "joint_30"]
    assert len(resolve_item(LoraItem("a", preset="m"), "SD3", small_lora, {"m": medium}.get).vectors) == 24
    assert len(resolve_item(LoraItem("a", preset="l"), "SD3", small_lora, {"l": large}.get).vectors) == 38
    with pytest.raises(TemplateError, match="has 24 values.*needs 38"):
        resolve_item(LoraItem("deep", preset="m"), "SD3", deep_lora, {"m": medium}.get)
