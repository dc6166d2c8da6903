"""The LoRA Block-Weight Combiner in real ComfyUI: /prompt with its outputs, and Inspire pasteability.

Pasteability is checked against ComfyUI itself: the LoRA is loaded with ComfyUI's key map for the real
model class (on `meta`), the loaded keys are walked the way Inspire's "LoRA Loader (Block Weight)"
does (reference/block-weight-formats.md §1.3: `k[16:]`, five block families, a new slot when the block
number changes), and the combiner's MODEL patches are compared key by key with what Inspire would apply
from the pasted vector: strength_model × the value of the key's slot (BASE for every other key).
(The combiner's MODEL applies its HOOKS, so the hooks' per-key strengths are what is compared.)
"""

import importlib
import json
import os
from pathlib import Path

import pytest
import torch
from lwb_testkit.comfy_meta_models import meta_model
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.prompt_client import preview, run_prompt

pytestmark = pytest.mark.comfy

FAMILIES = ("input_blocks.", "middle_block.", "output_blocks.", "double_blocks.", "single_blocks.")


def inspire_walk(loaded_keys) -> dict:
    """{loaded key: slot index} as Inspire assigns them (0 = BASE)."""
    found, slot = [], {}
    for key in loaded_keys:
        k = key[0] if isinstance(key, tuple) else key
        rest = k[16:]
        family = next((i for i, p in enumerate(FAMILIES) if rest.startswith(p)), None)
        if family is None:
            slot[key] = 0
        else:
            found.append((family, int(rest[len(FAMILIES[family]):][:2].rstrip(".")), key))
    found.sort(key=lambda e: (e[0], e[1]))
    index, previous = 0, None
    for _, number, key in found:
        if number != previous:
            index, previous = index + 1, number
        slot[key] = index
    return slot


CASES = {
    "SD15": dict(arch="SD15"),
    "SD15-locon": dict(arch="SD15", conv=True),
    "SDXL": dict(arch="SDXL"),
    "SDXL-missing-blocks": dict(arch="SDXL", blocks=["input_blocks.4", "input_blocks.8", "output_blocks.2"]),
    "FLUX-double": dict(arch="FLUX.1", blocks=["double_blocks"]),
    "FLUX-single": dict(arch="FLUX.1", blocks=["single_blocks"]),
    "FLUX-full": dict(arch="FLUX.1"),
}


@pytest.fixture(scope="module")
def glue(comfy):
    return importlib.import_module("lora_weights_builder.nodes.block_weight_combiner")


@pytest.mark.parametrize("case", list(CASES))
def test_vector_slots_match_comfyui_and_inspire_application_equals_the_pack(comfy, glue, tmp_path, case):
    from lora_weights_builder.modules.combiner.analysis import LoraAnalyzer
    from lora_weights_builder.modules.combiner.engine import CombineInput, combine
    from lora_weights_builder.modules.schedule.model import LoraItem

    opts = dict(CASES[case])
    arch = opts.pop("arch")
    comfy.folder_paths.add_model_folder_path("loras", str(tmp_path))
    specs = [make_lora(tmp_path / f"inspire_{case}_{i}.safetensors", arch=arch, rank=4, seed=10 + i,
                       text_encoder=False, **opts) for i in range(2)]
    first_block = "input_4" if arch != "FLUX.1" else ("single_0" if case == "FLUX-single" else "double_0")
    inputs = [CombineInput(s.path.name, str(s.path), arch, "other",
                           LoraItem(s.path.name, 0.8 + 0.3 * i, 1.0, vectors={first_block: 0} if i else {}))
              for i, s in enumerate(specs)]
    result = combine(inputs, "budget", 0.8, LoraAnalyzer())
    assert result.included == (0, 1)
    model = meta_model(comfy, arch)
    patcher = comfy.model_patcher.ModelPatcher(model, load_device=torch.device("cpu"),
                                               offload_device=torch.device("cpu"))
    hooks = glue.combined_hooks(result, patcher)
    patcher.register_all_hook_patches(hooks, comfy.hooks.create_target_dict(comfy.hooks.EnumWeightTarget.Model))
    key_map = comfy.lora.model_lora_keys_unet(model, {})
    expected: dict[tuple, float] = {}
    for spec, lora in zip(specs, result.loras, strict=True):
        sd = comfy.lora_convert.convert_lora(comfy.utils.load_torch_file(str(spec.path), safe_load=True))
        loaded = comfy.lora.load_lora(sd, key_map, log_missing=False)
        slots = inspire_walk(loaded)
        assert lora.inspire.slot_count == 1 + max(slots.values()), f"{lora.name}: slots vs ComfyUI's blocks"
        entries = [float(e) for e in lora.inspire.text.split(",")]
        for key, index in slots.items():
            name, offset = (key, None) if isinstance(key, str) else (key[0], key[1])
            ratio = entries[index]
            if ratio != 0:
                expected.setdefault((name, offset), [])
                expected[(name, offset)].append(round(lora.strength_model * ratio, 9))
    got: dict[tuple, list] = {}
    for hook_patches in patcher.hook_patches.values():
        for name, patches in hook_patches.items():
            for strength, _, _, offset, _ in patches:
                got.setdefault((name, offset), []).append(round(strength, 9))
    assert expected, "the LoRAs must patch the model"
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in expected.items()}
    assert any(0 < e < 1 for lora in result.loras for e in map(float, lora.inspire.text.split(","))), \
        "the budget must have scaled some block"


