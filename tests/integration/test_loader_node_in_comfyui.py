"""The Multi Scheduled LoRA Loader through /prompt in a real ComfyUI: modes, outputs, errors."""

import json

import pytest
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.prompt_client import preview, run_prompt

pytestmark = pytest.mark.comfy


@pytest.fixture(scope="module")
def library(comfy_server):
    loras = comfy_server.loras_dir
    make_lora(loras / "modes" / "modes_ink.safetensors", arch="SD15", seed=11)
    make_lora(loras / "modes" / "modes_alice.safetensors", arch="SD15", seed=12)
    (loras / "modes" / "modes_ink.metadata.json").write_text(json.dumps({"civitai": {"trainedWords": ["ink wash"]}}))
    (loras / "modes" / "modes_alice.metadata.json").write_text(json.dumps({"trainedWords": ["alice", "blue dress"]}))
    return loras


def loader(config="[]", string_from=None, hooks_from=None):
    inputs = {"schedule_config": json.dumps(config) if not isinstance(config, str) else config}
    if string_from:
        inputs["schedule_string"] = [string_from, 0]
    if hooks_from:
        inputs["previous_hooks"] = [hooks_from, 0]
    return {"class_type": "MultiScheduledLoraLoader", "inputs": inputs}


INK = {"lora_name": "modes/modes_ink.safetensors", "strength_model": 0.8, "strength_clip": 1, "enabled": True,
       "points": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]}
UPSTREAM = "<lora:modes_alice:1:0.5>\na prompt line that is not a LoRA"


def base_nodes():
    return {
        "s": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": UPSTREAM}},
        "h": {"class_type": "CreateHookLora",
              "inputs": {"lora_name": "modes/modes_alice.safetensors", "strength_model": 1.0, "strength_clip": 1.0}},
    }


def run_loader(server, node, with_report=True):
    prompt = {**base_nodes(), "n": node, "out_string": preview("n", 2), "out_triggers": preview("n", 3)}
    if with_report:
        prompt["r"] = {"class_type": "LoraWeightsBuilderHooksReport", "inputs": {"hooks": ["n", 1]}}
        prompt["out_report"] = preview("r", 0)
    result = run_prompt(server, prompt)
    assert result.status == "success", result.error_message()
    report = json.loads(result.text("out_report")) if with_report else None
    return result.text("out_string"), result.text("out_triggers"), report


def test_standard_mode(comfy_server, library):
    string, triggers, report = run_loader(comfy_server, loader([INK]))
    assert string.startswith("<lora:modes_ink:0.8:1:0,0;")
    assert string.endswith(";1,1>")
    assert triggers == "ink wash"
    assert len(report) == 1
    assert report[0]["strength_model"] == 0.8
    ramp = report[0]["keyframes"]
    assert ramp[0][:2] == [0.0, 0.0] and ramp[-1][1] == 1.0, "the ramp runs from 0 to 1"
    assert all(k[2] == 0 for k in ramp[1:]), "guarantee_steps=0 after the first keyframe"


def test_override_mode_prepends_upstream_string_and_keeps_previous_hooks_first(comfy_server, library):
    string, triggers, report = run_loader(comfy_server, loader([INK], string_from="s", hooks_from="h"))
    assert string.split("\n")[:2] == UPSTREAM.split("\n")
    assert string.split("\n")[2].startswith("<lora:modes_ink:0.8:1:")
    assert triggers == "alice, blue dress, ink wash"
    assert [h["strength_model"] for h in report] == [1.0, 0.8], "previous_hooks come first"


def test_external_a_mode_applies_the_string(comfy_server, library):
    string, triggers, report = run_loader(comfy_server, loader([], string_from="s"))
    assert string == "<lora:modes_alice:1:0.5:0,1;1,1>"
    assert triggers == "alice, blue dress"
    assert [(h["strength_model"], h["strength_clip"]) for h in report] == [(1.0, 0.5)]


def test_external_b_mode_passes_hooks_through(comfy_server, library):
    string, triggers, report = run_loader(comfy_server, loader([], hooks_from="h"))
    assert (string, triggers) == ("", "")
    assert len(report) == 1 and report[0]["type"] == "WeightHook"


def test_bridge_mode_passes_string_unchanged(comfy_server, library):
    string, triggers, report = run_loader(comfy_server, loader([], string_from="s", hooks_from="h"))
    assert string == UPSTREAM
    assert triggers == "alice, blue dress"
    assert len(report) == 1


