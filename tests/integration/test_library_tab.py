"""The LoRA Library sidebar tab in the real ComfyUI frontend (headless Chromium), over 2,000+ generated LoRAs.

A ComfyUI of its own: every expected count is computed from the generated library's plan
(`lwb_testkit.generated_library`), never from the routes under test.
"""

import json
import logging
import re
import subprocess
from pathlib import Path

import pytest
from lwb_testkit.comfy_server import ComfyServer
from lwb_testkit.generated_library import PlannedLora, count, plan_library, write_library
from lwb_testkit.lora_factory import kohya_metadata, make_lora
from lwb_testkit.sidecars import write_sidecars

pytestmark = [pytest.mark.comfy, pytest.mark.browser]
log = logging.getLogger(__name__)

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
COUNT = 2000
HOSTILE = "hostile/<img src=x onerror=window.__pwned=1>.safetensors"
HOSTILE_DESCRIPTION = ('<p>Soft <b>ink</b> &amp; wash</p><script>window.__pwned=2</script>'
                       '<img src=x onerror="window.__pwned=3">')
HOSTILE_TRIGGER = "<svg onload=window.__pwned=4>"
HOSTILE_TAG = "<b>batch</b>"
MEASURED = "measured/measured_face_sdxl.safetensors"
PROFILE = {"name": "Face <i>only</i>", "layout": "sdxl_unet_9",
           "weights": [0, 0.25] + [1] * 16 + [1.5]}
SDXL_BLOCKS = [f"input_{i}" for i in range(9)] + ["middle_0"] + [f"output_{i}" for i in range(9)]


def _items(config_text: str) -> list[dict]:
    """The LoRA items of a loader/combiner config (a list, or a profiles object's active list)."""
    data = json.loads(config_text)
    return data if isinstance(data, list) else data["profiles"][data["active_profile"]]["loras"]


@pytest.fixture(scope="module")
def library_plan() -> list[PlannedLora]:
    return plan_library(COUNT)


@pytest.fixture(scope="module")
def tab_run(tmp_path_factory, library_plan):
    root = tmp_path_factory.mktemp("library_tab")
    server = ComfyServer(base_dir=root / "base", loras_dir=root / "models" / "loras",
                         checkpoints_dir=root / "models" / "checkpoints")
    write_library(server.loras_dir, library_plan)
    hostile = make_lora(server.loras_dir / HOSTILE, "SDXL", rank=4, metadata=kohya_metadata("SDXL", rank=4))
    write_sidecars(hostile.path, "SDXL", trigger_words=[HOSTILE_TRIGGER], description=HOSTILE_DESCRIPTION)
    make_lora(server.loras_dir / MEASURED, "SDXL", rank=4, alpha=4, seed=3, metadata=kohya_metadata("SDXL", rank=4))
    server.start()
    try:
        status = server.wait_for_library_scan()
        assert status["index"]["total"] == COUNT + 2
        out_dir = tmp_path_factory.mktemp("library_tab_screens")
        spec = {"hostileTag": HOSTILE_TAG, "measured": MEASURED, "measuredWord": "measured", "profile": PROFILE,
                "dragWord": "ranger", "pickerTag": "from picker"}
        command = ["node", str(BROWSER_DIR / "library_tab.mjs"), server.url, str(out_dir), json.dumps(spec)]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=BROWSER_DIR)
    finally:
        server.stop()
    assert proc.returncode == 0, f"library_tab.mjs failed:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    (out_dir / "result.json").write_text(json.dumps(result, indent=1))
    log.info("library tab screenshots and result.json in %s", out_dir)
    assert "error" not in result, result.get("error")
    result["out_dir"] = out_dir
    return result


