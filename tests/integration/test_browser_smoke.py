"""The real ComfyUI frontend, in headless Chromium, loads and runs the pack's web extension."""

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.comfy, pytest.mark.browser]

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"


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
