"""Sidecar metadata, trigger words and preview lookup beside a LoRA file."""

import json
import logging

import pytest
from lora_weights_builder.modules.inspection.sidecars import (
    PREVIEW_SUFFIXES,
    find_metadata_sidecar,
    find_preview,
    load_metadata_sidecar,
    preview_content_type,
    read_sidecar,
    trigger_words,
)


@pytest.fixture
def lora(tmp_path):
    path = tmp_path / "my.lora.v2.safetensors"
    path.write_bytes(b"")
    return path


def test_stem_keeps_inner_dots(lora):
    (lora.parent / "my.lora.v2.json").write_text("{}")
    (lora.parent / "my.lora.json").write_text("{}")  # what `with_suffix` mangling would find
    assert find_metadata_sidecar(lora) == lora.parent / "my.lora.v2.json"


@pytest.mark.parametrize("present, expected", [
    ((".metadata.json", ".json", ".civitai.info"), ".metadata.json"),
    ((".json", ".civitai.info"), ".json"),
    ((".civitai.info",), ".civitai.info"),
    ((), None),
])
def test_metadata_sidecar_priority(lora, present, expected):
    for suffix in present:
        (lora.parent / f"my.lora.v2{suffix}").write_text("{}")
    found = find_metadata_sidecar(lora)
    assert found == (lora.parent / f"my.lora.v2{expected}" if expected else None)


def test_a_directory_is_not_a_sidecar(lora):
    (lora.parent / "my.lora.v2.metadata.json").mkdir()
    assert find_metadata_sidecar(lora) is None


@pytest.mark.parametrize("content, problem", [
    (b"[1, 2]", "JSON is a list"),
    (b"null", "JSON is null"),
    (b'"text"', "JSON is a str"),
    (b'{"baseModel": "SDXL', "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"", "not valid JSON"),
    (b"[" * 100000, "too deeply"),
])
def test_broken_sidecars_return_an_error_and_log(tmp_path, caplog, content, problem):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        sidecar = read_sidecar(path)
    assert sidecar.data is None and not sidecar.ok
    assert problem in sidecar.error
    assert str(path) in caplog.text


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"baseModel": "Pony"}).encode())
    assert read_sidecar(path).data == {"baseModel": "Pony"}


def test_oversized_sidecar_is_refused(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"x": "y" * 200}))
    assert "limit" in read_sidecar(path, max_bytes=100).error


def test_load_falls_back_to_the_next_valid_sidecar(lora):
    (lora.parent / "my.lora.v2.metadata.json").write_text("[not json")
    (lora.parent / "my.lora.v2.civitai.info").write_text(json.dumps({"trainedWords": ["tok"]}))
    sidecar = load_metadata_sidecar(lora)
    assert sidecar.ok and sidecar.path.name == "my.lora.v2.civitai.info"


def test_load_reports_the_first_broken_sidecar_when_none_parse(lora):
    (lora.parent / "my.lora.v2.metadata.json").write_text("null")
    sidecar = load_metadata_sidecar(lora)
    assert not sidecar.ok and sidecar.path.name == "my.lora.v2.metadata.json"
    assert load_metadata_sidecar(lora.parent / "other.safetensors") is None


def test_trigger_words_merge_dedupe_strip_sort():
    data = {"trainedWords": ["  zeta ", "Alpha", "alpha", "zeta", ""],
            "civitai": {"trainedWords": ["beta", "Alpha", "gamma, delta"]}}
    assert trigger_words(data) == ["Alpha", "alpha", "beta", "gamma, delta", "zeta"]


@pytest.mark.parametrize("data", [
    None, [], "x", {"trainedWords": "word"}, {"trainedWords": None}, {"civitai": None},
    {"civitai": {"trainedWords": {"a": 1}}}, {"civitai": "text"}, {"trainedWords": [1, None, {"w": "x"}, ["y"]]},
])
def test_trigger_words_ignore_malformed_values(data):
    assert trigger_words(data) == []


def test_lora_manager_minimal_file(lora):
    (lora.parent / "my.lora.v2.metadata.json").write_text(json.dumps({"civitai": {"trainedWords": ["tok"]}}))
    assert trigger_words(load_metadata_sidecar(lora).data) == ["tok"]


def test_preview_priority_follows_seed_order(lora):
    names = [f"my.lora.v2{s}" for s in PREVIEW_SUFFIXES]
    for name in names:
        (lora.parent / name).write_bytes(b"x")
    for name in names:  # remove the winner each time: the next one in the list takes over
        assert find_preview(lora).name == name
        (lora.parent / name).unlink()
    assert find_preview(lora) is None


def test_preview_order_is_the_seed_list():
    assert PREVIEW_SUFFIXES == (".preview.png", ".preview.jpg", ".preview.webp", ".png", ".jpg", ".jpeg",
                                ".webp", ".mp4", ".webm")


def test_unknown_extensions_are_not_previews(lora):
    (lora.parent / "my.lora.v2.gif").write_bytes(b"x")
    (lora.parent / "my.lora.png").write_bytes(b"x")  # a different stem
    assert find_preview(lora) is None


@pytest.mark.parametrize("name, ctype", [
    ("a.preview.png", "image/png"), ("a.JPG", "image/jpeg"), ("a.jpeg", "image/jpeg"), ("a.webp", "image/webp"),
    ("a.mp4", "video/mp4"), ("a.webm", "video/webm"), ("a.bin", "application/octet-stream"),
])
def test_preview_content_type(name, ctype):
    assert preview_content_type(name) == ctype


def test_sidecar_linking_outside_the_lora_folder_is_not_read(tmp_path):
    from lora_weights_builder.modules.inspection.sidecars import find_metadata_sidecar, load_metadata_sidecar

    loras, outside = tmp_path / "loras", tmp_path / "elsewhere"
    loras.mkdir()
    outside.mkdir()
    secret = outside / "secret.json"
    secret.write_text(json.dumps({"trainedWords": ["leaked"]}))
    lora = loras / "x.safetensors"
    lora.write_bytes(b"")
    (loras / "x.metadata.json").symlink_to(secret)
    assert find_metadata_sidecar(lora) is None
    assert load_metadata_sidecar(lora) is None


def test_sidecars_work_through_a_linked_lora_folder(tmp_path):
    from lora_weights_builder.modules.inspection.sidecars import load_metadata_sidecar, trigger_words

    library = tmp_path / "drive" / "loras"
    library.mkdir(parents=True)
    (library / "x.safetensors").write_bytes(b"")
    (library / "x.metadata.json").write_text(json.dumps({"trainedWords": ["kept"]}))
    linked = tmp_path / "comfy_loras"
    linked.symlink_to(library, target_is_directory=True)
    assert trigger_words(load_metadata_sidecar(linked / "x.safetensors").data) == ["kept"]
