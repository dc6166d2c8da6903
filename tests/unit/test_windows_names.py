"""Windows portable build: names ComfyUI lists with backslashes (`styles\\ink.safetensors`) work in the routes
and in schedule strings, and the pure path rules hold under Windows (ntpath) and POSIX (posixpath) semantics
on any OS. The Windows listing comes from `lwb_testkit.windows_folders`, which does what ComfyUI's
folder_paths does there (names with backslashes, either separator accepted by full_path)."""

import asyncio
import dataclasses
import json
import ntpath
import posixpath

import pytest
from lora_weights_builder.modules.inspection.lora_names import listed_spelling, resolve_lora_name
from lora_weights_builder.modules.library.walk import library_name
from lora_weights_builder.modules.schedule import LoraItem, parse_schedule_string, serialize_schedule
from lora_weights_builder.routes.inspect_routes import InspectRoutes
from lora_weights_builder.routes.library_routes import LibraryRoutes
from lora_weights_builder.routes.name_guard import InvalidName, _inside, validate_name
from lora_weights_builder.routes.preview_routes import PreviewRoutes
from lora_weights_builder.routes.stats_jobs import StatsJobs
from lwb_testkit.library_index import tiny_lora
from lwb_testkit.lora_factory import make_lora
from lwb_testkit.route_app import make_route_library, routes_app
from lwb_testkit.windows_folders import windows_model_folders

WINDOWS_REFUSED = ["..\\x.safetensors", "a\\..\\..\\x.safetensors", "a\\.\\x.safetensors", "a\\\\x.safetensors",
                   "\\x.safetensors", "\\\\server\\share\\x.safetensors", "C:\\x.safetensors", "c:x.safetensors",
                   "a/..\\x.safetensors", "a\\"]
BOTH_ACCEPTED = ["x.safetensors", "styles/ink.safetensors", "é/ünï cödé.safetensors"]


@pytest.mark.parametrize("name", WINDOWS_REFUSED)
def test_windows_names_leaving_the_folder_are_refused_under_both_semantics(name):
    for separator in ("\\", "/"):
        with pytest.raises(InvalidName):
            validate_name(name, separator)


@pytest.mark.parametrize("name", BOTH_ACCEPTED)
def test_plain_names_pass_under_both_semantics(name):
    assert validate_name(name, "\\") == name == validate_name(name, "/")


def test_backslash_is_a_separator_on_windows_and_refused_on_posix():
    assert validate_name("styles\\ink.safetensors", "\\") == "styles\\ink.safetensors"
    with pytest.raises(InvalidName, match="backslash"):
        validate_name("styles\\ink.safetensors", "/")


@pytest.mark.parametrize(("pathmod", "path", "folder", "inside"), [
    (ntpath, "C:\\Models\\loras\\styles\\ink.safetensors", "C:\\Models\\loras", True),
    (ntpath, "c:\\models\\LORAS\\ink.safetensors", "C:\\Models\\loras", True),  # Windows ignores case
    (ntpath, "C:/Models/loras/ink.safetensors", "C:\\Models\\loras", True),     # and takes either separator
    (ntpath, "D:\\Models\\loras\\ink.safetensors", "C:\\Models\\loras", False),  # another drive
    (ntpath, "C:\\Models\\loras2\\ink.safetensors", "C:\\Models\\loras", False),
    (posixpath, "/models/loras/styles/ink.safetensors", "/models/loras", True),
    (posixpath, "/models/LORAS/ink.safetensors", "/models/loras", False),       # POSIX does not
    (posixpath, "/models/loras2/ink.safetensors", "/models/loras", False),
])
def test_inside_a_model_folder(pathmod, path, folder, inside):
    assert _inside(path, folder, pathmod) is inside


def test_listed_spelling_per_separator():
    listed = ["styles\\ink.safetensors", "ink.safetensors"]
    assert listed_spelling("styles/ink.safetensors", listed, "\\") == "styles\\ink.safetensors"
    assert listed_spelling("styles\\ink.safetensors", listed, "\\") == "styles\\ink.safetensors"
    assert listed_spelling("styles/ink.safetensors", listed, "/") is None  # on POSIX `\` is part of a name
    assert listed_spelling("styles/other.safetensors", listed, "\\") is None


