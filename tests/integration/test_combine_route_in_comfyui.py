"""`POST /mad-nodes/combine` inside a real ComfyUI server: the node's results, names through ComfyUI's folders.

The node runs through /prompt and the route through HTTP on the same server, over the same LoRA files;
their schedule strings and Inspire vectors must be identical.
"""

import json

import pytest
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.prompt_client import preview, run_prompt

pytestmark = pytest.mark.comfy

LORAS = [{"lora_name": "combine_route/characters/hero.safetensors", "strength_model": 1.2, "strength_clip": 0.9},
         {"lora_name": "combine_route/styles/paint.safetensors", "strength_model": 0.8, "strength_clip": 1.0,
          "vectors": {"output_4": 0.5}},
         {"lora_name": "combine_route/styles/paint2.safetensors", "strength_model": 1.0, "strength_clip": 1.0}]


@pytest.fixture(scope="module")
def library(comfy_server):
    loras = comfy_server.loras_dir / "combine_route"
    make_lora(loras / "characters" / "hero.safetensors", arch="SD15", seed=31)
    make_lora(loras / "styles" / "paint.safetensors", arch="SD15", seed=32, text_encoder=False)
    make_lora(loras / "styles" / "paint2.safetensors", arch="SD15", seed=32, text_encoder=False, alpha=2)
    return loras


def post(server, body) -> tuple[int, dict, bytes]:
    status, _, raw = server.request("/mad-nodes/combine", data=json.dumps(body).encode(), method="POST",
                                    headers={"Content-Type": "application/json"})
    return status, json.loads(raw), raw


@pytest.mark.parametrize("policy", ["budget", "role_aware", "weighted"])
def test_route_and_node_give_identical_results(comfy_server, library, policy):
    prompt = {"c": {"class_type": "LoraBlockWeightCombiner",
                    "inputs": {"combiner_config": json.dumps(LORAS), "policy": policy, "headroom": 1.1}},
              "s": preview("c", 3), "k": preview("c", 4)}
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    status, answer, raw = post(comfy_server, {"loras": LORAS, "policy": policy, "headroom": 1.1})
    assert status == 200, answer
    assert answer["schedule_string"] == result.text("s")
    configs = result.text("k")
    vectors = [line.split(": ", 1)[1] for line in configs.split("\n") if line.startswith("block_vector: ")]
    assert vectors == [lora["inspire_vector"] for lora in answer["loras"]]
    strengths = [line.split(": ", 1)[1] for line in configs.split("\n") if line.startswith("strength_model: ")]
    assert [float(s) for s in strengths] == [lora["strength_model"] for lora in answer["loras"]]
    assert post(comfy_server, {"loras": LORAS, "policy": policy, "headroom": 1.1})[2] == raw
    if policy != "weighted":
        assert any(f < 1 for b in answer["blocks"] for f in b["factors"]), "headroom 1.1 cuts the aligned pair"


def test_route_errors_in_comfyui(comfy_server, library):
    status, answer, _ = post(comfy_server, {"loras": [{"lora_name": "combine_route/nope.safetensors"}]})
    assert status == 404 and "nope" in answer["error"] and answer["field"] == "loras[0].lora_name"
    status, answer, _ = post(comfy_server, {"loras": [{"lora_name": "../../../etc/passwd"}]})
    assert status == 400 and answer["field"] == "loras[0].lora_name"
    status, answer, _ = post(comfy_server, {"loras": LORAS, "policy": "nope"})
    assert (status, answer["field"]) == (400, "policy")
    status, _, raw = comfy_server.request("/mad-nodes/combine", data=b'{"loras": [{"lora_name": "x", '
                                          b'"strength_model": NaN}]}', method="POST")
    assert status == 400 and b"NaN" in raw


def schedule_vectors(line: str) -> dict[str, float]:
    """{block: value} of one schedule-string line's `vectors=` field (absent blocks are 1)."""
    field = next((f for f in line.rstrip(">").split(":") if f.startswith("vectors=")), "vectors=")
    return {k: float(v) for k, v in (e.split("=") for e in field[len("vectors="):].split(";") if e)}


