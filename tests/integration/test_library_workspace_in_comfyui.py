"""The library workspace inside a real ComfyUI: tags, favourites and notes through the server, a profile
used as a preset by the loader (its values run and are written into the schedule string), and usage
recorded when a prompt runs the loader or the combiner."""

import json
import time
import urllib.parse

import pytest
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.prompt_client import preview, run_prompt

pytestmark = pytest.mark.comfy

LORA = "workspace_it/ws_face_sd15.safetensors"
OTHER = "workspace_it/ws_other_sd15.safetensors"
# SD1.5's UNet blocks in run order (input 0-11, middle, output 0-11): profile value i belongs to block i.
SD15_BLOCKS = [f"input_{i}" for i in range(12)] + ["middle_0"] + [f"output_{i}" for i in range(12)]
WEIGHTS = [round(0.05 * i, 2) for i in range(25)]


def _json(server, path, data=None, method=None):
    body = json.dumps(data).encode() if data is not None else None
    status, _, raw = server.request(path, data=body, method=method,
                                    headers={"Content-Type": "application/json"} if body else None)
    return status, json.loads(raw)


@pytest.fixture(scope="module")
def indexed(comfy_server):
    make_lora(comfy_server.loras_dir / LORA, arch="SD15", seed=31, max_modules=4)
    make_lora(comfy_server.loras_dir / OTHER, arch="SD15", seed=32, max_modules=4)
    assert _json(comfy_server, "/mad-nodes/library/rescan", data={}, method="POST")[0] == 202
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, body = _json(comfy_server, "/mad-nodes/library/status")
        if not body["scanning"] and body["last_scan"] and body["scans_started"]:
            break
        time.sleep(0.2)
    status, found = _json(comfy_server, "/mad-nodes/library/search?folder=workspace_it&page_size=10")
    assert status == 200 and found["total"] == 2
    return {i["name"]: i["id"] for i in found["items"]}


def _item(server, name):
    status, found = _json(server, "/mad-nodes/library/search?" + urllib.parse.urlencode({"folder": "workspace_it"}))
    return next(i for i in found["items"] if i["name"] == name)


def loader(item):
    return {"class_type": "MultiScheduledLoraLoader", "inputs": {"schedule_config": json.dumps([item])}}


def test_tags_favourites_notes_in_comfyui(comfy_server, indexed):
    cid = indexed[LORA]
    status, user = _json(comfy_server, f"/mad-nodes/library/entry/{cid}/user",
                         data={"favourite": True, "add_tags": ["portrait"], "note": "<i>soft</i>"}, method="PATCH")
    assert status == 200 and user["tags"] == ["portrait"] and user["note"] == "<i>soft</i>"
    status, found = _json(comfy_server, "/mad-nodes/library/search?tag=portrait&favourite=true&facets=true")
    assert [i["name"] for i in found["items"]] == [LORA] and found["facets"]["facets"]["tag"] == {"portrait": 1}
    status, bad = _json(comfy_server, f"/mad-nodes/library/entry/{cid}/user", data={"note": 5}, method="PATCH")
    assert status == 400 and bad["error"].startswith("note:")
    db = comfy_server.base_dir / "user" / "lora_weights_builder" / "library.sqlite"
    assert db.is_file() and not list(comfy_server.loras_dir.rglob("*.sqlite*"))


def test_profile_preset_runs_its_values_writes_them_and_records_usage(comfy_server, indexed):
    status, made = _json(comfy_server, "/mad-nodes/profiles", method="POST",
                         data={"name": "WS soft: face", "layout": "sd_unet_12", "weights": WEIGHTS})
    assert status == 201, made
    before = _item(comfy_server, LORA)
    item = {"lora_name": LORA, "strength_model": 1, "strength_clip": 1, "preset": "WS soft: face"}
    explicit = {**item, "preset": None, "vectors": dict(zip(SD15_BLOCKS, WEIGHTS, strict=True))}
    plain = {**item, "preset": None}
    prompt = {"a": loader(item), "b": loader(explicit), "c": loader(plain), "sa": preview("a", 2)}
    for node in "abc":
        prompt["r" + node] = {"class_type": "LoraWeightsBuilderHooksReport", "inputs": {"hooks": [node, 1]}}
        prompt["p" + node] = preview("r" + node, 0)
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    string = result.text("sa")  # as /history holds it
    assert "preset=WS soft%3A face:vectors=" in string
    written = dict(e.split("=") for e in string.split("vectors=")[1].rstrip(">").split(";"))
    assert {k: float(v) for k, v in written.items()} == dict(zip(SD15_BLOCKS, WEIGHTS, strict=True))
    reports = {n: json.loads(result.text("p" + n)) for n in "abc"}
    assert reports["a"] == reports["b"] != reports["c"]  # the profile's block values ran, as if written out
    after = _item(comfy_server, LORA)
    assert after["use_count"] == before["use_count"] + 3  # three loaders ran it
    assert after["last_used"] is not None and (before["last_used"] or 0) <= after["last_used"]
    combined = run_prompt(comfy_server, {
        "c": {"class_type": "LoraBlockWeightCombiner",
              "inputs": {"combiner_config": json.dumps([{**item, "strength_model": 0.7}]), "policy": "weighted",
                         "headroom": 1.0}},
        "p": preview("c", 3)})
    assert combined.status == "success", combined.error_message()
    assert _item(comfy_server, LORA)["use_count"] == after["use_count"] + 1
    status, ordered = _json(comfy_server, "/mad-nodes/library/search?folder=workspace_it&sort=last_used&order=desc")
    assert ordered["items"][0]["name"] == LORA


