"""The README's LoRA tensor cache: a LoRA file is read once per (path, size, mtime), runs reuse it.

Whether the file is opened is watched with inotify (`lwb_testkit.open_watch`), so a bypass of the
cache (loading the file per run) fails here, whatever the code path.
"""

import importlib
import json
import os

import pytest
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.open_watch import OpenWatch

pytestmark = pytest.mark.comfy


def config(name):
    return json.dumps([{"lora_name": name, "strength_model": 1.0, "strength_clip": 1.0, "enabled": True,
                        "points": [{"x": 0.0, "y": 1.0}, {"x": 1.0, "y": 1.0}], "vectors": {}}])


def test_a_second_run_opens_nothing_and_a_changed_file_is_read_again(comfy, tmp_path):
    folder = tmp_path / "cached_loras"
    folder.mkdir()
    comfy.folder_paths.add_model_folder_path("loras", str(folder), is_default=True)
    name = "cache_probe_lwb.safetensors"
    make_lora(folder / name, "SD15", seed=4)
    node = importlib.import_module("lora_weights_builder.nodes.multi_scheduled_lora_loader").MultiScheduledLoraLoader()
    with OpenWatch([folder]) as watch:
        node.process(config(name))
        first = watch.drain()
        assert (folder, name) in first, "the first run reads the file"
        node.process(config(name))
        assert watch.drain() == [], "the second run reuses the loaded tensors"
        make_lora(folder / name, "SD15", seed=5)  # a new version of the file (size or mtime changes)
        os.utime(folder / name, ns=(1, 1))
        node.process(config(name))
        assert (folder, name) in watch.drain(), "a changed file is read again"