def test_chain_mode_applies_string_and_internal(comfy_server, library):
    string, _, report = run_loader(comfy_server, loader([INK], string_from="s"))
    assert string.startswith(UPSTREAM + "\n<lora:modes_ink:0.8:1:")
    assert [h["strength_model"] for h in report] == [1.0, 0.8]


def test_profiles_object_uses_active_profile(comfy_server, library):
    config = {"active_profile": "B", "profiles": {"A": {"loras": [INK]},
                                                  "B": {"loras": [{**INK, "strength_model": 0.25}]}}}
    string, _, _ = run_loader(comfy_server, loader(config))
    assert string.startswith("<lora:modes_ink:0.25:1:")


def test_block_vectors_reach_the_hook(comfy_server, library):
    item = {**INK, "vectors": {"input_4": 0.5, "output_3": -1}}
    _, _, report = run_loader(comfy_server, loader([item]))
    assert report[0]["block_weighted_modules"] > 0


@pytest.mark.parametrize("config, message", [
    ([{**INK, "lora_name": "nope.safetensors"}], "'nope.safetensors' not found"),
    ([{**INK, "vectors": {"double_3": 0.5}}], "'double_3' is not a block"),
    ([{**INK, "preset": "MAGIC"}], "preset 'MAGIC' is neither a built-in preset"),
    ("[{not json", "schedule_config"),
    ([{**INK, "strength_model": "NaN"}], "strength_model"),
])
def test_bad_input_is_a_clear_node_error(comfy_server, library, config, message):
    prompt = {"n": loader(config), "out": preview("n", 2)}
    result = run_prompt(comfy_server, prompt)
    assert result.status == "error"
    assert message in result.error_message()


def test_lora_with_markup_and_colon_in_its_name_runs_and_chains(comfy_server, library):
    """A file name the schedule format cannot hold as is (`>`, `:`) is written with %XX and read back."""
    hostile = "<img src=x onerror=alert(1)> a:b"
    make_lora(comfy_server.loras_dir / "modes" / f"{hostile}.safetensors", arch="SD15", seed=13)
    first = loader([{**INK, "lora_name": f"modes/{hostile}.safetensors"}])
    prompt = {"n": first, "m": loader([], string_from="n"), "out": preview("m", 2),
              "r": {"class_type": "LoraWeightsBuilderHooksReport", "inputs": {"hooks": ["m", 1]}},
              "out_report": preview("r", 0)}
    prompt["m"]["inputs"]["schedule_string"] = ["n", 2]
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    assert result.text("out").startswith("<lora:<img src=x onerror=alert(1)%3E a%3Ab:0.8:1:")
    assert len(json.loads(result.text("out_report"))) == 1, "the chained node resolved and applied the LoRA"


def test_prompt_text_with_inline_tags_and_the_new_outputs(comfy_server, library):
    """A prompt with A1111 tags drives the loader; `prompt` is the text without them; `lora_stack` lists what
    was applied (read back through a combiner's LORA_STACK input, weighted policy = strengths unchanged)."""
    text = "masterpiece, <lora:modes_ink:0.6>, best quality\n<lora:modes_alice:1:0.5>\nsoft light <lora:modes_alice:0>"
    prompt = {
        "s": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": text}},
        "n": loader("[]", string_from="s"),
        "c": {"class_type": "LoraBlockWeightCombiner",
              "inputs": {"combiner_config": "[]", "policy": "weighted", "headroom": 1.5, "lora_stack": ["n", 4]}},
        "out_prompt": preview("n", 5), "out_triggers": preview("n", 3), "out_stack": preview("c", 3),
    }
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    assert result.text("out_prompt") == "masterpiece, best quality\nsoft light"
    assert result.text("out_triggers") == "alice, blue dress, ink wash"
    assert result.text("out_stack").split("\n") == ["<lora:modes_ink:0.6:0.6:0,1;1,1>",
                                                    "<lora:modes_alice:1:0.5:0,1;1,1>"], "the 0-weight tag is skipped"
    info = comfy_server.get_json("/object_info/MultiScheduledLoraLoader")["MultiScheduledLoraLoader"]
    assert info["output_name"] == ["MODEL", "HOOKS", "schedule_string", "trigger_words", "lora_stack", "prompt"]