def test_the_tab_opens_in_the_sidebar_with_a_small_virtual_window(tab_run):
    assert tab_run["place"] == "sidebar"
    assert tab_run["opened"]["total"] == COUNT + 2
    assert 0 < tab_run["opened"]["cardsInDom"] < 60, "only the visible window is in the DOM"
    assert tab_run["scroll"]["cardsInDom"] < 60
    last = tab_run["scroll"]["last"]
    assert last["index"] == COUNT + 1
    names = [p.rel for p in plan_library(COUNT)] + [HOSTILE, MEASURED]
    assert last["name"] == max(names, key=lambda n: (n.lower(), n)), "scrolled to the last LoRA by name"


def test_thumbnails_show_once_a_fling_stops(tab_run, library_plan):
    """After jumping to the end, every visible LoRA with a preview (per the plan) shows its decoded image."""
    with_preview = {p.rel for p in library_plan if p.preview} | {HOSTILE}  # write_sidecars writes a preview
    shown = tab_run["scroll"]["thumbnails"]
    assert len(shown) > 5
    assert any(t["name"] in with_preview for t in shown), "the window at the end holds LoRAs with previews"
    for t in shown:
        has = t["name"] in with_preview
        assert (t["kind"] == "image") == has, t
        assert (t["decoded"] and t["shown"]) == has, t


def test_combined_filters_give_exact_totals_and_facet_counts(tab_run, library_plan):
    combo = tab_run["combo"]
    sdxl = lambda p: p.arch == "SDXL"  # noqa: E731
    style = lambda p: p.role == "style"  # noqa: E731
    rank = lambda p: 8 <= p.rank <= 16  # noqa: E731
    # the two real SDXL files (hostile, measured) have role "other", rank 4, text encoder weights
    assert combo["family"] == count(library_plan, sdxl) + 2
    assert combo["familyRole"] == count(library_plan, lambda p: sdxl(p) and style(p))
    assert combo["clip"] == count(library_plan, lambda p: sdxl(p) and style(p) and p.clip)
    assert combo["rankMin"] == count(library_plan, lambda p: sdxl(p) and style(p) and p.clip and p.rank >= 8)
    assert combo["rank"] == count(library_plan, lambda p: sdxl(p) and style(p) and p.clip and rank(p))
    assert combo["rows"] == min(combo["rank"], combo["rows"]) and combo["rows"] > 0
    # each facet is counted under every other filter, not its own
    for family in ("SDXL", "SD15", "FLUX.1"):
        assert combo["familyCounts"][family] == count(
            library_plan, lambda p, f=family: p.arch == f and style(p) and p.clip and rank(p)), family
    for role in ("character", "style", "pose", "other"):
        assert combo["roleCounts"].get(role, 0) == count(
            library_plan, lambda p, r=role: sdxl(p) and p.role == r and p.clip and rank(p)), role
    no_clip = count(library_plan, lambda p: sdxl(p) and style(p) and not p.clip and rank(p))
    assert f"false=No ({no_clip:,})" in combo["clipOptions"]
    assert combo["chips"] == ["Family: SDXL ×", "Role: style ×", "Text encoder: yes ×", "Rank 8–16 ×"]
    folder = tab_run["folder"]
    assert folder["cleared"] == COUNT + 2
    assert folder["total"] == count(library_plan, lambda p: p.rel.startswith("characters/sdxl/"))


def test_tag_a_selection_then_filter_by_the_tag(tab_run, library_plan):
    assert tab_run["aikoTotal"] == count(library_plan, lambda p: "aiko" in p.words)
    selected = tab_run["selected"]
    assert len(selected) == 5 and tab_run["bulkCount"] == "5 selected", "click then shift-click selects a range"
    assert tab_run["tagFacet"][HOSTILE_TAG] == 5
    tagged = tab_run["tagged"]
    assert tagged["total"] == 5
    assert {c["name"] for c in tagged["cards"]} == set(selected)
    assert all(c["tags"] == [HOSTILE_TAG] for c in tagged["cards"]), "the tag shows as its literal text"
    assert tagged["boldElements"] == 0, "a tag that looks like markup never becomes markup"