def test_role_aware_through_the_node_and_the_route_keeps_the_character_in_identity_blocks(comfy_server, library):
    loras = [{**LORAS[0], "strength_model": 0.9}, *LORAS[1:]]  # the character alone fits every budget
    prompt = {"c": {"class_type": "LoraBlockWeightCombiner",
                    "inputs": {"combiner_config": json.dumps(loras), "policy": "role_aware", "headroom": 1.0}},
              "s": preview("c", 3)}
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    hero, paint, paint2 = (schedule_vectors(line) for line in result.text("s").split("\n"))
    status, answer, _ = post(comfy_server, {"loras": loras, "policy": "role_aware", "headroom": 1.0})
    assert status == 200 and [lo["role"] for lo in answer["loras"]] == ["character", "style", "style"]
    identity_cut = style_cut = 0
    for block in answer["blocks"]:
        f_hero, f_paint, f_paint2 = block["factors"]
        styles_can_absorb = block["requested_norms"][0] < block["budget"]  # the character alone fits
        if block["group"] == "IDENTITY" and min(block["factors"]) < 1 and styles_can_absorb:
            identity_cut += 1
            assert f_hero == 1.0 and max(f_paint, f_paint2) < 1, block["block_id"]
            assert block["block_id"] not in hero, "the node's character LoRA keeps the block at full value"
            assert paint[block["block_id"]] < LORAS[1]["vectors"].get(block["block_id"], 1.0)
        if block["group"] == "STYLE" and min(block["factors"]) < 1:
            style_cut += 1
            assert f_hero <= min(f_paint, f_paint2), block["block_id"]
    assert identity_cut and style_cut, "headroom 1 must cut identity and style blocks"


def test_lora_stack_output_chains_into_the_lora_stack_input(comfy_server, library):
    """The combiner's and the loader's LORA_STACK outputs feed another combiner's LORA_STACK input."""
    weighted = [{**lo, "vectors": {}} for lo in LORAS]
    loader_config = [{"lora_name": LORAS[0]["lora_name"], "strength_model": 0.7, "strength_clip": 0.4}]
    prompt = {
        "a": {"class_type": "LoraBlockWeightCombiner",
              "inputs": {"combiner_config": json.dumps(weighted), "policy": "weighted", "headroom": 1.5}},
        "b": {"class_type": "LoraBlockWeightCombiner",
              "inputs": {"combiner_config": "[]", "policy": "weighted", "headroom": 1.5, "lora_stack": ["a", 6]}},
        "l": {"class_type": "MultiScheduledLoraLoader", "inputs": {"schedule_config": json.dumps(loader_config)}},
        "c": {"class_type": "LoraBlockWeightCombiner",
              "inputs": {"combiner_config": "[]", "policy": "weighted", "headroom": 1.5, "lora_stack": ["l", 4]}},
        "sb": preview("b", 3), "sc": preview("c", 3),
    }
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    expected = [f"<lora:{lo['lora_name'].rsplit('/', 1)[1].removesuffix('.safetensors')}:"
                f"{lo['strength_model']:g}:{lo['strength_clip'] if 'hero' in lo['lora_name'] else 0:g}:0,1;1,1>"
                for lo in weighted]
    assert result.text("sb").split("\n") == expected, "UNet-only LoRAs carry strength_clip 0"
    assert result.text("sc") == "<lora:hero:0.7:0.4:0,1;1,1>"


def test_node_runs_are_recorded_and_restore_to_the_same_result(comfy_server, library):
    def model_files():
        root = comfy_server.loras_dir
        return sorted(str(p.relative_to(root)) for p in root.rglob("*"))

    before = model_files()
    prompt = {"c": {"class_type": "LoraBlockWeightCombiner",
                    "inputs": {"combiner_config": json.dumps(LORAS), "policy": "interference", "headroom": 1.37}},
              "s": preview("c", 3)}
    first = run_prompt(comfy_server, prompt)
    assert first.status == "success", first.error_message()
    listed = comfy_server.get_json("/mad-nodes/compositions?limit=500")["compositions"]
    mine = [e for e in listed if e["source"] == "node" and e["headroom"] == 1.37]
    assert len(mine) == 1 and mine[0]["policy"] == "interference"
    assert [lo["lora_name"] for lo in mine[0]["inputs"]["loras"]] == [lo["lora_name"] for lo in LORAS]
    full = comfy_server.get_json(f"/mad-nodes/compositions/{mine[0]['id']}")
    assert full["result"]["schedule_string"] == first.text("s")
    restored = comfy_server.get_json(f"/mad-nodes/compositions/{mine[0]['id']}/restore")
    again = run_prompt(comfy_server, {"c": {"class_type": "LoraBlockWeightCombiner",
                                            "inputs": {"combiner_config": restored["combiner_config"],
                                                       "policy": restored["policy"],
                                                       "headroom": restored["headroom"] + 0.0}},
                                      "s": preview("c", 3)})
    assert again.status == "success", again.error_message()
    assert again.text("s") == first.text("s"), "the restored configuration gives the same result"
    assert model_files() == before, "nothing is written beside the models"
