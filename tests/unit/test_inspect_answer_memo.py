"""A cached `inspect-lora` answer is never older than the request: stored answers are checked against the file,
its folder and its sidecars, in batches that start after every request they answer arrived."""

import asyncio
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from lora_weights_builder.modules.inspection.cache import shared_cache
from lora_weights_builder.routes.answer_memo import AnswerMemo
from lora_weights_builder.routes.inspect_routes import InspectRoutes
from lora_weights_builder.routes.memo_batches import MemoBatches
from lora_weights_builder.routes.stats_jobs import StatsJobs
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.route_app import make_route_library, routes_app
from lwb_testkit.tmp_model_folders import tmp_model_folders


@pytest.fixture(autouse=True)
def empty_cache():
    shared_cache().clear()
    yield
    shared_cache().clear()


@pytest.fixture
def lib(tmp_path):
    return make_route_library(tmp_path)


async def client_for(aiohttp_client, lib):
    jobs = StatsJobs(1, compute=lambda path, arch: {"energy_distribution": {}, "size": os.path.getsize(path)})
    return await aiohttp_client(routes_app(InspectRoutes(lib.folders, stats_jobs=jobs, stats_wait_s=120)))


async def inspect(client, name="a.safetensors"):
    resp = await client.get("/mad-nodes/inspect-lora", params={"lora_name": name})
    return resp.status, json.loads(await resp.text())


def set_folder_mtime(folder, mtime_ns):
    os.utime(folder, ns=(mtime_ns, mtime_ns))


async def test_vanished_file_is_not_answered_from_memory(aiohttp_client, lib):
    path = make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=1).path
    client = await client_for(aiohttp_client, lib)
    assert (await inspect(client))[0] == 200
    assert (await inspect(client))[0] == 200  # answered from the memo
    path.unlink()
    assert await inspect(client) == (404, {"arch": "UNKNOWN", "error": "File not found"})


async def test_sidecar_added_to_a_long_unchanged_folder_is_seen(aiohttp_client, lib):
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=2)
    set_folder_mtime(lib.loras, time.time_ns() - 3600 * 10**9)  # the folder last changed an hour ago
    client = await client_for(aiohttp_client, lib)
    _, before = await inspect(client)
    assert (await inspect(client))[1] == before
    (lib.loras / "a.civitai.info").write_text(json.dumps({"baseModel": "SDXL 1.0"}))
    _, after = await inspect(client)
    assert after["fingerprint"] != before["fingerprint"]


async def test_sidecar_added_in_the_same_folder_time_tick_is_seen(aiohttp_client, lib):
    """File systems keep times with a coarse tick: a sidecar created in the tick of the folder's last change
    leaves the folder's mtime as it was. A folder changed just before the answer is not trusted for that."""
    make_lora(lib.loras / "a.safetensors", arch="SDXL", seed=3)
    client = await client_for(aiohttp_client, lib)
    _, before = await inspect(client)
    folder_mtime = os.stat(lib.loras).st_mtime_ns
    (lib.loras / "a.metadata.json").write_text(json.dumps({"baseModel": "SDXL 1.0"}))
    set_folder_mtime(lib.loras, folder_mtime)  # same tick: the folder's mtime did not move
    _, after = await inspect(client)
    assert after["fingerprint"] != before["fingerprint"]


class HeldMemo:
    """An AnswerMemo stand-in: each check reads the file's `version` when it starts, then waits for `release`."""

    def __init__(self):
        self.version = b"v1"
        self.checks: list[list[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def check_many(self, names, resolve_many):
        seen = self.version
        self.checks.append(list(names))
        self.started.set()
        self.release.wait(30)
        return {name: seen for name in names}


async def test_request_arriving_during_a_check_is_answered_by_the_next_check():
    memo = HeldMemo()
    executor = ThreadPoolExecutor(1)
    batches = MemoBatches(memo, resolve_many=dict.fromkeys, executor=executor)
    first = [asyncio.ensure_future(batches.get(name)) for name in ("a.safetensors", "b.safetensors")]
    await asyncio.get_running_loop().run_in_executor(None, memo.started.wait, 30)
    memo.version = b"v2"  # the file changes after the running check looked at it
    late = asyncio.ensure_future(batches.get("a.safetensors"))
    await asyncio.sleep(0)  # one loop round: the late request has joined
    memo.release.set()
    assert await asyncio.gather(*first) == [b"v1", b"v1"]
    assert await late == b"v2"
    assert memo.checks == [["a.safetensors", "b.safetensors"], ["a.safetensors"]]
    executor.shutdown()


async def test_requests_of_one_loop_round_share_one_check():
    memo = HeldMemo()
    memo.release.set()
    executor = ThreadPoolExecutor(1)
    batches = MemoBatches(memo, resolve_many=dict.fromkeys, executor=executor)
    names = [f"lora_{i}.safetensors" for i in range(50)]
    assert await asyncio.gather(*(batches.get(name) for name in names)) == [b"v1"] * 50
    assert memo.checks == [names]
    executor.shutdown()


def test_a_name_that_comfyui_now_resolves_elsewhere_is_not_answered_from_memory(tmp_path):
    """Past the resolve interval the listing is read again: a same-named file in a higher-priority model folder
    (or the name gone from the listing) misses, though the remembered file itself is unchanged."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    folders = tmp_model_folders({"loras": [first, second]})
    path = make_lora(second / "a.safetensors", arch="SDXL", seed=4).path
    memo = AnswerMemo(resolve_ttl_s=0)
    memo.put("a.safetensors", memo.stamp(path), b"answer about second/a")
    assert memo.check_many(["a.safetensors"], lambda names: folders.resolve_many("loras", names)) == {
        "a.safetensors": b"answer about second/a"}
    make_lora(first / "a.safetensors", arch="SDXL", seed=5)
    assert memo.check_many(["a.safetensors"], lambda names: folders.resolve_many("loras", names)) == {
        "a.safetensors": None}
