"""The combiner's editor in the real ComfyUI frontend (headless Chromium): what a user does, what the
server answers for the same request, and what the graph ran."""

import json
import logging
import os
import subprocess
from pathlib import Path

import pytest
from lwb_testkit.lora_factory import make_lora

pytestmark = [pytest.mark.comfy, pytest.mark.browser]

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
HOSTILE = "<svg onload=alert(1)> cmb"
LORAS = ("lwb_cmb_ink.safetensors", "lwb_cmb_glow.safetensors", "lwb_cmb_face.safetensors")
OTHER_FAMILY = "lwb_cmb_old_sd15.safetensors"
PROFILE = "lwb cmb soft middle"
PROFILE_WEIGHTS = [1.0] * 4 + [0.25, 0.5, 1.0, 1.5, 0.75] + [0.5] + [1.25, 0.25, 1.0, 0.5, 2.0, 0.75, 1.0, 1.0, 1.0]


@pytest.fixture(scope="module")
def combiner_run(comfy_server, tmp_path_factory):
    # ink and glow are the same change (aligned, cosine 1); face is another one (orthogonal to them)
    for seed, name in zip((40, 40, 42), LORAS, strict=True):
        make_lora(comfy_server.loras_dir / name, "SDXL", seed=seed)
    make_lora(comfy_server.loras_dir / f"{HOSTILE}.safetensors", "SDXL", seed=44)
    make_lora(comfy_server.loras_dir / OTHER_FAMILY, "SD15", seed=45)
    out_dir = tmp_path_factory.mktemp("combiner_screens")
    profile = {"name": PROFILE, "layout": "sdxl_unet_9", "weights": PROFILE_WEIGHTS}
    status, _, raw = comfy_server.request("/mad-nodes/profiles", json.dumps(profile).encode(), method="POST",
                                          headers={"Content-Type": "application/json"})
    assert status in (201, 409), raw  # 409: an earlier run of this module in the same session made it
    args = [comfy_server.url, str(out_dir), *LORAS, OTHER_FAMILY, f"{HOSTILE}.safetensors"]
    proc = subprocess.run(["node", str(BROWSER_DIR / "combiner_flow.mjs"), *args], capture_output=True, text=True,
                          timeout=600, cwd=BROWSER_DIR, env={**os.environ, "LWB_COMBINER_PROFILE": PROFILE})
    assert proc.returncode == 0, f"combiner_flow.mjs failed:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["out_dir"] = out_dir
    logging.getLogger(__name__).info("combiner editor screenshots in %s", out_dir)
    assert "error" not in result, result.get("error")
    return result


def _combine(server, body: dict) -> dict:
    status, _, raw = server.request("/mad-nodes/combine", json.dumps(body).encode(), method="POST",
                                    headers={"Content-Type": "application/json"}, timeout=120)
    assert status == 200, raw
    return json.loads(raw)


def test_preview_is_the_routes_answer_for_the_editors_request(combiner_run, comfy_server):
    for run in (combiner_run["first"], combiner_run["second"]):
        request = json.loads(run["request"])
        assert [entry["lora_name"] for entry in request["loras"]] == list(LORAS)
        answer = _combine(comfy_server, request)
        assert run["schedule"] == answer["schedule_string"]
        assert [r["name"] for r in run["rows"]] == list(LORAS)
        assert [r["vector"] for r in run["rows"]] == [entry["inspire_vector"] for entry in answer["loras"]]
    assert json.loads(combiner_run["second"]["request"])["headroom"] == 0.6


def test_heat_map_changes_when_the_headroom_changes(combiner_run):
    assert combiner_run["heatChanged"], "the heat map's pixels differ after the headroom changed"
    assert combiner_run["first"]["schedule"] != combiner_run["second"]["schedule"], "a tighter budget cuts more"
    assert combiner_run["heatSize"][0] > 300 and combiner_run["heatSize"][1] >= 140
    info = combiner_run["blockInfo"]
    assert combiner_run["selectedBlock"].startswith("Block ")
    assert any(line.startswith("budget ") for line in info)
    assert sum(1 for line in info if any(name in line for name in LORAS)) == 3
    # the cosine matrix picture: ink-glow in the aligned colour, ink-face in the orthogonal one
    pixels = combiner_run["cosinePixels"]
    assert pixels["ink_glow"] == [165, 0, 38]
    assert all(abs(c - 240) <= 12 for c in pixels["ink_face"]), pixels


def test_undo_and_redo_of_the_headroom_from_the_keyboard(combiner_run):
    assert combiner_run["undo"]["headroom"] == "1.5"
    assert combiner_run["undo"]["schedule"] == combiner_run["first"]["schedule"]
    assert combiner_run["undo"]["graphNodes"] == 4, "Ctrl+Z undid the editor, not the graph"
    assert combiner_run["redo"] == {"headroom": "0.6", "key": combiner_run["second"]["request"]}


def test_copy_button_puts_the_inspire_vector_on_the_clipboard(combiner_run):
    copied = combiner_run["copied"]
    assert copied["status"] == f"copied {LORAS[0]}'s vector"
    assert copied["clipboard"] == combiner_run["second"]["rows"][0]["vector"]


