"""The pack's HTTP routes inside a real ComfyUI server: response shapes, error bodies, traversal, concurrency.

A dedicated server is booted for this module so that its model folders are exactly what the tests
need: the `loras` root is itself a symlink to a folder on "another drive" (it must keep working),
it holds a linked library subfolder, a LoRA symlink and a preview symlink that lead outside, and
canary files sit in every folder around the model folders.

How "no file outside the model folders was opened" is proven: the canaries are valid LoRAs (arch
WAN) with previews and metadata sidecars, in four folders a traversal could reach (`outside/`, the
parent of the loras root, the parent of its real folder, the tmp root). `lwb_testkit.open_watch`
watches those folders with inotify, which the kernel feeds with an event for every open or read of
a file there, by any process, through any path or symlink. Each request's events are drained after
its response; a traversal that opened a canary shows up even if the route then hid the content.
A positive control opens a canary through a symlink and checks the watch reports it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from lora_weights_builder.modules.ui_config import get_ui_config
from lwb_testkit.comfy_server import ComfyServer
from lwb_testkit.inspect_client import inspect_with_stats, inspect_with_stats_async
from lwb_testkit.lora_factory import make_checkpoint_stub, make_lora
from lwb_testkit.open_watch import OpenWatch
from lwb_testkit.sidecars import write_preview

pytestmark = pytest.mark.comfy

CANARY = "canary"
CANARY_FILES = [f"{CANARY}.safetensors", f"{CANARY}.png", f"{CANARY}.preview.png", f"{CANARY}.json",
                f"{CANARY}.metadata.json"]
STRESS_LORAS = 20


@dataclass(frozen=True)
class Site:
    server: ComfyServer
    root: Path
    canary_dirs: tuple[Path, ...]
    canary_bytes: bytes


def _plant_canaries(folder: Path, template: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, folder / f"{CANARY}.safetensors")
    write_preview(folder / f"{CANARY}.png", seed=99)
    write_preview(folder / f"{CANARY}.preview.png", seed=98)
    for sidecar in (f"{CANARY}.json", f"{CANARY}.metadata.json"):
        (folder / sidecar).write_text(json.dumps({"baseModel": "Wan Video", "trainedWords": ["canary"]}))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("routes")
    real_loras = root / "drive" / "loras_real"
    loras, checkpoints, outside, library = root / "models" / "loras", root / "models" / "checkpoints", \
        root / "outside", root / "library"
    for folder in (real_loras, checkpoints, outside, library, loras.parent):
        folder.mkdir(parents=True, exist_ok=True)
    loras.symlink_to(real_loras, target_is_directory=True)

    template = make_lora(root / "canary_template.safetensors", arch="WAN", seed=77).path
    for folder in (outside, loras.parent, real_loras.parent, root):
        _plant_canaries(folder, template)
    template.unlink()

    make_lora(real_loras / "good.safetensors", arch="SDXL", seed=1)
    write_preview(real_loras / "good.preview.png", seed=1)
    make_lora(real_loras / "sub" / "flux.safetensors", arch="FLUX.1", seed=2)
    (real_loras / "sub" / "flux.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    make_lora(library / "linked_lora.safetensors", arch="SD15", seed=3)
    (real_loras / "linked").symlink_to(library, target_is_directory=True)
    (real_loras / "escape.safetensors").symlink_to(outside / f"{CANARY}.safetensors")
    make_lora(real_loras / "leaky.safetensors", arch="SDXL", seed=4)
    (real_loras / "leaky.preview.png").symlink_to(outside / f"{CANARY}.png")
    (real_loras / "broken.safetensors").write_bytes(b"\x07\x00")
    stress = make_lora(real_loras / "stress" / "s00.safetensors", arch="SDXL", seed=5).path
    for i in range(1, STRESS_LORAS):  # hard links: distinct names and cache keys, one file on disk
        os.link(stress, stress.with_name(f"s{i:02d}.safetensors"))

    make_checkpoint_stub(checkpoints / "sdxl_base.safetensors", "SDXL")
    make_checkpoint_stub(checkpoints / "sd15.safetensors", "SD15")
    (checkpoints / "escape_ckpt.safetensors").symlink_to(outside / f"{CANARY}.safetensors")

    server = ComfyServer(base_dir=root / "base", loras_dir=loras, checkpoints_dir=checkpoints, frontend=False)
    server.start()
    try:
        yield Site(server, root, (outside, loras.parent, real_loras.parent, root),
                   (outside / f"{CANARY}.safetensors").read_bytes()[:64])
    finally:
        server.stop()


def get(site: Site, route: str, timeout: float = 30, **params) -> tuple[int, dict, bytes]:
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return site.server.request(f"/mad-nodes/{route}?{query}", timeout=timeout)


def get_json(site: Site, route: str, **params) -> tuple[int, dict]:
    status, _, body = get(site, route, **params)
    return status, json.loads(body)


# ---- shapes and error bodies ----------------------------------------------------------------------------


def test_config_shape(site):
    status, body = get_json(site, "config")
    assert status == 200
    keys = {"ARCH_BLOCK_MAPPINGS", "PRESET_COMPATIBLE_ARCHS", "PRESET_STRATEGIES", "BLOCK_ORDER", "BLOCK_GROUPS"}
    assert keys <= set(body)
    assert body == get_ui_config()  # the module the nodes use, unchanged


@pytest.mark.parametrize("name,arch", [("good.safetensors", "SDXL"), ("sub/flux.safetensors", "FLUX.1"),
                                       ("linked/linked_lora.safetensors", "SD15")])
def test_inspect_lora_shape(site, name, arch):
    status, first = get_json(site, "inspect-lora", lora_name=name)
    assert status == 200
    assert list(first) in (["arch", "stats", "fingerprint"], ["arch", "stats_pending", "fingerprint"])
    body = inspect_with_stats(site.server.url, name)  # the stats, from the answer or from its event
    assert list(body) == ["arch", "stats", "fingerprint"]
    assert body["arch"].startswith(arch)
    assert {"energy_distribution", "block_metadata", "output_ratio", "mid_ratio", "input_ratio", "sparsity",
            "balance"} <= set(body["stats"])


def test_inspect_lora_error_bodies(site):
    assert get_json(site, "inspect-lora") == (400, {"arch": "UNKNOWN"})
    assert get_json(site, "inspect-lora", lora_name="missing.safetensors") == (
        404, {"arch": "UNKNOWN", "error": "File not found"})
    status, body = get_json(site, "inspect-lora", lora_name="broken.safetensors")
    assert (status, body["arch"]) == (422, "UNKNOWN") and body["error"].startswith("broken.safetensors: ")
    status, body = get_json(site, "inspect-lora", lora_name="../canary.safetensors")
    assert (status, body["error"]) == (400, "File not found")


def test_cache_clearing(site):
    cleared = {"status": "cleared", "message": "Global LoRA cache cleared."}
    assert get_json(site, "inspect-lora", clear_cache_all="true") == (200, cleared)
    status, _, body = site.server.request("/mad-nodes/clear-cache", data=b"", method="POST")
    assert (status, json.loads(body)) == (200, cleared)
    body = inspect_with_stats(site.server.url, "good.safetensors", refresh="yes")
    assert "stats" in body


def test_check_compatibility_shapes(site):
    assert get_json(site, "check-compatibility", ckpt_name="sdxl_base.safetensors", lora_name="good.safetensors") == (
        200, {"status": "ok", "ckpt_arch": "SDXL", "lora_arch": "SDXL", "compatible": True, "message": ""})
    status, body = get_json(site, "check-compatibility", ckpt_name="sd15.safetensors", lora_name="sub/flux.safetensors")
    assert (status, body["ckpt_arch"], body["lora_arch"], body["compatible"]) == (200, "SD15", "FLUX.1", False)
    assert body["message"]
    not_found = {"status": "error", "message": "Checkpoint not found"}
    assert get_json(site, "check-compatibility", ckpt_name="nope.safetensors") == (404, not_found)
    status, body = get_json(site, "check-compatibility")
    assert status == 400 and body["message"] == "Checkpoint not found"


def test_lora_preview(site):
    status, headers, body = get(site, "lora-preview", lora_name="good.safetensors")
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert body == (site.server.loras_dir / "good.preview.png").read_bytes()
    status, headers, _ = get(site, "lora-preview", lora_name="sub/flux.safetensors")
    assert (status, headers["Content-Type"]) == (200, "video/mp4")
    for params in ({}, {"lora_name": "linked/linked_lora.safetensors"}, {"lora_name": "missing.safetensors"}):
        assert get(site, "lora-preview", **params)[0] == 404


# ---- traversal ------------------------------------------------------------------------------------------


def traversal_names(root: Path, loras: Path) -> list[str]:
    outside = root / "outside" / f"{CANARY}.safetensors"
    c = f"{CANARY}.safetensors"
    return [
        f"../{c}", f"../../{c}", f"../../../{c}", f"../../outside/{c}", f"../../../outside/{c}", f"sub/../../{c}",
        f"./../{c}", f"linked/../../{c}", f"linked/../../../outside/{c}", f"..//..//{c}", f"good.safetensors/../../{c}",
        str(outside), f"/{outside}", f"//{outside}", f"{loras}/../{c}", f"{loras}/good.safetensors",
        f"file://{outside}", f"~/{c}", f"~root/{c}", "~", "/etc/passwd", "/proc/self/environ",
        f"/proc/self/cwd/../{c}", f"..\\{c}", f"..\\..\\outside\\{c}", f"sub\\..\\..\\{c}", f"\\\\server\\share\\{c}",
        f"C:\\{c}", f"C:{c}", f"%2e%2e/{c}", f"%2e%2e%2f{c}", f"..%2f{c}", f"..%2F..%2F{c}", f"..%5c{c}",
        f"%252e%252e%252f{c}", f"%25%32%65%25%32%65/{c}", "%2fetc%2fpasswd", f"..%00/{c}", f"{c}%00.png",
        f"good.safetensors\x00../../{c}", "\x00", f"..\x00/{c}", f"good.safetensors\n../{c}", f"..\t/{c}",
        "a" * 2000 + ".safetensors", f"../{'x/' * 600}{c}", f"．．/{c}", f"\u2025/{c}", f"..\u2215{c}",
        "escape.safetensors", f"{CANARY}.safetensors", f"../outside/{c}", f"$HOME/{c}", f"${{HOME}}/{c}",
        f"%USERPROFILE%\\{c}", f".../{c}", f"..;/{c}", f" ../{c}",
    ]


@pytest.fixture(scope="module")
def watch(site):
    with OpenWatch(list(site.canary_dirs)) as w:
        yield w


def test_watch_sees_opens_through_symlinks(site, watch):
    """Positive control: the watch would catch the server opening a canary through the escape symlink."""
    watch.drain()
    (site.server.loras_dir / "escape.safetensors").read_bytes()
    assert (site.root / "outside", f"{CANARY}.safetensors") in watch.drain()


def _canary_events(watch: OpenWatch) -> list:
    return [e for e in watch.drain() if e[1] in CANARY_FILES]


def _assert_nothing_leaked(site, watch, what, status, body, allowed_status):
    opened = _canary_events(watch)
    assert not opened, f"{what}: the server opened {opened}"
    assert status in allowed_status, f"{what}: status {status} {body[:200]!r}"
    assert site.canary_bytes not in body and b"WAN" not in body and b"canary" not in body.lower(), what


TRAVERSAL_COUNT = len(traversal_names(Path("/r"), Path("/r/l")))


@pytest.mark.parametrize("index", range(TRAVERSAL_COUNT))
def test_traversal_never_opens_a_file_outside(site, watch, index):
    name = traversal_names(site.root, site.server.loras_dir)[index]
    watch.drain()
    for route, params, allowed in [
        ("inspect-lora", {"lora_name": name}, (400, 404)),
        ("inspect-lora", {"lora_name": name, "refresh": "true"}, (400, 404)),
        ("lora-preview", {"lora_name": name}, (400, 404)),
        ("check-compatibility", {"ckpt_name": name}, (400, 404)),
        ("check-compatibility", {"ckpt_name": "sdxl_base.safetensors", "lora_name": name}, (200,)),
    ]:
        status, _, body = get(site, route, **params)
        _assert_nothing_leaked(site, watch, f"{route} {params!r}", status, body, allowed)
        if route == "check-compatibility" and "lora_name" in params:
            assert json.loads(body)["lora_arch"] == "UNKNOWN"


def test_raw_encoded_queries_never_open_a_file_outside(site, watch):
    """Escapes written straight into the URL (not produced by urlencode), decoded once by the server."""
    c = f"{CANARY}.safetensors"
    raw = [f"..%2F{c}", f"%2E%2E%2F{c}", f"%2e%2e/%2e%2e/{c}", f"..%252F{c}", f"%2F..%2F{c}", f"..%5C{c}",
           f"%C0%AE%C0%AE%2F{c}", f"..%c0%af{c}", f"%00../{c}"]
    watch.drain()
    for query in raw:
        for route, key in (("inspect-lora", "lora_name"), ("lora-preview", "lora_name"),
                           ("check-compatibility", "ckpt_name")):
            status, _, body = site.server.request(f"/mad-nodes/{route}?{key}={query}")
            _assert_nothing_leaked(site, watch, f"{route} {query}", status, body, (400, 404))


def test_listed_symlinks_leading_outside_are_refused(site, watch):
    watch.drain()
    checks = [
        ("inspect-lora", {"lora_name": "escape.safetensors"}, 404),
        ("lora-preview", {"lora_name": "escape.safetensors"}, 404),
        ("lora-preview", {"lora_name": "leaky.safetensors"}, 404),
        ("check-compatibility", {"ckpt_name": "escape_ckpt.safetensors"}, 404),
    ]
    for route, params, expected in checks:
        status, _, body = get(site, route, **params)
        _assert_nothing_leaked(site, watch, f"{route} {params!r}", status, body, (expected,))
    listing = site.server.request("/object_info/LoraLoader")[2].decode()
    assert '"escape.safetensors"' in listing, "ComfyUI should list the escaping link (else this test proves nothing)"


# ---- concurrency ----------------------------------------------------------------------------------------


def test_server_keeps_answering_while_20_stats_computations_run(site):
    """The stats run in worker processes; how fast ComfyUI answers meanwhile is measured in
    bench/inspect_async.py (latency bounds do not belong in tests on a shared machine)."""
    get_json(site, "inspect-lora", clear_cache_all="true")
    names = [f"stress/s{i:02d}.safetensors" for i in range(STRESS_LORAS)]
    probes: list[tuple[float, float]] = []  # (when, latency)
    done = threading.Event()

    def probe():
        while not done.is_set():
            start = time.perf_counter()
            status, _, _ = site.server.request("/system_stats", timeout=10)
            probes.append((start, time.perf_counter() - start))
            assert status == 200

    with ThreadPoolExecutor(STRESS_LORAS + 1) as pool:
        prober = pool.submit(probe)
        start = time.perf_counter()
        results = asyncio.run(inspect_with_stats_async(site.server.url, names))  # until every stats event
        end = time.perf_counter()
        done.set()
        prober.result()
    assert all("stats" in body for body in results.values())
    # Answered while the stats ran: a probe sent and answered inside [start, end]. How fast: bench/, not here.
    during = [latency for when, latency in probes if start <= when and when + latency <= end]
    assert during, f"no /system_stats answered during the {end - start:.2f}s of stats computations"
