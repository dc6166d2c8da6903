"""GET /mad-nodes/inspect-lora and cache clearing, on a bare aiohttp app over temporary model folders."""

import asyncio
import json
import math
import threading

import pytest
import torch
from lora_weights_builder.modules.blocks.energy import compute_stats
from lora_weights_builder.modules.inspection.cache import shared_cache
from lora_weights_builder.routes.config_routes import ConfigRoutes
from lora_weights_builder.routes.inspect_routes import InspectRoutes
from lora_weights_builder.routes.stats_jobs import StatsJobs
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.lora_formats import write_safetensors
from lwb_testkit.route_app import make_route_library, routes_app

SEED_STATS_KEYS = {"energy_distribution", "block_metadata", "output_ratio", "mid_ratio", "input_ratio", "sparsity",
                   "balance"}
CLEARED = {"status": "cleared", "message": "Global LoRA cache cleared."}


@pytest.fixture(autouse=True)
def empty_cache():
    shared_cache().clear()
    yield
    shared_cache().clear()


class CountingStats:
    """compute_stats, counted; optionally held until `release` is set, or replaced by `result`."""

    def __init__(self, hold=False, result=None, error=None):
        self.calls = 0
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.result, self.error = result, error

    def __call__(self, path, arch):
        with self.lock:
            self.calls += 1
        self.started.set()
        self.release.wait(30)
        if self.error:
            raise self.error
        return self.result if self.result is not None else compute_stats(path, arch)


@pytest.fixture
def lib(tmp_path):
    return make_route_library(tmp_path)


async def client_for(aiohttp_client, lib, stats=None, workers=2, extra=(), wait=120):
    """A client whose answers wait up to `wait` s for stats (these tests are about the stats themselves;
    answering `stats_pending` first is tested in test_routes_inspect_pending.py)."""
    jobs = StatsJobs(workers, compute=stats or CountingStats())
    return await aiohttp_client(routes_app(InspectRoutes(lib.folders, stats_jobs=jobs, stats_wait_s=wait), *extra))


async def get(client, **params):
    resp = await client.get("/mad-nodes/inspect-lora", params=params)
    return resp.status, json.loads(await resp.text())


async def test_sdxl_lora_gives_arch_stats_and_fingerprint(aiohttp_client, lib):
    make_lora(lib.loras / "sub" / "style.safetensors", arch="SDXL", seed=1)
    status, body = await get(await client_for(aiohttp_client, lib), lora_name="sub/style.safetensors")
    assert status == 200
    assert list(body) == ["arch", "stats", "fingerprint"]
    assert body["arch"].startswith("SDXL")
    assert set(body["stats"]) >= SEED_STATS_KEYS
    assert math.isclose(sum(body["stats"]["energy_distribution"].values()), 1.0, rel_tol=1e-6)
    assert body["stats"]["block_metadata"]["output_5"]["label"] == "OUT05"
    assert len(body["fingerprint"]) == 16


async def test_flux_lora_is_detected_with_stats(aiohttp_client, lib):
    make_lora(lib.loras / "f.safetensors", arch="FLUX.1", seed=2)
    status, body = await get(await client_for(aiohttp_client, lib), lora_name="f.safetensors")
    assert (status, body["arch"]) == (200, "FLUX.1")
    assert body["stats"]["energy_distribution"]


async def test_linked_lora_root_works(aiohttp_client, tmp_path):
    lib = make_route_library(tmp_path, linked_root=True)
    make_lora(lib.loras / "a.safetensors", arch="SD15", seed=3)
    status, body = await get(await client_for(aiohttp_client, lib), lora_name="a.safetensors")
    assert (status, body["arch"]) == (200, "SD15")


async def test_error_bodies(aiohttp_client, lib):
    (lib.loras / "broken.safetensors").write_bytes(b"\x05")
    (lib.outside / "secret.safetensors").write_bytes(b"x")
    (lib.loras / "escape.safetensors").symlink_to(lib.outside / "secret.safetensors")
    client = await client_for(aiohttp_client, lib)
    assert await get(client) == (400, {"arch": "UNKNOWN"})
    assert await get(client, lora_name="") == (400, {"arch": "UNKNOWN"})
    assert await get(client, lora_name="nope.safetensors") == (404, {"arch": "UNKNOWN", "error": "File not found"})
    assert await get(client, lora_name="escape.safetensors") == (404, {"arch": "UNKNOWN", "error": "File not found"})
    status, body = await get(client, lora_name="../outside/secret.safetensors")
    assert (status, body["arch"], body["error"]) == (400, "UNKNOWN", "File not found")
    assert "'..'" in body["detail"]
    status, body = await get(client, lora_name="broken.safetensors")
    assert status == 422 and list(body) == ["arch", "error"] and body["arch"] == "UNKNOWN"
    assert body["error"].startswith("broken.safetensors: ") and str(lib.loras) not in body["error"]


async def test_clear_cache_by_get_flag_and_by_post(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=4)
    stats = CountingStats()
    client = await client_for(aiohttp_client, lib, stats)
    await get(client, lora_name="a.safetensors")
    await get(client, lora_name="a.safetensors")
    assert stats.calls == 1
    assert await get(client, clear_cache_all="true") == (200, CLEARED)
    await get(client, lora_name="a.safetensors")
    assert stats.calls == 2
    resp = await client.post("/mad-nodes/clear-cache")
    assert (resp.status, await resp.json()) == (200, CLEARED)
    await get(client, lora_name="a.safetensors")
    assert stats.calls == 3
    assert await get(client, clear_cache_all="false", lora_name="a.safetensors") != (200, CLEARED)


