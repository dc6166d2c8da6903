"""The LoRA picker and profiles in the real ComfyUI frontend (headless Chromium), over the demo library.

A ComfyUI of its own (not the session server): the picker's counts and filters are asserted against the
exact demo library, which other tests' LoRAs would change.
"""

import json
import logging
import subprocess
from pathlib import Path

import pytest
from lwb_testkit.comfy_server import ComfyServer
from lwb_testkit.demo_library import DEMO_LORAS, make_demo_library
from lwb_testkit.lora_factory import make_checkpoint_stub

pytestmark = [pytest.mark.comfy, pytest.mark.browser]

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
CKPT = "stub_sdxl.safetensors"
AIKO = "characters/aiko_sdxl.safetensors"
RANGER = "characters/ranger_sd15.safetensors"


@pytest.fixture(scope="module")
def picker_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("picker_comfy")
    server = ComfyServer(base_dir=root / "base", loras_dir=root / "models" / "loras",
                         checkpoints_dir=root / "models" / "checkpoints")
    make_demo_library(server.loras_dir)
    server.checkpoints_dir.mkdir(parents=True)
    make_checkpoint_stub(server.checkpoints_dir / CKPT, "SDXL")
    server.start()
    try:
        status = server.wait_for_library_scan(timeout=120)
        assert status["index"]["total"] == len(DEMO_LORAS)
        out_dir = tmp_path_factory.mktemp("picker_screens")
        proc = subprocess.run(["node", str(BROWSER_DIR / "editor_picker.mjs"), server.url, str(out_dir), CKPT],
                              capture_output=True, text=True, timeout=600, cwd=BROWSER_DIR)
    finally:
        server.stop()
    assert proc.returncode == 0, f"editor_picker.mjs failed:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    logging.getLogger(__name__).info("picker screenshots in %s", out_dir)
    assert "error" not in result, result.get("error")
    result["out_dir"] = out_dir
    return result


def _names(page: dict) -> set[str]:
    return {row["name"] for row in page["rows"]}


def _demo(folder: str = "", archs: tuple[str, ...] = ()) -> set[str]:
    return {d.rel for d in DEMO_LORAS if d.rel.startswith(folder) and (not archs or d.arch in archs)}


def test_search_and_filters_narrow_the_list(picker_run):
    assert picker_run["all"]["status"].startswith(f"{len(DEMO_LORAS)} LoRAs")
    assert _names(picker_run["search"]) == {"styles/watercolor_sdxl_lokr.safetensors"}
    assert {"SDXL", "SD15", "FLUX.1"} <= set(picker_run["familyOptions"])
    assert picker_run["roleOptions"][:4] == ["", "character", "style", "concept"]
    sdxl = _names(picker_run["family"])
    assert sdxl == _demo(archs=("SDXL",)), "the SDXL family includes its Pony and Illustrious lineages"
    styled = picker_run["familyRole"]
    assert _names(styled) == _demo("styles/", ("SDXL",)) and _names(styled) < sdxl
    assert {row["role"] for row in styled["rows"]} == {"style"}
    assert {row["arch"] for row in styled["rows"]} == {"SDXL", "SDXL_ILLUSTRIOUS"}, "architecture badges"


def test_compatibility_hints_against_the_graphs_checkpoint(picker_run):
    assert picker_run["ckptNote"] == f"hints against {CKPT}"
    hints = {row["name"]: row["hint"] for row in picker_run["characters"]["rows"]}
    assert hints == {AIKO: "ok", "characters/knight_pony.safetensors": "ok", RANGER: "bad",
                     "characters/pilot_flux.safetensors": "bad", "characters/dancer_wan.safetensors": "bad"}
    requests = picker_run["compatRequests"]
    assert len(requests) == len(set(requests)), "each LoRA is asked once; later pages read the cache"
    assert set(hints) <= set(requests)
    assert {f"compat:{CKPT}:{name}" for name in hints} <= set(picker_run["idbCompat"])
    assert "This LoRA is for SD15" in picker_run["preview"]["ranger"]["compat"]


def test_preview_on_hover_uses_blob_urls_and_revokes_them(picker_run):
    preview = picker_run["preview"]
    assert preview["aiko"]["tag"] == "img" and preview["aiko"]["src"].startswith("blob:")
    assert preview["aiko"]["shown"] is True, "the image decoded and shows (ComfyUI's CSP allows blob: images)"
    assert preview["ranger"]["tag"] == "img" and preview["ranger"]["src"] != preview["aiko"]["src"]
    assert preview["dancer"]["tag"] is None, "a LoRA without preview shows text, not a broken image"
    assert preview["aikoAliveWhileShown"] is True
    assert preview["aikoAliveAfter"] is False, "replaced preview revoked"
    assert preview["rangerAliveAfter"] is False, "revoked when a LoRA without preview is hovered"
    assert preview["againAliveAfterClose"] is False, "revoked when the picker closes"
    assert "characters/dancer_wan.safetensors" not in picker_run["previewRequests"], "the index knew it has none"


def test_profiles_choose_which_loras_run(picker_run):
    renamed = json.loads(picker_run["renamedConfig"])
    assert renamed["active_profile"] == "Renamed"
    assert set(renamed["profiles"]) == {"Default", "Renamed"}
    assert picker_run["profileOptions"] == ["Default", "Renamed"]
    run = picker_run["renamedRun"]
    assert run["status"] == "success"
    [schedule] = run["texts"]
    assert "ranger_sd15" in schedule and "aiko_sdxl" not in schedule

    default = json.loads(picker_run["defaultConfig"])
    assert default["active_profile"] == "Default"
    run = picker_run["defaultRun"]
    assert run["status"] == "success"
    [schedule] = run["texts"]
    assert "aiko_sdxl" in schedule and "ranger_sd15" not in schedule
    assert schedule == picker_run["shownAfterSwitch"], "what ran is what the editor showed"


def test_requests_go_through_comfyuis_api_helper(picker_run):
    """api.fetchApi: under /api (ComfyUI's apiURL, sub-path aware) and with the page's Comfy-User header."""
    requests = picker_run["packRequests"]
    paths = {r["path"] for r in requests}
    assert {"/api/mad-nodes/library/search", "/api/mad-nodes/check-compatibility", "/api/mad-nodes/lora-preview",
            "/api/mad-nodes/library/status"} <= paths
    assert [r for r in requests if not r["path"].startswith("/api/mad-nodes/")] == []
    assert [r for r in requests if r["user"] != picker_run["user"]] == [], "every request carries Comfy-User"


def test_no_page_errors_and_screenshots(picker_run):
    assert picker_run["pageErrors"] == []
    for name in ("picker_hints", "picker_preview"):
        assert (picker_run["out_dir"] / f"{name}.png").stat().st_size > 10_000
