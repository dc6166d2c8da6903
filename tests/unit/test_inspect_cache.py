"""The inspection cache: keyed by file identity, bounded, and one computation per key under concurrency."""

import os
import threading
import time

import pytest
from lora_weights_builder.modules.inspection.cache import InspectCache


@pytest.fixture
def lora(tmp_path):
    path = tmp_path / "a.safetensors"
    path.write_bytes(b"one")
    return path


class Counter:
    def __init__(self, value="v"):
        self.calls = 0
        self.value = value
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        return f"{self.value}{self.calls}"


def test_second_call_is_a_hit(lora):
    cache, fn = InspectCache(), Counter()
    assert cache.get_or_compute(lora, "arch", fn) == "v1"
    assert cache.get_or_compute(lora, "arch", fn) == "v1"
    assert fn.calls == 1
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)


def test_kinds_are_separate(lora):
    cache = InspectCache()
    cache.get_or_compute(lora, "arch", lambda: "A")
    assert cache.get_or_compute(lora, "stats", lambda: "S") == "S"


def test_same_file_through_another_path_is_a_hit(lora, tmp_path):
    cache, fn = InspectCache(), Counter()
    link = tmp_path / "link.safetensors"
    link.symlink_to(lora)
    cache.get_or_compute(lora, "arch", fn)
    cache.get_or_compute(tmp_path / "sub" / ".." / "a.safetensors", "arch", fn)
    cache.get_or_compute(link, "arch", fn)
    assert fn.calls == 1


def test_editing_the_file_recomputes_and_drops_the_old_version(lora):
    cache, fn = InspectCache(), Counter()
    cache.get_or_compute(lora, "arch", fn)
    lora.write_bytes(b"changed content")
    assert cache.get_or_compute(lora, "arch", fn) == "v2"
    assert cache.stats().size == 1  # the stale entry is gone, not just shadowed


def test_same_size_new_mtime_recomputes(lora):
    cache, fn = InspectCache(), Counter()
    cache.get_or_compute(lora, "arch", fn)
    st = lora.stat()
    os.utime(lora, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    cache.get_or_compute(lora, "arch", fn)
    assert fn.calls == 2


def test_refresh_recomputes(lora):
    cache, fn = InspectCache(), Counter()
    cache.get_or_compute(lora, "arch", fn)
    assert cache.get_or_compute(lora, "arch", fn, refresh=True) == "v2"
    assert cache.get_or_compute(lora, "arch", fn) == "v2"


def test_clear_and_invalidate(lora, tmp_path):
    other = tmp_path / "b.safetensors"
    other.write_bytes(b"b")
    cache, fn = InspectCache(), Counter()
    cache.get_or_compute(lora, "arch", fn)
    cache.get_or_compute(lora, "stats", fn)
    cache.get_or_compute(other, "arch", fn)
    assert cache.invalidate(lora) == 2
    assert cache.stats().size == 1
    cache.clear()
    assert cache.stats().size == 0
    cache.get_or_compute(other, "arch", fn)
    assert fn.calls == 4


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        InspectCache().get_or_compute(tmp_path / "gone.safetensors", "arch", lambda: 1)


def test_bound_evicts_least_recently_used(tmp_path):
    files = []
    for i in range(4):
        files.append(tmp_path / f"{i}.safetensors")
        files[-1].write_bytes(b"x")
    cache, fn = InspectCache(max_entries=3), Counter()
    for f in files[:3]:
        cache.get_or_compute(f, "arch", fn)
    cache.get_or_compute(files[0], "arch", fn)  # touch 0: 1 is now the oldest
    cache.get_or_compute(files[3], "arch", fn)  # evicts 1
    assert cache.stats().size == 3 and cache.stats().evictions == 1
    calls = fn.calls
    cache.get_or_compute(files[0], "arch", fn)
    cache.get_or_compute(files[2], "arch", fn)
    assert fn.calls == calls
    cache.get_or_compute(files[1], "arch", fn)
    assert fn.calls == calls + 1


def test_invalid_bound():
    with pytest.raises(ValueError, match="max_entries"):
        InspectCache(max_entries=0)


def test_concurrent_callers_compute_once(lora):
    """Eight callers, one computation: it only finishes once the seven others are waiting on it."""
    cache = InspectCache()
    calls = []

    def compute():
        calls.append(1)
        wait_until(lambda: cache.stats().hits == 7)
        return "v1"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute(lora, "stats", compute)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(calls) == 1
    assert results == ["v1"] * 8


def test_concurrent_different_keys_run_in_parallel(tmp_path):
    """One slow file must not serialise the others: the lock is not held while computing. Each computation
    waits for all four to be running at once (a barrier): serialised, the barrier breaks and they fail."""
    files = [tmp_path / f"{i}.safetensors" for i in range(4)]
    for f in files:
        f.write_bytes(b"x")
    cache = InspectCache()
    together = threading.Barrier(len(files), timeout=30)
    results, errors = [], []

    def compute(f):
        try:
            results.append(cache.get_or_compute(f, "stats", lambda: together.wait() >= 0))
        except threading.BrokenBarrierError as err:
            errors.append(err)

    threads = [threading.Thread(target=compute, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and results == [True] * 4
    assert cache.stats().size == 4


def wait_until(condition, timeout=60.0):
    """Poll `condition` (a state the code exposes) until true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_failure_is_shared_but_not_cached(lora):
    cache = InspectCache()
    gate = threading.Event()
    calls = []

    def failing():
        calls.append(1)
        gate.wait(60)
        raise ValueError("bad header")

    errors = []

    def worker():
        try:
            cache.get_or_compute(lora, "arch", failing)
        except ValueError as err:
            errors.append(str(err))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    wait_until(lambda: cache.stats().hits == 2)  # the two others wait on the one computation in flight
    gate.set()
    for t in threads:
        t.join(10)
    assert errors == ["bad header"] * 3 and len(calls) == 1
    assert cache.get_or_compute(lora, "arch", lambda: "ok") == "ok"


def test_result_computed_across_a_clear_is_not_stored(lora):
    cache = InspectCache()
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(60)
        return "old"

    t = threading.Thread(target=cache.get_or_compute, args=(lora, "arch", slow))
    t.start()
    started.wait(60)
    cache.clear()
    release.set()
    t.join(10)
    assert cache.get_or_compute(lora, "arch", lambda: "new") == "new"


def test_byte_bound_evicts_least_recent_and_refuses_oversized(tmp_path):
    files = []
    for i in range(4):
        f = tmp_path / f"f{i}.bin"
        f.write_bytes(b"x" * (i + 1))
        files.append(f)
    cache = InspectCache(max_bytes=100, size_of=len)
    for f in files[:3]:
        cache.get_or_compute(f, "w", lambda f=f: "a" * 40)
    stats = cache.stats()
    assert (stats.size, stats.bytes, stats.evictions) == (2, 80, 1)
    calls = []
    assert cache.get_or_compute(files[3], "w", lambda: calls.append(1) or "b" * 101) == "b" * 101
    assert cache.get_or_compute(files[3], "w", lambda: calls.append(1) or "b" * 101) == "b" * 101
    assert len(calls) == 2, "a value larger than the whole budget must not be stored"
    assert cache.stats().bytes == 80


def test_byte_bound_needs_a_size_function():
    with pytest.raises(ValueError, match="go together"):
        InspectCache(max_bytes=10)
