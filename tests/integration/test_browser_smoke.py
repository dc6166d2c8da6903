"""The real ComfyUI frontend, in headless Chromium, loads and runs the pack's web extension."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from lwb_testkit.comfy_server import nodes_2_enabled
from lwb_testkit.host import HOST_VERSION

pytestmark = [pytest.mark.comfy, pytest.mark.browser]

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"


def pinned_frontend() -> str:
    """The frontend version install.sh pins for this host (scripts/comfyhost/host-<version>.txt)."""
    pins = (BROWSER_DIR.parents[1] / "scripts" / "comfyhost" / f"host-{HOST_VERSION}.txt").read_text()
    return re.search(r"^comfyui-frontend-package==(\S+)", pins, re.M).group(1)


def run_browser_script(script: str, *args: str, timeout: int = 180) -> dict:
    proc = subprocess.run(["node", str(BROWSER_DIR / script), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=BROWSER_DIR)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_frontend_loads_pack_extension(comfy_server, pack_module_name, tmp_path):
    result = run_browser_script("smoke.mjs", comfy_server.url, pack_module_name, str(tmp_path / "smoke.png"))
    assert result["marker"]["version"] == "0.1.0"
    assert result["marker"]["backend"]["name"] == "LoRA Weights Builder"
    assert "LoraWeightsBuilderInfo" in result["packNodeTypes"]
    assert result["packConsoleErrors"] == []
    assert result["packPageErrors"] == []
    assert (tmp_path / "smoke.png").stat().st_size > 10_000


def test_frontend_and_renderer_are_the_ones_asked_for(comfy_server, pack_module_name, tmp_path):
    """The matrix really runs what it names: the host's pinned frontend, under the renderer LWB_NODES_2 picks
    (Vue node elements on the page under Nodes 2.0, none under the classic canvas)."""
    result = run_browser_script("smoke.mjs", comfy_server.url, pack_module_name)
    assert result["frontend"]["version"] == pinned_frontend()
    assert result["frontend"]["vueNodes"] is nodes_2_enabled()
    if nodes_2_enabled():
        assert result["frontend"]["vueNodeElements"] > 0
    else:
        assert result["frontend"]["vueNodeElements"] == 0


def test_example_workflow_runs_from_the_browser(comfy_server, tmp_path):
    """The README's example workflow, loaded into the real frontend and queued from the page, runs."""
    from lwb_testkit.demo_library import make_demo_library

    make_demo_library(comfy_server.loras_dir / "demo")
    workflow = json.loads((BROWSER_DIR.parents[1] / "example_workflows" / "scheduled_loras_sdxl.json").read_text())
    for node in workflow["nodes"]:
        if node["type"] == "MultiScheduledLoraLoader":
            config = json.loads(node["widgets_values"][0])
            for item in config["profiles"]["Default"]["loras"]:
                item["lora_name"] = "demo/" + item["lora_name"]
            node["widgets_values"][0] = json.dumps(config)
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(workflow))
    result = run_browser_script("run_workflow.mjs", comfy_server.url, str(path))
    assert result["nodeTypes"][0] == "MultiScheduledLoraLoader"
    entry = result["entry"]
    assert entry["status"]["status_str"] == "success", entry["status"]
    outputs = entry["outputs"]
    schedule = outputs["2"]["text"][0].splitlines()
    assert schedule[0] == "<lora:aiko_sdxl:0.9:1:0,1;0.6,1;1,0.4:preset=BALANCED>"
    assert schedule[1].endswith(":vectors=input_4=0.6;output_3=1.2>")
    assert outputs["3"]["text"][0] == "aiko, blue kimono, watercolor"
    # The example shows schedule strings on the page exactly as they ran (Preview Any's Markdown ate `<lora:`).
    assert result["shown"]["2"] == outputs["2"]["text"][0]
    assert result["shown"]["2"].startswith("<lora:aiko_sdxl:0.9:1:")
    report = json.loads(outputs["5"]["text"][0])
    assert [h["strength_model"] for h in report] == [0.9, 0.7]
    assert all(h["block_weighted_modules"] > 0 for h in report)
    assert result["pageErrors"] == []


def test_demo_url_opens_the_example_workflow(comfy_server, pack_module_name):
    """The URL `./dev demo` prints opens the pack's example (ComfyUI serves example_workflows/ as templates)."""
    from lwb_testkit.demo_library import demo_url

    url = demo_url(comfy_server.url, pack_module_name)
    result = run_browser_script("open_template.mjs", url)
    example = json.loads((BROWSER_DIR.parents[1] / "example_workflows" / "scheduled_loras_sdxl.json").read_text())
    assert sorted(result["nodeTypes"]) == sorted(n["type"] for n in example["nodes"])
    assert result["pageErrors"] == []
