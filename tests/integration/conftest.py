"""Fixtures that run the pack inside real ComfyUI.

- `comfy_server`: one ComfyUI server process for the whole session, with this pack loaded from
  `custom_nodes/` and `loras`/`checkpoints` in temporary folders the tests fill.
- `comfy`: the real `comfy` modules imported into the test process, for hook-level tests.
"""

import pytest
from lwb_testkit.comfy_server import PACK_FOLDER_NAME, ComfyServer


@pytest.fixture(scope="session")
def comfy_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("comfy")
    server = ComfyServer(base_dir=root / "base", loras_dir=root / "models" / "loras",
                         checkpoints_dir=root / "models" / "checkpoints")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pack_module_name() -> str:
    """The module name ComfyUI gives the pack: its folder name under custom_nodes/."""
    return PACK_FOLDER_NAME


@pytest.fixture(scope="session")
def comfy():
    from lwb_testkit.comfy_inprocess import load_comfy

    return load_comfy()
