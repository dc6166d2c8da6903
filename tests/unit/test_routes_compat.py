"""GET /mad-nodes/check-compatibility on a bare aiohttp app: seed 004's bodies, names only through the listing."""

import json

import pytest
from lora_weights_builder.modules.arch.ids import base_family
from lora_weights_builder.modules.inspection.cache import shared_cache
from lora_weights_builder.routes.compat_routes import CompatRoutes
from lwb_testkit.lora_factory import make_checkpoint_stub, make_lora
from lwb_testkit.route_app import make_route_library, routes_app

NOT_FOUND = {"status": "error", "message": "Checkpoint not found"}


@pytest.fixture(autouse=True)
def empty_cache():
    shared_cache().clear()


@pytest.fixture
def lib(tmp_path):
    lib = make_route_library(tmp_path)
    make_checkpoint_stub(lib.checkpoints / "sdxl_base.safetensors", "SDXL")
    make_checkpoint_stub(lib.checkpoints / "sd15.safetensors", "SD15")
    make_checkpoint_stub(lib.checkpoints / "flux_dev.safetensors", "FLUX.1")
    make_lora(lib.loras / "pony.safetensors", arch="SDXL", seed=1, metadata={"ss_base_model_version": "sdxl_base_v1-0",
                                                                            "ss_sd_model_name": "ponyDiffusionV6XL"})
    make_lora(lib.loras / "flux_style.safetensors", arch="FLUX.1", seed=2)
    return lib


async def check(client, **params):
    resp = await client.get("/mad-nodes/check-compatibility", params=params)
    return resp.status, json.loads(await resp.text())


@pytest.fixture
async def client(aiohttp_client, lib):
    return await aiohttp_client(routes_app(CompatRoutes(lib.folders)))


async def test_lineage_lora_on_its_family_checkpoint_is_compatible(client):
    status, body = await check(client, ckpt_name="sdxl_base.safetensors", lora_name="pony.safetensors")
    assert status == 200
    assert body == {"status": "ok", "ckpt_arch": "SDXL", "lora_arch": "SDXL_PONY", "compatible": True, "message": ""}


async def test_family_mismatch_is_explained(client):
    _, body = await check(client, ckpt_name="sd15.safetensors", lora_name="flux_style.safetensors")
    assert (body["ckpt_arch"], body["lora_arch"], body["compatible"]) == ("SD15", "FLUX.1", False)
    assert "FLUX" in body["message"] and "SD15" in body["message"]
    _, body = await check(client, ckpt_name="flux_dev.safetensors", lora_name="flux_style.safetensors")
    assert body["compatible"] is True


async def test_missing_or_unknown_lora_is_incompatible_with_a_message(client, lib):
    (lib.loras / "broken.safetensors").write_bytes(b"\x01")
    for lora, words in [(None, "No LoRA"), ("nope.safetensors", "not found"), ("../x.safetensors", "not found"),
                        ("broken.safetensors", "Cannot read")]:
        params = {"ckpt_name": "sdxl_base.safetensors"} | ({"lora_name": lora} if lora else {})
        status, body = await check(client, **params)
        assert status == 200
        assert (body["status"], body["ckpt_arch"], body["lora_arch"], body["compatible"]) == ("ok", "SDXL", "UNKNOWN",
                                                                                             False)
        assert words in body["message"], body
        assert str(lib.loras) not in body["message"]


async def test_checkpoint_not_found_bodies(client, lib):
    (lib.outside / "real.safetensors").write_bytes(b"x")
    assert await check(client, ckpt_name="nope.safetensors") == (404, NOT_FOUND)
    assert await check(client, ckpt_name="pony.safetensors") == (404, NOT_FOUND)  # a LoRA is not a checkpoint
    for params in ({}, {"ckpt_name": str(lib.outside / "real.safetensors")},
                   {"ckpt_name": "../../outside/real.safetensors"},
                   {"ckpt_name": "~/real.safetensors"}):
        status, body = await check(client, **params)
        assert status == 400 and {k: body[k] for k in NOT_FOUND} == NOT_FOUND and body["detail"]


async def test_unreadable_checkpoint_is_unknown_not_an_error(client, lib):
    (lib.checkpoints / "old.ckpt").write_bytes(b"PK\x03\x04 pickle zip")
    status, body = await check(client, ckpt_name="old.ckpt", lora_name="pony.safetensors")
    assert (status, body["status"], body["ckpt_arch"], body["compatible"]) == (200, "ok", "UNKNOWN", False)
    assert "old.ckpt" in body["message"] and str(lib.checkpoints) not in body["message"]


@pytest.mark.parametrize("arch,family", [
    ("SDXL_ILLUSTRIOUS", "SDXL"), ("SDXL", "SDXL"), ("FLUX.1", "FLUX.1"), ("Flux.1 D", "FLUX.1"),
    ("SDXL 1.0", "SDXL"), ("ZIMAGETURBO", "ZIMAGETURBO"), ("FLUX.2", "FLUX.2"), ("SD15", "SD15"),
    ("SD21", "SD21"), ("SD3", "SD3"), ("WAN", "WAN"),
])
def test_seed_family_normalisation(arch, family):
    assert base_family(arch) == family
