"""A first index analyses each tensor table once and reuses the analysis for every file with that table:
a reused analysis must give each file the row a fresh analysis gives it (never another table's or another
architecture's answer), and the worker routing must send every file of one table to one worker."""

from __future__ import annotations

import pytest
from lora_weights_builder.modules.arch import detect
from lora_weights_builder.modules.inspection.header import read_header
from lora_weights_builder.modules.library.entry_facts import read_facts
from lora_weights_builder.modules.library.parse_workers import TableRouter
from lora_weights_builder.modules.library.structure import StructureCache
from lwb_testkit.lora_factory import kohya_metadata, make_lora, supported_combinations


@pytest.fixture(scope="module")
def every_format(tmp_path_factory) -> list:
    """One small LoRA per (architecture, naming, adapter) the factory writes."""
    root = tmp_path_factory.mktemp("formats")
    paths = []
    for i, (arch, naming, adapter) in enumerate(supported_combinations()):
        path = root / f"{i:03d}_{arch}_{naming}_{adapter}.safetensors"
        make_lora(path, arch, naming, adapter, max_modules=6, seed=i)
        paths.append(path)
    return paths


def fresh_row(path) -> dict:
    row = read_facts(str(path), path.name, StructureCache())
    row.pop("indexed_at")
    return row


def test_rows_through_a_warm_cache_equal_fresh_rows_for_every_adapter_format(every_format):
    paths = every_format
    expected = {p: fresh_row(p) for p in paths}
    cache = StructureCache(max_entries=1000)
    for path in paths * 2:  # the second round is served from the cache
        row = read_facts(str(path), path.name, cache)
        row.pop("indexed_at")
        assert row == expected[path], path
    assert cache.hits >= len(paths)


def test_one_table_read_as_different_architectures_keeps_each_answer(tmp_path):
    # A text-encoder-only table: its metadata decides the architecture, and with it the block ids
    # (SD1.5 "te_layer_*", SDXL "te1_layer_*") and the layout. Same tensor table, so the same cache entry.
    paths = []
    for i, meta_arch in enumerate(("SD15", "SDXL", "SD15", "FLUX.1", "SDXL")):
        path = tmp_path / f"te_only_{i}.safetensors"
        make_lora(path, "SD15", blocks=[], text_encoder=True, max_modules=4, metadata=kohya_metadata(meta_arch))
        paths.append(path)
    expected = {p: fresh_row(p) for p in paths}
    assert {expected[p]["layout"] for p in paths} == {"sd_unet_12", "sdxl_unet_9", "flux_19_38"}
    cache = StructureCache()
    for path in paths:
        row = read_facts(str(path), path.name, cache)
        row.pop("indexed_at")
        assert row == expected[path], path
    assert (cache.hits, cache.misses) == (4, 1)


def test_memoised_key_analysis_equals_a_cold_one_on_every_generated_table(every_format):
    tables = [read_header(path).tensors for path in every_format]
    cold = []
    for table in tables:
        detect._key_facts.cache_clear()
        cold.append(detect.analyse_keys(table))
    warm = [detect.analyse_keys(table) for table in tables]  # every key name seen before
    assert warm == cold
    assert detect._key_facts.cache_info().hits > 0


def _safetensors(path, data_size: int, metadata: bytes = b"") -> None:
    header = b'{"__metadata__":{"n":"' + metadata + b'"}}'
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * data_size)


def test_router_sends_each_table_to_one_worker_and_balances_new_tables(tmp_path):
    router = TableRouter(2)
    slots = {}
    for i in range(12):
        table = i // 3  # four tables, three files each, different metadata lengths: file sizes differ within a table
        path = tmp_path / f"f{i}.safetensors"
        _safetensors(path, 1000 * (table + 1), b"x" * i)
        slots.setdefault(table, set()).add(router.slot(str(path), path.stat().st_size))
    assert all(len(s) == 1 for s in slots.values())  # one worker per table
    assert sorted(router.files) == [6, 6] and {s.pop() for s in slots.values()} == {0, 1}
    (tmp_path / "short.safetensors").write_bytes(b"\1\2")
    assert router.slot(str(tmp_path / "short.safetensors"), 2) in (0, 1)  # unreadable: any worker reports it
    assert router.slot(str(tmp_path / "gone.safetensors"), 10) in (0, 1)