@pytest.fixture
def windows_lib(tmp_path):
    lib = make_route_library(tmp_path)
    make_lora(lib.loras / "styles" / "ink.safetensors", arch="SDXL", seed=3)
    (lib.loras / "styles" / "ink.png").write_bytes(b"\x89PNG preview")
    return windows_model_folders({"loras": [lib.loras], "checkpoints": [lib.checkpoints]})


@pytest.mark.parametrize("name", ["styles\\ink.safetensors", "styles/ink.safetensors"])
async def test_inspect_route_takes_either_spelling_of_a_windows_name(aiohttp_client, windows_lib, name):
    assert windows_lib.list_names("loras") == ["styles\\ink.safetensors"]
    client = await aiohttp_client(routes_app(InspectRoutes(windows_lib, stats_jobs=StatsJobs(1))))
    resp = await client.get("/mad-nodes/inspect-lora", params={"lora_name": name})
    body = json.loads(await resp.text())
    assert resp.status == 200, body
    assert body["arch"] == "SDXL"


@pytest.mark.parametrize("name", ["styles\\ink.safetensors", "styles/ink.safetensors"])
async def test_preview_route_takes_either_spelling_of_a_windows_name(aiohttp_client, windows_lib, name):
    client = await aiohttp_client(routes_app(PreviewRoutes(windows_lib)))
    resp = await client.get("/mad-nodes/lora-preview", params={"lora_name": name})
    assert resp.status == 200
    assert await resp.read() == b"\x89PNG preview"


async def test_windows_escapes_are_refused_by_the_routes(aiohttp_client, windows_lib):
    client = await aiohttp_client(routes_app(PreviewRoutes(windows_lib)))
    for name in ("..\\ink.png", "styles\\..\\..\\secret.safetensors", "C:\\Windows\\win.ini"):
        resp = await client.get("/mad-nodes/lora-preview", params={"lora_name": name})
        assert resp.status == 400, name


def test_schedule_string_of_a_windows_name_is_written_and_read_back():
    listed = ["styles\\ink.safetensors", "portraits\\aiko.safetensors"]
    items = [LoraItem(lora_name="styles\\ink.safetensors", strength_model=0.8, strength_clip=1.0)]
    text = serialize_schedule(items)
    assert text.startswith("<lora:ink:0.8:1")
    (read,) = parse_schedule_string(text)
    assert resolve_lora_name(read.lora_name, listed) == "styles\\ink.safetensors"
    # A name with its folder, either separator, resolves to ComfyUI's spelling too.
    assert resolve_lora_name("styles/ink.safetensors", listed) == "styles\\ink.safetensors"


async def test_profile_resolves_for_a_windows_name_of_an_indexed_lora(aiohttp_client, tmp_path):
    """The library indexes '/'-separated names; the editor sends ComfyUI's Windows spelling."""
    lib = make_route_library(tmp_path)
    tiny_lora(lib.loras / "faces" / "face_sdxl.safetensors", arch="SDXL", seed=1)
    folders = dataclasses.replace(windows_model_folders({"loras": [lib.loras], "checkpoints": [lib.checkpoints]}),
                                  user_dir=lambda: str(tmp_path / "user"))
    group = LibraryRoutes(folders)
    client = await aiohttp_client(routes_app(group))
    assert (await client.post("/mad-nodes/library/rescan")).status == 202
    assert await asyncio.to_thread(group.library.wait, 120)
    for name in ("faces\\face_sdxl.safetensors", "faces/face_sdxl.safetensors"):
        resp = await client.get("/mad-nodes/profiles/resolve", params={"preset": "LINEAR", "lora": name})
        body = await resp.json()
        assert resp.status == 200, body
        assert body["lora"] == "faces/face_sdxl.safetensors" and body["kind"] == "builtin"


def test_library_names_are_slash_separated_on_every_os():
    assert library_name("faces\\face.safetensors", "\\") == "faces/face.safetensors"
    assert library_name("faces\\face.safetensors", "/") == "faces\\face.safetensors"  # a POSIX file name