def test_a_profile_that_does_not_fit_is_a_node_error_naming_profile_and_lora(comfy_server, indexed):
    status, made = _json(comfy_server, "/mad-nodes/profiles", method="POST",
                         data={"name": "WS sdxl only", "layout": "sdxl_unet_9", "weights": [1.0] * 19})
    assert status == 201
    result = run_prompt(comfy_server, {"a": loader({"lora_name": OTHER, "preset": "WS sdxl only"}),
                                       "s": preview("a", 2)})
    assert result.status == "error"
    message = result.error_message()
    for part in ("WS sdxl only", "ws_other_sd15", "sdxl_unet_9", "sd_unet_12"):
        assert part in message


# A LoRA with modules in five known blocks (ComfyUI's names, from the factory's plan), for the combiner's profile.
PROFILED = "workspace_combiner/ws_profiled_sd15.safetensors"
PROFILED_BLOCKS = {"input_blocks.1": "input_1", "input_blocks.8": "input_8", "middle_block": "middle_0",
                   "output_blocks.3": "output_3", "output_blocks.11": "output_11"}


def combiner(item, policy="weighted"):
    return {"class_type": "LoraBlockWeightCombiner",
            "inputs": {"combiner_config": json.dumps([item]), "policy": policy, "headroom": 1.0}}


def test_combiner_config_naming_a_profile_runs_its_values_for_the_loras_layout(comfy_server):
    spec = make_lora(comfy_server.loras_dir / PROFILED, arch="SD15", seed=33, blocks=list(PROFILED_BLOCKS),
                     text_encoder=False)
    status, made = _json(comfy_server, "/mad-nodes/profiles", method="POST",
                         data={"name": "WS combiner ramp", "layout": "sd_unet_12", "weights": WEIGHTS})
    assert status == 201, made
    item = {"lora_name": PROFILED, "strength_model": 1, "strength_clip": 1}
    prompt = {"c": combiner({**item, "profile": "WS combiner ramp"}), "plain": combiner(item)}
    for node in ("c", "plain"):
        prompt["r" + node] = {"class_type": "LoraWeightsBuilderHooksReport", "inputs": {"hooks": [node, 2]}}
        prompt["p" + node] = preview("r" + node, 0)
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    # What the hook scales: each module by the profile's value for its block (SD1.5 run order, weight i on
    # block i); the factory's plan says which block each module is in. Value 1 leaves a module unscaled.
    block_of = {m.name: PROFILED_BLOCKS[next(b for b in PROFILED_BLOCKS if m.block.startswith(b))]
                for m in spec.modules}
    values = [WEIGHTS[SD15_BLOCKS.index(b)] for b in block_of.values()]
    expected = sorted([v, values.count(v)] for v in set(values) if v != 1)
    assert len(expected) == 5
    [hook] = json.loads(result.text("pc"))
    assert hook["multipliers"] == expected
    assert json.loads(result.text("pplain"))[0]["multipliers"] == []
    status, recent = _json(comfy_server, "/mad-nodes/compositions?limit=10")
    ran = next(c for c in recent["compositions"] if c["source"] == "node"
               and c["inputs"]["loras"][0]["lora_name"] == PROFILED and c["inputs"]["loras"][0].get("profile"))
    lora = ran["inputs"]["loras"][0]
    assert lora["profile"] == "WS combiner ramp"
    assert lora["vectors"] == dict(zip(SD15_BLOCKS, WEIGHTS, strict=True)), "the resolved vector is recorded"


@pytest.mark.parametrize("profile,parts", [
    ("WS combiner nowhere", ("WS combiner nowhere", "ws_profiled_sd15", "not a saved profile")),
    ("WS combiner xl", ("WS combiner xl", "ws_profiled_sd15", "sdxl_unet_9", "sd_unet_12")),
])
def test_combiner_profile_unknown_or_of_another_layout_is_a_node_error(comfy_server, profile, parts):
    make_lora(comfy_server.loras_dir / PROFILED, arch="SD15", seed=33, blocks=list(PROFILED_BLOCKS),
              text_encoder=False)
    _json(comfy_server, "/mad-nodes/profiles", method="POST",
          data={"name": "WS combiner xl", "layout": "sdxl_unet_9", "weights": [1.0] * 19})
    item = {"lora_name": PROFILED, "strength_model": 1, "strength_clip": 1, "profile": profile}
    result = run_prompt(comfy_server, {"c": combiner(item), "p": preview("c", 5)})
    assert result.status == "error"
    message = result.error_message()
    assert "LoRA Block-Weight Combiner" in message
    for part in parts:
        assert part in message, message
