"""`POST /mad-nodes/combine` on a bare aiohttp app over temporary model folders and a user directory."""

import asyncio
import dataclasses
import json
import threading
from contextlib import closing

import pytest
from lora_weights_builder.modules.blocks.energy import load_factors
from lora_weights_builder.modules.combiner.analysis import LoraAnalyzer
from lora_weights_builder.modules.library import default_db_path
from lora_weights_builder.modules.library.profiles import create_profile, layout_blocks
from lora_weights_builder.modules.library.schema import connect
from lora_weights_builder.routes.combine_routes import CombineRoutes
from lora_weights_builder.routes.config_routes import ConfigRoutes
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.route_app import make_route_library, routes_app

ANSWER_KEYS = ["response_schema_version", "policy", "headroom", "family", "verdicts", "loras", "blocks",
               "schedule_string"]
LORA_KEYS = {"lora_name", "strength_model", "strength_clip", "block_values", "inspire_vector", "slot_labels"}
BLOCK_KEYS = {"block_id", "budget", "requested_norm", "achieved_norm", "cosines"}


@pytest.fixture
def lib(tmp_path):
    lib = make_route_library(tmp_path)
    make_lora(lib.loras / "characters" / "alice.safetensors", arch="SD15", seed=21)
    make_lora(lib.loras / "styles" / "ink.safetensors", arch="SD15", seed=22, text_encoder=False)
    make_lora(lib.loras / "xl.safetensors", arch="SDXL", seed=23)
    (lib.outside / "secret.safetensors").write_bytes(b"not a lora")
    return dataclasses.replace(lib, folders=dataclasses.replace(lib.folders, user_dir=lambda: str(tmp_path / "user")))


@pytest.fixture
async def client(aiohttp_client, lib):
    return await aiohttp_client(routes_app(CombineRoutes(lib.folders, LoraAnalyzer()), ConfigRoutes(lib.folders)))


def body(*loras, **extra):
    return {"loras": list(loras), **extra}


ALICE = {"lora_name": "characters/alice.safetensors", "strength_model": 0.9, "strength_clip": 1.0}
INK = {"lora_name": "ink", "strength_model": 1.1, "strength_clip": 0.7}
XL = {"lora_name": "xl.safetensors", "strength_model": 1.0, "strength_clip": 1.0}


async def post(client, data) -> tuple[int, dict, bytes]:
    resp = await client.post("/mad-nodes/combine", data=data if isinstance(data, (bytes, str)) else json.dumps(data),
                             headers={"Content-Type": "application/json"})
    raw = await resp.read()
    return resp.status, json.loads(raw), raw


async def test_answer_shape_and_same_bytes_for_the_same_request(client):
    status, answer, raw = await post(client, body(ALICE, INK, XL, policy="budget", headroom=1.0))
    assert status == 200, answer
    assert list(answer) == ANSWER_KEYS and answer["response_schema_version"] == 1
    assert [lo["lora_name"] for lo in answer["loras"]] == ["characters/alice.safetensors", "styles/ink.safetensors",
                                                            "xl.safetensors"]
    assert all(set(lo) >= LORA_KEYS for lo in answer["loras"])
    alice, ink, xl = answer["loras"]
    assert alice["included"] and ink["included"] and not xl["included"]
    assert xl["excluded_reason"].startswith("base_model_mismatch") and xl["inspire_vector"] is None
    assert [v["code"] for v in answer["verdicts"]] == ["base_model_mismatch"]
    assert len(alice["inspire_vector"].split(",")) == 17 == len(alice["slot_labels"]), "SD1.5: BASE + 16 slots"
    assert ink["strength_clip"] == 0, "UNet-only LoRA"
    assert set(alice["block_values"]) >= {"input_1", "output_11"}
    assert answer["blocks"] and all(set(b) >= BLOCK_KEYS for b in answer["blocks"])
    for block in answer["blocks"]:
        assert block["achieved_norm"] <= block["budget"] * 1.001 + 1e-9, block["block_id"]
        n = len(block["loras"])
        assert len(block["cosines"]) == n and all(len(row) == n for row in block["cosines"])
    assert any(f < 1 for b in answer["blocks"] for f in b["factors"]), "headroom 1 must cut some block"
    lines = answer["schedule_string"].split("\n")
    assert [line.split(":")[1] for line in lines] == ["alice", "ink"]
    again = await post(client, body(ALICE, INK, XL, policy="budget", headroom=1.0))
    assert again[2] == raw, "same request, same bytes"


async def test_the_default_policy_is_interference(client):
    status, answer, _ = await post(client, body(ALICE, INK))
    assert status == 200 and (answer["policy"], answer["headroom"]) == ("interference", 1.5)


async def test_weighted_policy_returns_the_request(client):
    alice = {**ALICE, "vectors": {"input_4": 0.5, "output_11": -1.25}}
    status, answer, _ = await post(client, body(alice, INK, policy="weighted"))
    assert status == 200, answer
    got = answer["loras"][0]
    assert (got["strength_model"], got["strength_clip"]) == (0.9, 1.0)
    assert got["block_values"]["input_4"] == 0.5 and got["block_values"]["output_11"] == -1.25
    assert got["block_values"]["input_1"] == 1.0
    assert all(f == 1.0 for b in answer["blocks"] for f in b["factors"])


