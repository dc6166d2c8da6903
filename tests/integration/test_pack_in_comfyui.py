"""The pack loads in a real ComfyUI process: nodes, routes, web extension, a prompt through /prompt."""

import json

import pytest
from lwb_testkit.boot_log import pack_import_failures, pack_import_listed
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.prompt_client import preview, run_prompt

pytestmark = pytest.mark.comfy

PACK_NODES = {
    "MultiScheduledLoraLoader": "Multi Scheduled LoRA Loader",
    "LoraWeightsBuilderInfo": "LoRA Info (Weights Builder)",
    "LoraWeightsBuilderHooksReport": "Hooks Report (Weights Builder)",
    "LoraBlockWeightCombiner": "LoRA Block-Weight Combiner",
    "LoraWeightsBuilderShowText": "Show Text (Weights Builder)",
}


def test_pack_imported_without_error(comfy_server, pack_module_name):
    pack_dir = comfy_server.base_dir / "custom_nodes" / pack_module_name
    log = comfy_server.log_text()
    failures = pack_import_failures(log, pack_dir)
    assert not failures, "\n".join(failures) + "\n" + comfy_server.log_tail()
    assert pack_import_listed(log, pack_dir), comfy_server.log_tail()


def test_nodes_listed_in_object_info(comfy_server, pack_module_name):
    info = comfy_server.get_json("/object_info")
    for node_id, display in PACK_NODES.items():
        assert node_id in info, f"{node_id} missing from /object_info: the pack did not load\n{comfy_server.log_tail()}"
        assert info[node_id]["display_name"] == display
        assert info[node_id]["python_module"] == f"custom_nodes.{pack_module_name}"


def test_web_extension_served(comfy_server, pack_module_name):
    extensions = comfy_server.get_json("/extensions")
    ours = [e for e in extensions if e.startswith(f"/extensions/{pack_module_name}/")]
    assert f"/extensions/{pack_module_name}/lora_weights_builder.js" in ours
    for path in ours:
        status, headers, _ = comfy_server.request(path)
        assert status == 200, path
        assert "javascript" in headers.get("Content-Type", ""), path


def test_pack_info_route(comfy_server):
    status, _, body = comfy_server.request("/mad-nodes/pack-info")
    assert status == 200
    info = json.loads(body)
    assert info["name"] == "LoRA Weights Builder"
    assert isinstance(info["lora_count"], int)


def test_lora_info_node_runs_through_prompt(comfy_server):
    lora = make_lora(comfy_server.loras_dir / "foundation_sdxl.safetensors", arch="SDXL", seed=3).path
    prompt = {
        "1": {"class_type": "LoraWeightsBuilderInfo", "inputs": {"lora_name": lora.name}},
        "2": preview("1", 0),
        "3": preview("1", 2),
    }
    result = run_prompt(comfy_server, prompt)
    assert result.status == "success", result.messages
    assert result.text("2") == "SDXL"
    details = json.loads(result.text("3"))
    assert details["lora_name"] == lora.name
    assert details["tensor_count"] > 0
