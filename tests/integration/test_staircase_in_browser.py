"""The editor's staircase equals what ComfyUI's KSampler applied (SDXL karras 20 steps, FLUX simple 20 steps).

A ComfyUI of its own with a test-only node pack (`lwb_testkit/comfy_testpack`: a tiny model that records
the LoRA weight at every model evaluation) beside the pack. The graph is built and queued in the real
frontend; the truth is read from /history; the editor's numbers are read from its staircase readout.
"""

import json
import subprocess
from pathlib import Path

import pytest
import torch
from lwb_testkit.comfy_server import ComfyServer
from safetensors.torch import save_file

pytestmark = [pytest.mark.comfy, pytest.mark.browser]

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
TEST_PACK = Path(__file__).resolve().parents[1] / "lwb_testkit" / "comfy_testpack"
LORA = "stair_tiny.safetensors"


@pytest.fixture(scope="module")
def stair_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("stair_comfy")
    server = ComfyServer(base_dir=root / "base", loras_dir=root / "models" / "loras",
                         checkpoints_dir=root / "models" / "checkpoints", extra_node_packs=(TEST_PACK,))
    server.loras_dir.mkdir(parents=True)
    g = torch.Generator().manual_seed(13)
    save_file({"lora_unet_a.lora_up.weight": torch.randn(4, 2, generator=g),
               "lora_unet_a.lora_down.weight": torch.randn(2, 4, generator=g)}, str(server.loras_dir / LORA))
    server.start()
    try:
        proc = subprocess.run(["node", str(BROWSER_DIR / "staircase_history.mjs"), server.url, LORA],
                              capture_output=True, text=True, timeout=600, cwd=BROWSER_DIR)
    finally:
        server.stop()
    assert proc.returncode == 0, f"staircase_history.mjs failed:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in result, result.get("error")
    return result


@pytest.mark.parametrize("case", ["SDXL karras", "FLUX simple"])
def test_the_editor_shows_what_the_sampler_applied(stair_run, case):
    run = stair_run["runs"][case]
    assert run["status"] == "success"
    applied = [strength for _, strength in run["applied"]]
    assert len(applied) == 20, "euler: one model evaluation per step"
    shown = [float(v) for v in run["shown"].rsplit(": ", 1)[1].split(", ")]
    assert shown == pytest.approx(applied, abs=1.5e-3), (run["shown"], applied)
    assert (run["sampler"], run["scheduler"], run["steps"]) == ("euler", case.split()[1], "20"), "the graph's KSampler"
    assert "from ComfyUI's sampler" in run["shown"]
    [hook] = run["hooksReport"]
    assert hook["staircase"] == pytest.approx(applied, abs=1e-5), "the Hooks Report agrees with the sampler"


def test_no_page_errors(stair_run):
    assert stair_run["pageErrors"] == []