async def test_saved_profile_fills_the_vector_and_explicit_values_win(client, lib):
    blocks = layout_blocks("sd_unet_12")[25]
    weights = [round(0.1 * (i + 1), 2) for i in range(len(blocks))]
    with closing(connect(default_db_path(lib.folders.user_dir()))) as conn:
        create_profile(conn, {"name": "ramp", "layout": "sd_unet_12", "weights": weights})
    alice = {**ALICE, "profile": "ramp", "vectors": {"input_4": 2.0}}
    status, answer, _ = await post(client, body(alice, policy="weighted"))
    assert status == 200, answer
    values = answer["loras"][0]["block_values"]
    assert values["input_4"] == 2.0
    present = [b for b in blocks if b in values and b != "input_4"]
    assert len(present) >= 10 and [values[b] for b in present] == [weights[blocks.index(b)] for b in present]
    status, answer, _ = await post(client, body({**ALICE, "preset": "ramp"}, policy="weighted"))
    assert status == 200, answer
    templated = answer["loras"][0]["block_values"]
    assert [templated[b] for b in present] == [weights[blocks.index(b)] for b in present], "preset=<profile>"
    status, answer, _ = await post(client, body({**ALICE, "profile": "nope"}))
    assert (status, answer["field"]) == (404, "loras[0].profile") and "nope" in answer["error"]


async def test_profile_by_name_alone_is_resolved_for_the_loras_layout_and_named_in_the_answer(client, lib):
    blocks = layout_blocks("sd_unet_12")[25]
    weights = [round(0.04 * i, 2) for i in range(len(blocks))]
    with closing(connect(default_db_path(lib.folders.user_dir()))) as conn:
        create_profile(conn, {"name": "steps", "layout": "sd_unet_12", "weights": weights})
        create_profile(conn, {"name": "xl only", "layout": "sdxl_unet_9", "weights": [0.5] * 19})
    status, answer, _ = await post(client, body({**ALICE, "profile": "steps"}, policy="weighted"))
    assert status == 200, answer
    requested = answer["loras"][0]["requested"]
    assert requested["profile"] == "steps"
    main = {b: v for b, v in requested["block_values"].items() if b in blocks}
    assert len(main) >= 10 and main == {b: weights[blocks.index(b)] for b in main}, "the profile's value per block"
    status, answer, _ = await post(client, body({**ALICE, "profile": "xl only"}))
    assert (status, answer["field"]) == (400, "loras[0].profile"), answer
    for part in ("xl only", "alice", "sdxl_unet_9", "sd_unet_12"):
        assert part in answer["error"], answer
    # a workflow from a machine where the profile exists: the values written with it run
    written = {"input_4": 0.25, "output_11": 0.75}
    status, answer, _ = await post(client, body({**ALICE, "profile": "elsewhere", "vectors": written},
                                               policy="weighted"))
    assert status == 200, answer
    assert {b: answer["loras"][0]["block_values"][b] for b in written} == written


@pytest.mark.parametrize("request_body,status,field,words", [
    (body({"lora_name": "missing.safetensors"}), 404, "loras[0].lora_name", "missing.safetensors"),
    (body({"lora_name": "../outside/secret.safetensors"}), 400, "loras[0].lora_name", ".."),
    (body({"lora_name": "/etc/passwd"}), 400, "loras[0].lora_name", "absolute"),
    (body({**ALICE, "strength_model": 1e9}), 400, "loras[0].strength_model", "out of range"),
    (body({**ALICE, "strength_clip": "1"}), 400, "loras[0].strength_clip", "expected a number"),
    (body({**ALICE, "vectors": {"input_4": True}}), 400, "loras[0].vectors.input_4", "expected a number"),
    (body({**ALICE, "vectors": {"in put": 1}}), 400, "loras[0].vectors", "in put"),
    (body({**ALICE, "vectors": {"input_99": 1}}), 400, None, "input_99"),
    (body(ALICE, policy="loudest"), 400, "policy", "loudest"),
    (body(ALICE, headroom=0), 400, "headroom", "out of range"),
    (body(ALICE, mode="x"), 400, "body", "'mode'"),
    (body({**ALICE, "strenght_model": 1}), 400, "loras[0]", "strenght_model"),
    (body(*[ALICE] * 33), 400, "loras", "33"),
    ({"loras": {}}, 400, "loras", "list"),
    ([ALICE], 400, "body", "object"),
])
async def test_bad_requests_are_4xx_naming_the_problem(client, request_body, status, field, words):
    got_status, answer, _ = await post(client, request_body)
    assert got_status == status, answer
    assert answer["field"] == field and words in answer["error"], answer


@pytest.mark.parametrize("text,words", [
    ('{"loras": [{"lora_name": "ink", "strength_model": NaN}]}', "NaN"),
    ('{"loras": [{"lora_name": "ink", "strength_model": -Infinity}]}', "Infinity"),
    ('{"loras": [', "not JSON"),
])
async def test_non_finite_numbers_and_broken_json_are_refused(client, text, words):
    status, answer, _ = await post(client, text)
    assert status == 400 and words in answer["error"], answer


async def test_the_maths_runs_off_the_event_loop(aiohttp_client, lib):
    started, release = threading.Event(), threading.Event()

    def blocking_load(path, arch):
        started.set()
        assert release.wait(60)
        return load_factors(path, arch)

    client = await aiohttp_client(routes_app(CombineRoutes(lib.folders, LoraAnalyzer(load=blocking_load)),
                                             ConfigRoutes(lib.folders)))
    combining = asyncio.ensure_future(post(client, body(ALICE, INK)))
    assert await asyncio.to_thread(started.wait, 60)
    resp = await client.get("/mad-nodes/config")
    assert resp.status == 200, "another route answers while a combine is computing"
    assert not combining.done()
    release.set()
    status, answer, _ = await combining
    assert status == 200 and len(answer["loras"]) == 2