@pytest.mark.parametrize("value,recomputes", [("true", True), ("1", True), ("yes", True), ("TRUE", True),
                                               ("false", False), ("0", False), ("no", False), ("", False)])
async def test_refresh_truthy_values(aiohttp_client, lib, value, recomputes):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=5)
    stats = CountingStats()
    client = await client_for(aiohttp_client, lib, stats)
    await get(client, lora_name="a.safetensors")
    await get(client, lora_name="a.safetensors", refresh=value)
    assert stats.calls == (2 if recomputes else 1)


async def test_changed_file_is_reinspected_and_fingerprint_changes(aiohttp_client, lib):
    path = make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=6).path
    client = await client_for(aiohttp_client, lib)
    _, before = await get(client, lora_name="a.safetensors")
    make_lora(path, arch="FLUX.1", seed=6)
    _, after = await get(client, lora_name="a.safetensors")
    assert after["arch"] == "FLUX.1" and after["fingerprint"] != before["fingerprint"]
    (lib.loras / "a.metadata.json").write_text(json.dumps({"baseModel": "Flux.1 D"}))
    _, with_sidecar = await get(client, lora_name="a.safetensors")
    assert with_sidecar["fingerprint"] != after["fingerprint"]


async def test_concurrent_requests_compute_once(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=7)
    stats = CountingStats(hold=True)
    client = await client_for(aiohttp_client, lib, stats)
    pending = [asyncio.ensure_future(get(client, lora_name="a.safetensors")) for _ in range(12)]
    await asyncio.get_running_loop().run_in_executor(None, stats.started.wait, 30)
    await asyncio.sleep(0.2)
    stats.release.set()
    results = await asyncio.gather(*pending)
    assert stats.calls == 1
    assert all(status == 200 and body == results[0][1] for status, body in results)


async def test_cached_lora_is_not_queued_behind_uncached_ones(aiohttp_client, lib):
    make_lora(lib.loras / "cached.safetensors", arch="SDXL", seed=8)
    make_lora(lib.loras / "slow.safetensors", arch="SDXL", seed=9)
    stats = CountingStats()
    client = await client_for(aiohttp_client, lib, stats, workers=1)
    await get(client, lora_name="cached.safetensors")
    stats.release.clear()  # from now on every computation waits
    slow = asyncio.ensure_future(get(client, lora_name="slow.safetensors"))
    await asyncio.get_running_loop().run_in_executor(None, stats.started.wait, 30)
    status, body = await asyncio.wait_for(get(client, lora_name="cached.safetensors"), 10)
    assert status == 200 and "stats" in body and not slow.done()
    stats.release.set()
    assert (await slow)[0] == 200


async def test_event_loop_answers_while_stats_run(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=10)
    stats = CountingStats(hold=True)
    client = await client_for(aiohttp_client, lib, stats, extra=(ConfigRoutes(lib.folders),))
    pending = asyncio.ensure_future(get(client, lora_name="a.safetensors"))
    await asyncio.get_running_loop().run_in_executor(None, stats.started.wait, 30)
    resp = await asyncio.wait_for(client.get("/mad-nodes/config"), 5)
    assert resp.status == 200 and not pending.done()
    stats.release.set()
    await pending


async def test_non_finite_stats_become_null_and_json_stays_valid(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="FLUX.1", seed=11)
    nan_stats = {"energy_distribution": {"double_0": float("nan")}, "block_metadata": {}, "balance": float("inf"),
                 "sparsity": float("-inf"), "output_ratio": 0.5}
    client = await client_for(aiohttp_client, lib, CountingStats(result=nan_stats))
    resp = await client.get("/mad-nodes/inspect-lora", params={"lora_name": "a.safetensors"})
    text = await resp.text()
    assert "NaN" not in text and "Infinity" not in text
    stats = json.loads(text)["stats"]
    assert stats["balance"] is None and stats["energy_distribution"]["double_0"] is None
    assert stats["output_ratio"] == 0.5


async def test_failed_stats_are_omitted_with_the_reason_and_retried(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=12)
    stats = CountingStats(error=ValueError("cannot read module x"))
    client = await client_for(aiohttp_client, lib, stats)
    status, body = await get(client, lora_name="a.safetensors")
    assert status == 200 and body["arch"] == "SDXL" and "stats" not in body
    assert body["stats_error"] == "cannot read module x"
    stats.error = None
    status, body = await get(client, lora_name="a.safetensors")
    assert "stats" in body and stats.calls == 2


async def test_extreme_sdxl_stats_refine_the_lineage(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=13)
    blocks = [f"output_{i}" for i in range(6)] + ["input_4", "middle_0"]
    pony = {"energy_distribution": {b: 1 / len(blocks) for b in blocks},
            "block_metadata": {b: {"section": b.split("_")[0]} for b in blocks},
            "output_ratio": 0.8, "mid_ratio": 0.1, "input_ratio": 0.1, "sparsity": 0.4, "balance": 0.7}
    client = await client_for(aiohttp_client, lib, CountingStats(result=pony))
    assert (await get(client, lora_name="a.safetensors"))[1]["arch"] == "SDXL_PONY"


async def test_unknown_architecture_has_no_stats(aiohttp_client, lib):
    write_safetensors(lib.loras / "odd.safetensors", {"something.weight": torch.zeros(2)}, None)
    stats = CountingStats()
    status, body = await get(await client_for(aiohttp_client, lib, stats), lora_name="odd.safetensors")
    assert (status, body["arch"], "stats" in body, stats.calls) == (200, "UNKNOWN", False, 0)
