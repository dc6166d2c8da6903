"""Configuration sets: save, list, reload without recomputation, stale when a LoRA file changed."""

from __future__ import annotations

import os

import pytest
from lora_weights_builder.modules.combiner.config_sets import ConfigSetStore


@pytest.fixture
def files(tmp_path):
    a, b = tmp_path / "loras" / "a.safetensors", tmp_path / "loras" / "b.safetensors"
    a.parent.mkdir()
    a.write_bytes(b"aaaa")
    b.write_bytes(b"bbbb")
    return {"a.safetensors": str(a), "b.safetensors": str(b)}


INPUTS = {"policy": "budget", "headroom": 1.5, "items": [{"lora_name": "a.safetensors", "strength_model": 1}]}
OUTPUTS = {"schedule_string": "<lora:a:1:0.5>",
           "loras": [{"lora_name": "a.safetensors", "inspire_vector": "1," * 11 + "1"}]}


def test_round_trip_returns_the_saved_outputs_and_lists_sets(tmp_path, files):
    store = ConfigSetStore(tmp_path / "sets")
    store.save("portrait mix", INPUTS, OUTPUTS, files)
    store.save("another", INPUTS, OUTPUTS, {"a.safetensors": files["a.safetensors"]})
    loaded = store.load("portrait mix")
    assert loaded.data["outputs"] == OUTPUTS and loaded.data["inputs"] == INPUTS
    assert not loaded.is_stale
    assert [s["name"] for s in store.list()] == ["another", "portrait mix"]
    assert store.list()[1]["loras"] == ["a.safetensors", "b.safetensors"]
    assert sorted(p.name for p in (tmp_path / "sets").iterdir()) == ["another.json", "portrait mix.json"]


def test_changed_or_missing_file_marks_the_set_stale(tmp_path, files):
    store = ConfigSetStore(tmp_path / "sets")
    store.save("s", INPUTS, OUTPUTS, files)
    st = os.stat(files["a.safetensors"])
    os.utime(files["a.safetensors"], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert store.load("s").stale == ("a.safetensors",)
    os.remove(files["b.safetensors"])
    assert store.load("s").stale == ("a.safetensors", "b.safetensors")
    assert store.list()[0]["stale"] is True
    assert store.load("s").data["outputs"] == OUTPUTS, "a stale set still reloads"


def test_saving_again_replaces_the_set_and_bad_names_are_refused(tmp_path, files):
    store = ConfigSetStore(tmp_path / "sets")
    store.save("s", INPUTS, OUTPUTS, files)
    store.save("s", {**INPUTS, "policy": "weighted"}, OUTPUTS, files)
    assert store.load("s").data["inputs"]["policy"] == "weighted"
    for bad in ("../escape", "", ".hidden", "a/b"):
        with pytest.raises(ValueError, match="configuration set name"):
            store.save(bad, INPUTS, OUTPUTS, files)
    with pytest.raises(ValueError, match="'missing' does not exist"):
        store.load("missing")
    with pytest.raises(ValueError, match="cannot read"):
        store.save("x", INPUTS, OUTPUTS, {"gone": str(tmp_path / "nope.safetensors")})
    (tmp_path / "sets" / "junk.json").write_text("{not json")
    assert [s["name"] for s in store.list()] == ["s"]
