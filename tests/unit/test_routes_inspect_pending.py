"""GET /mad-nodes/inspect-lora never waits on a file: `stats_pending` first, then the `lwb.inspect.stats` event.

Bare aiohttp app over temporary model folders; the route's `notify` (ComfyUI's `send_sync`) is an
EventLog. A computation the test holds (threads) makes "slow" deterministic; the last tests run the
real worker processes.
"""

import asyncio
import dataclasses
import json
import os
import threading

import pytest
from lora_weights_builder.modules.blocks.energy import compute_stats
from lora_weights_builder.modules.inspection.cache import shared_cache
from lora_weights_builder.routes.inspect_routes import STATS_EVENT, InspectRoutes
from lora_weights_builder.routes.stats_jobs import StatsJobs
from lwb_testkit.event_log import EventLog
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.route_app import make_route_library, routes_app


@pytest.fixture(autouse=True)
def empty_cache():
    shared_cache().clear()
    yield
    shared_cache().clear()


class HeldStats:
    """compute_stats that waits until `release` is set; `during` runs while it is held (a file change)."""

    def __init__(self):
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, path, arch):
        self.calls += 1
        self.started.set()
        if not self.release.wait(120):
            raise TimeoutError("the test never released the computation")
        return compute_stats(path, arch)


@pytest.fixture
def lib(tmp_path):
    return make_route_library(tmp_path)


async def make_client(aiohttp_client, lib, events, stats_jobs, wait=0.0):
    folders = dataclasses.replace(lib.folders, notify=events)
    return await aiohttp_client(routes_app(InspectRoutes(folders, stats_jobs=stats_jobs, stats_wait_s=wait)))


async def get(client, **params):
    resp = await client.get("/mad-nodes/inspect-lora", params=params)
    return resp.status, json.loads(await resp.text())


def stats_event_for(name):
    return lambda event, data: event == STATS_EVENT and data["lora_name"] == name


def jsonable(value):
    """What a value looks like after a trip through JSON (the event and the answer both are JSON)."""
    return json.loads(json.dumps(value))


async def test_slow_stats_answer_pending_then_arrive_as_an_event(aiohttp_client, lib):
    path = make_lora(lib.loras / "slow.safetensors", arch="SDXL", seed=1).path
    held, events = HeldStats(), EventLog()
    client = await make_client(aiohttp_client, lib, events, StatsJobs(compute=held), wait=0.05)
    status, body = await get(client, lora_name="slow.safetensors")
    assert status == 200
    assert list(body) == ["arch", "stats_pending", "fingerprint"]
    assert body["arch"] == "SDXL" and body["stats_pending"] is True
    assert events.matching(stats_event_for("slow.safetensors")) == []
    held.release.set()
    _, data = await events.next(stats_event_for("slow.safetensors"))
    assert data["fingerprint"] == body["fingerprint"]
    assert data["stats"] == jsonable(compute_stats(path, "SDXL"))
    assert data["arch"].startswith("SDXL")
    status, later = await get(client, lora_name="slow.safetensors")
    assert later == {"arch": data["arch"], "stats": data["stats"], "fingerprint": body["fingerprint"]}
    assert held.calls == 1, "the later request got the stored stats"


async def test_one_event_per_name_however_many_pending_answers(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=2)
    held, events = HeldStats(), EventLog()
    client = await make_client(aiohttp_client, lib, events, StatsJobs(compute=held))
    answers = await asyncio.gather(*(get(client, lora_name="a.safetensors") for _ in range(5)))
    assert all(body["stats_pending"] for _, body in answers)
    held.release.set()
    await events.next(stats_event_for("a.safetensors"))
    await get(client, lora_name="a.safetensors")  # answered from the finished job: no second event
    assert len(events.matching(stats_event_for("a.safetensors"))) == 1 and held.calls == 1


async def test_file_rewritten_mid_computation_fails_that_version_only(aiohttp_client, lib):
    path = make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=3).path
    held, events = HeldStats(), EventLog()
    client = await make_client(aiohttp_client, lib, events, StatsJobs(compute=held))
    _, first = await get(client, lora_name="a.safetensors")
    await asyncio.to_thread(held.started.wait, 60)
    make_lora(path, arch="SDXL", seed=4, rank=8)  # a new version while the old one is being measured
    held.release.set()
    _, data = await events.next(stats_event_for("a.safetensors"))
    assert data["fingerprint"] == first["fingerprint"]
    assert "stats" not in data and "changed" in data["stats_error"]
    _, fresh = await get(client, lora_name="a.safetensors")
    if fresh.get("stats_pending"):
        _, fresh = await events.next(lambda e, d: stats_event_for("a.safetensors")(e, d)
                                     and d["fingerprint"] == fresh["fingerprint"])
    assert fresh["fingerprint"] != first["fingerprint"]
    assert fresh["stats"] == jsonable(compute_stats(path, "SDXL")), "the new version's own stats"


async def test_file_vanishing_mid_computation_gives_a_stats_error(aiohttp_client, lib):
    path = make_lora(lib.loras / "gone.safetensors", arch="SDXL", seed=5).path
    held, events = HeldStats(), EventLog()
    client = await make_client(aiohttp_client, lib, events, StatsJobs(compute=held))
    await get(client, lora_name="gone.safetensors")
    await asyncio.to_thread(held.started.wait, 60)
    os.unlink(path)
    held.release.set()
    _, data = await events.next(stats_event_for("gone.safetensors"))
    assert data["stats_error"].startswith("gone.safetensors: ") and str(lib.loras) not in data["stats_error"]
    assert await get(client, lora_name="gone.safetensors") == (404, {"arch": "UNKNOWN", "error": "File not found"})


async def test_real_worker_processes_send_the_stats_of_a_direct_computation(aiohttp_client, lib):
    paths = {name: make_lora(lib.loras / name, arch=arch, adapter=adapter, seed=i).path
             for i, (name, arch, adapter) in enumerate([("x.safetensors", "SDXL", "lora"),
                                                        ("h.safetensors", "SDXL", "loha"),
                                                        ("f.safetensors", "FLUX.1", "lokr")])}
    events = EventLog()
    client = await make_client(aiohttp_client, lib, events, StatsJobs(), wait=0.0)
    for name in paths:
        status, body = await get(client, lora_name=name)
        assert status == 200 and body["stats_pending"] is True
    for name, path in paths.items():
        _, data = await events.next(stats_event_for(name))
        arch = "FLUX.1" if name.startswith("f") else "SDXL"
        assert data["stats"] == jsonable(compute_stats(path, arch)), name