def test_sent_to_loader_and_the_loader_ran_the_combiners_strengths_and_vectors(combiner_run):
    assert combiner_run["sendStatus"].startswith("sent 3 LoRAs to #")
    assert combiner_run["historyStatus"] == "success"
    shown = combiner_run["second"]["schedule"]
    assert "vectors=" in shown, "the budget scaled some block, so the result carries a block vector"
    assert combiner_run["ranByNode"]["loader"] == shown
    assert combiner_run["ranByNode"]["combiner"] == shown


def test_editor_writes_the_node_widgets_and_the_node_shows_the_set(combiner_run, comfy_server):
    widgets = {w["name"]: w["hidden"] for w in combiner_run["widgets"]}
    assert widgets["combiner_config"] is True and widgets["combiner_preview"] is False
    saved = json.loads(combiner_run["savedConfig"])
    assert [item["lora_name"] for item in saved] == list(LORAS)
    assert combiner_run["savedHeadroom"] == 0.6 and combiner_run["savedPolicy"] == "interference"
    assert combiner_run["nodeRows"] == list(LORAS)
    assert "3/3 combined" in combiner_run["nodeVerdict"]
    # each row: the share of the LoRA's change the policy kept, from the route's own norms
    answer = _combine(comfy_server, json.loads(combiner_run["second"]["request"]))
    blocks = answer["blocks"]
    kept = [sum(b["achieved_norms"][i] for b in blocks) / sum(b["requested_norms"][i] for b in blocks)
            for i in range(len(LORAS))]
    assert combiner_run["nodeKept"] == [f"×{k:.2f}" for k in kept]
    assert all(k < 1 for k in kept)
    assert kept[2] > kept[0] == kept[1], "the two aligned LoRAs are cut more than the orthogonal one"


def test_workflow_saved_and_reloaded_keeps_the_combiner_config(combiner_run):
    trip = combiner_run["roundTrip"]
    assert trip["after"] == trip["before"]
    assert combiner_run["savedConfig"] in trip["widgetsValues"]
    assert combiner_run["rowsAfterReload"] == list(LORAS)


def test_composition_history_keeps_shows_and_restores(combiner_run):
    history = combiner_run["history"]
    assert history["status"] == "kept", history
    assert history["rows"], "the kept preview is listed"
    assert any(LORAS[0] in line for line in history["detail"])
    assert history["countBeforeRestore"] == 2
    assert history["restored"] == list(LORAS)
    assert history["restoredHeadroom"] == "0.6"


def test_a_saved_profile_by_name_runs_the_same_in_the_preview_and_the_node(combiner_run, comfy_server):
    run = combiner_run["profile"]
    request = json.loads(run["request"])
    first = request["loras"][0]
    assert first["profile"] == PROFILE
    blocks = [f"input_{i}" for i in range(9)] + ["middle_0"] + [f"output_{i}" for i in range(9)]
    assert first["vectors"] == dict(zip(blocks, PROFILE_WEIGHTS, strict=True)), "the profile's values, by block"
    answer = _combine(comfy_server, request)
    assert run["schedule"] == answer["schedule_string"]
    plain = [{k: v for k, v in lora.items() if k not in ("profile", "vectors")} for lora in request["loras"]]
    without = _combine(comfy_server, {**request, "loras": plain})
    assert answer["schedule_string"] != without["schedule_string"], "the profile changed the result"
    assert run["status"] == "success"
    assert run["ran"] == run["schedule"], "the node ran what the editor showed"


def test_a_lora_of_another_family_is_excluded_with_the_reason(combiner_run):
    [row] = combiner_run["excluded"]
    assert row["name"] == OTHER_FAMILY
    assert row["reason"].startswith("base_model_mismatch")
    assert any(v.startswith("base_model_mismatch") and OTHER_FAMILY in v for v in combiner_run["excludedVerdicts"])
    assert "4/5 combined, 1 excluded" in combiner_run["excludedNodeVerdict"]


def test_hostile_names_render_as_text(combiner_run):
    hostile = combiner_run["hostile"]
    assert f"{HOSTILE}.safetensors" in hostile["rowTexts"]
    assert f"{HOSTILE}.safetensors" in hostile["nodeRows"]
    assert hostile["injectedImgs"] == 0
    assert hostile["nameInHtml"] is False and hostile["nodeInHtml"] is False
    assert combiner_run["dialogs"] == []
    assert combiner_run["pageErrors"] == []


def test_node_widget_shows_under_the_vue_node_renderer(combiner_run):
    vue = combiner_run["vue"]
    if not vue["available"]:
        pytest.skip("this frontend has no settings API for the Vue node renderer")
    assert vue["mode"] is True
    assert vue["visibleWidgets"] >= 1 and vue["buttons"] >= 1


def test_screenshots_saved(combiner_run):
    for name in ("combiner_editor", "combiner_node", "combiner_hostile", "combiner_excluded"):
        assert (combiner_run["out_dir"] / f"{name}.png").stat().st_size > 10_000