@pytest.fixture(scope="module")
def library(comfy_server):
    loras = comfy_server.loras_dir
    make_lora(loras / "combiner" / "characters" / "alice.safetensors", arch="SD15", seed=21)
    make_lora(loras / "combiner" / "styles" / "ink.safetensors", arch="SD15", seed=22, text_encoder=False)
    make_lora(loras / "combiner" / "old_sdxl.safetensors", arch="SDXL", seed=23)
    return loras


CONFIG = [{"lora_name": "combiner/characters/alice.safetensors", "strength_model": 0.9, "strength_clip": 1.0},
          {"lora_name": "combiner/styles/ink.safetensors", "strength_model": 1.1, "strength_clip": 1.0},
          {"lora_name": "combiner/old_sdxl.safetensors", "strength_model": 1.0, "strength_clip": 1.0}]


def test_prompt_with_outputs_and_schedule_string_chained_into_the_loader(comfy_server, library):
    prompt = {
        "c": {"class_type": "LoraBlockWeightCombiner",
              "inputs": {"combiner_config": json.dumps(CONFIG), "policy": "budget", "headroom": 1.0}},
        "l": {"class_type": "MultiScheduledLoraLoader",
              "inputs": {"schedule_config": "[]", "schedule_string": ["c", 3]}},
        "hc": {"class_type": "LoraWeightsBuilderHooksReport", "inputs": {"hooks": ["c", 2]}},
        "hl": {"class_type": "LoraWeightsBuilderHooksReport", "inputs": {"hooks": ["l", 1]}},
        "p_string": preview("c", 3), "p_configs": preview("c", 4), "p_report": preview("c", 5),
        "p_loader_string": preview("l", 2), "p_hc": preview("hc", 0), "p_hl": preview("hl", 0),
    }
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    string = result.text("p_string")
    lines = string.split("\n")
    assert [line.split(":")[1] for line in lines] == ["alice", "ink"]
    assert lines[1].startswith("<lora:ink:1.1:0:"), "UNet-only LoRA: strength_clip 0"
    assert "vectors=" in lines[0] and "vectors=" in lines[1]
    assert result.text("p_loader_string") == string
    combiner_hooks, loader_hooks = json.loads(result.text("p_hc")), json.loads(result.text("p_hl"))
    assert combiner_hooks == loader_hooks, "the chained loader applies exactly the combiner's set"
    assert [h["block_weighted_modules"] > 0 for h in combiner_hooks] == [True, True]
    configs = result.text("p_configs")
    assert "[3] combiner/old_sdxl.safetensors\nexcluded: base_model_mismatch" in configs
    vectors = [line.split(": ", 1)[1] for line in configs.split("\n") if line.startswith("block_vector: ")]
    assert len(vectors) == 2 and all(len(v.split(",")) == 17 for v in vectors), "SD1.5 LoRA: 17 entries"
    report = result.text("p_report")
    assert "base_model_mismatch" in report and "Overlap (cosine" in report


def test_bad_config_is_a_clear_node_error(comfy_server, library):
    prompt = {"c": {"class_type": "LoraBlockWeightCombiner",
                    "inputs": {"combiner_config": json.dumps([{"lora_name": "combiner/nope.safetensors"}]),
                               "policy": "budget", "headroom": 1.0}},
              "p": preview("c", 5)}
    result = run_prompt(comfy_server, prompt)
    assert result.status == "error"
    assert "LoRA Block-Weight Combiner" in result.error_message() and "nope" in result.error_message()


def test_config_set_saved_by_the_node_lists_reloads_goes_stale_and_deletes(comfy_server, library):
    prompt = {"c": {"class_type": "LoraBlockWeightCombiner",
                    "inputs": {"combiner_config": json.dumps(CONFIG), "policy": "budget", "headroom": 1.0,
                               "save_as": "my set"}},
              "o": preview("c", 3)}
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.error_message()
    listed = comfy_server.get_json("/mad-nodes/config-sets")["sets"]
    assert [(s["name"], s["policy"], s["stale"]) for s in listed] == [("my set", "budget", False)]
    loaded = comfy_server.get_json("/mad-nodes/config-sets/my%20set")
    assert loaded["stale"] is False
    assert loaded["outputs"]["schedule_string"] == result.text("o")
    first = sorted(loaded["fingerprints"])[0]
    path = Path(loaded["fingerprints"][first]["path"])
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert comfy_server.get_json("/mad-nodes/config-sets/my%20set")["stale_loras"] == [first]
    status, _, body = comfy_server.request("/mad-nodes/config-sets/my%20set", method="DELETE")
    assert status == 200 and json.loads(body) == {"deleted": True}
    assert comfy_server.request("/mad-nodes/config-sets/my%20set")[0] == 404
    assert comfy_server.request("/mad-nodes/config-sets/..%2Fx")[0] == 400
