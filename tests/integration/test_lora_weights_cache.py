"""The README's LoRA tensor cache: a LoRA file is read once per (path, size, mtime), runs reuse it.

Whether the file is opened or read is watched with inotify (`lwb_testkit.open_watch`), so a bypass of
the cache in `load_lora_state_dict` (the loader's only way to the tensors) fails here. A node run also
opens the file for other, small reads (header facts, the library's usage record), so the node as a whole
is not the probe.
"""

import importlib
import os

import pytest
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.open_watch import OpenWatch

pytestmark = pytest.mark.comfy


@pytest.fixture
def lora_folder(comfy, tmp_path):
    folder = tmp_path / "cached_loras"
    folder.mkdir()
    comfy.folder_paths.add_model_folder_path("loras", str(folder), is_default=True)
    return folder


def test_the_tensors_are_loaded_once_per_file_version(lora_folder):
    loading = importlib.import_module("lora_weights_builder.nodes.lora_loading")
    path = lora_folder / "cache_direct_lwb.safetensors"
    make_lora(path, "SD15", seed=4)
    with OpenWatch([lora_folder]) as watch:
        first = loading.load_lora_state_dict(str(path))
        assert watch.drain(), "the first load reads the file"
        assert loading.load_lora_state_dict(str(path)) is first
        assert watch.drain() == [], "the second load opens nothing"
        make_lora(path, "SD15", seed=5)
        os.utime(path, ns=(1, 1))
        assert loading.load_lora_state_dict(str(path)) is not first
        assert watch.drain(), "a new version of the file is read again"

