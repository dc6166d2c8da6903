"""The worker processes that compute block energy: crash recovery, spawn safety, errors, shutdown."""

import os
import signal

import pytest
from lora_weights_builder.modules.blocks.energy import compute_stats
from lora_weights_builder.modules.workers.pool import BACKGROUND, INTERACTIVE, WorkerPool
from lwb_testkit.lora_factory import make_lora

RESULT_TIMEOUT_S = 600


@pytest.fixture
def pool():
    pool = WorkerPool(1, name="test-pool")
    yield pool
    pool.close()


def wait_until_in_flight(pool: WorkerPool, task: str) -> int:
    """The pid of the worker running `task`, once it runs (the pool reports it under its lock)."""
    while True:
        running = {pid: t for pid, (t, _) in pool.in_flight().items()}
        if task in running.values():
            return next(pid for pid, t in running.items() if t == task)
        pool.wait_idle(0.05)


def test_a_killed_worker_is_replaced_and_its_job_still_completes(tmp_path, pool):
    path = make_lora(tmp_path / "a.safetensors", arch="SDXL", adapter="loha", seed=1).path
    job = pool.submit("block_stats", str(path), "SDXL")
    queued = pool.submit("block_stats", str(path), "SDXL")
    victim = wait_until_in_flight(pool, "block_stats")
    os.kill(victim, signal.SIGKILL)
    expected = compute_stats(path, "SDXL")
    assert job.result(RESULT_TIMEOUT_S) == expected
    assert queued.result(RESULT_TIMEOUT_S) == expected, "the job queued behind it was not lost either"
    survivor = pool.submit("describe_worker").result(RESULT_TIMEOUT_S)["pid"]
    assert survivor != victim


def test_a_job_that_kills_every_worker_fails_with_the_reason(tmp_path):
    path = make_lora(tmp_path / "a.safetensors", arch="SDXL", seed=2).path
    pool = WorkerPool(1, name="test-pool", max_attempts=2)
    try:
        job = pool.submit("block_stats", str(path), "SDXL")
        first = wait_until_in_flight(pool, "block_stats")
        os.kill(first, signal.SIGKILL)
        while (second := wait_until_in_flight(pool, "block_stats")) == first:
            pool.wait_idle(0.05)
        os.kill(second, signal.SIGKILL)
        with pytest.raises(RuntimeError, match=r"block_stats a\.safetensors: the worker process died 2 time"):
            job.result(RESULT_TIMEOUT_S)
        assert pool.submit("describe_worker").result(RESULT_TIMEOUT_S)["pid"] not in (first, second)
    finally:
        pool.close()


def test_a_worker_never_imports_comfyui_or_the_node_modules(pool):
    info = pool.submit("describe_worker").result(RESULT_TIMEOUT_S)
    loaded = set(info["modules"])
    assert not loaded & {"comfy", "server", "folder_paths", "nodes", "main", "execution"}
    assert not [m for m in loaded if ".nodes" in m or ".routes" in m or m.startswith("comfy.")]
    assert "lwb_worker_pack.modules.workers.tasks" in loaded
    assert info["pid"] != os.getpid()


def test_task_errors_come_back_with_their_kind(tmp_path, pool):
    with pytest.raises(FileNotFoundError):
        pool.submit("block_stats", str(tmp_path / "missing.safetensors"), "SDXL", 10, 10).result(RESULT_TIMEOUT_S)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x05")
    with pytest.raises(Exception, match="."):
        pool.submit("block_stats", str(broken), "SDXL").result(RESULT_TIMEOUT_S)
    assert pool.submit("describe_worker").result(RESULT_TIMEOUT_S)["pid"], "the worker survived both"


def test_interactive_jobs_run_before_queued_background_jobs(tmp_path, pool):
    path = make_lora(tmp_path / "a.safetensors", arch="SDXL", seed=3).path
    order = []
    blocker = pool.submit("describe_worker")
    background = [pool.submit("block_stats", str(path), "SDXL", priority=BACKGROUND) for _ in range(3)]
    interactive = pool.submit("block_stats", str(path), "SDXL", priority=INTERACTIVE)
    for name, job in [("b0", background[0]), ("b1", background[1]), ("b2", background[2]), ("i", interactive)]:
        job.add_done_callback(lambda _j, name=name: order.append(name))
    blocker.result(RESULT_TIMEOUT_S)
    for job in (*background, interactive):
        job.result(RESULT_TIMEOUT_S)
    assert order.index("i") <= 1, order  # at most the background job already running went first


def test_close_stops_the_workers(pool):
    pid = pool.submit("describe_worker").result(RESULT_TIMEOUT_S)["pid"]
    pool.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit("describe_worker")
