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
