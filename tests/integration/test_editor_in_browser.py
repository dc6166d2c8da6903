"""The editor in the real ComfyUI frontend (headless Chromium): what a user does, and what the server ran."""

import json
import logging
import subprocess
from pathlib import Path

import pytest
from lwb_testkit.lora_factory import make_lora

pytestmark = [pytest.mark.comfy, pytest.mark.browser]

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
HOSTILE = "<img src=x onerror=alert(1)>"
STYLE = "lwb_editor_style.safetensors"


@pytest.fixture(scope="module")
def editor_run(comfy_server, tmp_path_factory):
    make_lora(comfy_server.loras_dir / STYLE, "SDXL")
    make_lora(comfy_server.loras_dir / f"{HOSTILE}.safetensors", "SDXL", seed=1)
    out_dir = tmp_path_factory.mktemp("editor_screens")
    proc = subprocess.run(["node", str(BROWSER_DIR / "editor_flow.mjs"), comfy_server.url, str(out_dir), STYLE],
                          capture_output=True, text=True, timeout=420, cwd=BROWSER_DIR)
    assert proc.returncode == 0, f"editor_flow.mjs failed:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["out_dir"] = out_dir
    logging.getLogger(__name__).info("editor screenshots in %s", out_dir)
    assert "error" not in result, result.get("error")
    return result


def test_schedule_the_backend_ran_is_the_one_the_editor_showed(editor_run):
    assert editor_run["historyStatus"] == "success"
    assert editor_run["ranSchedule"] == editor_run["shownSchedule"]
    assert editor_run["shownSchedule"].startswith("<lora:lwb_editor_style:1:1:0,1;")
    assert editor_run["shownSchedule"].endswith(":preset=STYLE_FOCUSED>")
    config = json.loads(editor_run["savedConfig"])
    assert config["active_profile"] == "Default"
    [item] = config["profiles"]["Default"]["loras"]
    assert item["lora_name"] == STYLE and item["preset"] == "STYLE_FOCUSED"
    assert len(item["points"]) == 3
    assert editor_run["nodeSummary"] == "Default · 1/1 active"


def test_curve_is_edited_by_double_click_and_drag(editor_run):
    added, dragged = editor_run["curve"]["afterAdd"], editor_run["curve"]["afterDrag"]
    assert added.count(";") == 2, "double-click added a third point"
    assert dragged != added, "dragging moved the new point"
    steps = editor_run["staircase"].split(": ")[-1].split(", ")
    assert len(steps) == 20 and steps[0] == "1" and float(min(steps, key=float)) < 0.9


def test_undo_and_redo_of_a_preset(editor_run):
    undo = editor_run["undo"]
    assert undo["withPreset"].endswith(":preset=STYLE_FOCUSED>")
    assert "preset=" not in undo["undone"]
    assert undo["redone"] == undo["withPreset"]
    assert editor_run["vectorText"] == "preset=STYLE_FOCUSED"


def test_block_sliders_step_by_the_profiles_snap(editor_run):
    steps = editor_run["sliderSteps"]
    assert steps["before"] and set(steps["before"]) == {"0.05"}, "the default snap"
    assert set(steps["after"]) == {"0.1"} and len(steps["after"]) == len(steps["before"])
    assert set(steps["undone"]) == {"0.05"}


def test_config_widget_hidden_and_workflow_round_trips(editor_run):
    widgets = {w["name"]: w["hidden"] for w in editor_run["widgets"]}
    assert widgets == {"schedule_config": True, "schedule_preview": False}
    assert editor_run["roundTrip"] == {"same": True, "widgetsValues": 1}
    assert editor_run["removal"] == {"handleGone": True}


def test_escape_closes_without_saving(editor_run):
    assert editor_run["editorClosedByEsc"]
    assert editor_run["configAfterEsc"] == editor_run["savedConfig"]


def test_hostile_names_render_as_text(editor_run):
    hostile = editor_run["hostile"]
    assert f"{HOSTILE}.safetensors" in hostile["rowTexts"]
    assert HOSTILE in hostile["profileOptions"]
    assert hostile["injectedImgs"] == 0
    assert hostile["nameInHtml"] is False, "the raw name only appears escaped in the markup"
    assert editor_run["dialogs"] == []
    assert editor_run["pageErrors"] == []


def test_metadata_cache_in_indexeddb(editor_run):
    keys = editor_run["idbAfterInspect"]
    assert f"inspect:{STYLE}" in keys
    assert "inspect:legacy_only.safetensors" in keys, "the legacy localStorage cache was imported"
    assert "inspect:broken.safetensors" not in keys, "legacy error entries are not imported"
    assert editor_run["legacyLeft"] is None
    before, after = editor_run["idbBeforeClear"], editor_run["idbAfterClear"]
    assert "inspect:legacy_only.safetensors" in before
    assert set(after) <= {f"inspect:{editor_run['openAfterClear']}"}, "only the open LoRA, inspected again, is back"


def test_widget_shows_under_the_vue_node_renderer(editor_run):
    vue = editor_run["vue"]
    if not vue["available"]:
        pytest.skip("this frontend has no settings API for the Vue node renderer")
    assert vue["mode"] is True
    assert vue["visibleCanvases"] >= 1 and vue["buttons"] >= 1


def test_screenshots_saved(editor_run):
    for name in ("editor", "node_after_save", "editor_hostile", "vue_nodes"):
        assert (editor_run["out_dir"] / f"{name}.png").stat().st_size > 10_000