def test_favourites_and_sorting(tab_run, library_plan):
    favs = tab_run["favourites"]
    assert favs["total"] == 3
    assert {c["name"] for c in favs["cards"]} == set(favs["clicked"])
    assert all(c["star"] == "★" for c in favs["cards"])
    ranks = [int(r.removeprefix("r")) for r in tab_run["rankSorted"]]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] == max(p.rank for p in library_plan)


def test_detail_view_shows_hostile_text_as_text(tab_run):
    detail = tab_run["detail"]
    assert detail["name"] == HOSTILE
    assert detail["description"] == "Soft ink & wash"
    assert detail["triggers"] == HOSTILE_TRIGGER
    assert detail["injected"] == 0 and detail["pwned"] is None
    assert tab_run["pageErrors"] == []
    assert detail["facts"]["architecture"] == "SDXL" and detail["facts"]["rank"] == "4"
    assert detail["media"] == "IMG", "the sidecar preview shows"
    assert detail["copyStatus"] == "trigger words copied" and detail["clipboard"] == HOSTILE_TRIGGER


def test_detail_lists_the_compositions_that_used_the_lora(tab_run):
    kept = tab_run["keptComposition"]
    assert kept["status"] == 201
    [line] = tab_run["compositions"]
    assert line.startswith(f"#{kept['id']} ·") and "editor · 1 LoRA · budget" in line


def test_detail_energy_chart_and_add_to_loader(tab_run):
    blocks = tab_run["energyBlocks"]
    assert blocks and set(blocks) <= set(SDXL_BLOCKS) | {b for b in blocks if b.startswith("te")}
    assert tab_run["addStatus"].startswith(f"added {MEASURED} to #")
    assert [i["lora_name"] for i in _items(tab_run["loaderAfterAdd"])] == [MEASURED]
    assert tab_run["sparkAfterEnergy"] is True, "once measured, the card shows its energy sparkline"


def test_profile_created_validated_and_applied_runs_its_vector(tab_run):
    assert tab_run["profileSaveDisabled"] is True
    assert any("weights[2]" in p for p in tab_run["profileProblems"])
    assert tab_run["profileProblemsAfter"] == []
    assert PROFILE["name"] in tab_run["profileList"]
    expected = dict(zip(SDXL_BLOCKS, PROFILE["weights"], strict=True))
    assert tab_run["profileButtonOn"] is True
    run = tab_run["run"]
    assert run["status"] == "success"
    [schedule] = run["texts"]
    found = re.search(r"vectors=([^:>]*)", schedule)
    assert found, schedule
    ran = {k: float(v) for k, v in (pair.split("=") for pair in found.group(1).split(";"))}
    assert ran == expected, "the run's schedule carries the profile's vector, every block"
    assert "preset=Face <i%3Eonly</i%3E" in schedule, "and the profile's name as a preset template"
    saved = tab_run["savedFromEditor"]
    assert saved["layout"] == "sdxl_unet_9" and saved["weights"] == PROFILE["weights"], \
        "Save as profile keeps the LoRA's current block vector"


def test_drag_a_lora_onto_a_combiner_and_a_loader(tab_run):
    name = tab_run["dragName"]
    assert [i["lora_name"] for i in _items(tab_run["combinerAfterDrop"])] == [name]
    assert [i["lora_name"] for i in _items(tab_run["loaderAfterDrop"])] == [MEASURED, name]


def test_state_survives_a_reload(tab_run, library_plan):
    reloaded = tab_run["reloaded"]
    assert reloaded["sort"] == "size"
    assert "Family: SD15 ×" in reloaded["chips"]
    assert reloaded["total"] == count(library_plan, lambda p: p.arch == "SD15" and "ranger" in p.words)


def test_the_loader_pickers_star_and_tags_are_the_librarys(tab_run):
    assert tab_run["pickerTags"] == ["from picker"]
    card = tab_run["measuredCard"]
    assert card["star"] == "★" and card["tags"] == ["from picker"], "set in the picker, shown in the tab"
