"""GET /mad-nodes/lora-preview: the first sidecar in seed 004's order, its content type, 404 otherwise."""

import pytest
from lora_weights_builder.modules.inspection.sidecars import PREVIEW_SUFFIXES
from lora_weights_builder.routes.preview_routes import PreviewRoutes
from lwb_testkit.route_app import make_route_library, routes_app

TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
         ".mp4": "video/mp4", ".webm": "video/webm"}


@pytest.fixture
def lib(tmp_path):
    lib = make_route_library(tmp_path)
    (lib.loras / "sub").mkdir()
    (lib.loras / "sub" / "my.lora.safetensors").write_bytes(b"lora")
    return lib


@pytest.fixture
async def client(aiohttp_client, lib):
    return await aiohttp_client(routes_app(PreviewRoutes(lib.folders)))


async def test_each_candidate_wins_over_the_later_ones(client, lib):
    folder = lib.loras / "sub"
    for suffix in reversed(PREVIEW_SUFFIXES):  # add from lowest priority up: each new file must take over
        (folder / f"my.lora{suffix}").write_bytes(suffix.encode())
        resp = await client.get("/mad-nodes/lora-preview", params={"lora_name": "sub/my.lora.safetensors"})
        assert resp.status == 200
        assert await resp.read() == suffix.encode()
        assert resp.headers["Content-Type"] == TYPES["." + suffix.rsplit(".", 1)[1]]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_no_preview_and_bad_names(client, lib):
    (lib.outside / "x.png").write_bytes(b"secret")
    (lib.outside / "x.safetensors").write_bytes(b"x")
    for params, status in [({}, 404), ({"lora_name": "sub/my.lora.safetensors"}, 404),
                           ({"lora_name": "nope.safetensors"}, 404),
                           ({"lora_name": "../../outside/x.safetensors"}, 400),
                           ({"lora_name": str(lib.outside / "x.safetensors")}, 400)]:
        resp = await client.get("/mad-nodes/lora-preview", params=params)
        assert resp.status == status, params
        assert "error" in await resp.json()


async def test_preview_symlink_leading_outside_is_not_served(client, lib):
    (lib.outside / "secret.png").write_bytes(b"secret")
    (lib.loras / "sub" / "my.lora.preview.png").symlink_to(lib.outside / "secret.png")
    resp = await client.get("/mad-nodes/lora-preview", params={"lora_name": "sub/my.lora.safetensors"})
    assert resp.status == 404
    assert b"secret" not in await resp.read()


async def test_linked_root_serves_previews(aiohttp_client, tmp_path):
    lib = make_route_library(tmp_path, linked_root=True)
    (lib.loras / "a.safetensors").write_bytes(b"x")
    (lib.loras / "a.webp").write_bytes(b"webp")
    client = await aiohttp_client(routes_app(PreviewRoutes(lib.folders)))
    resp = await client.get("/mad-nodes/lora-preview", params={"lora_name": "a.safetensors"})
    assert (resp.status, await resp.read(), resp.headers["Content-Type"]) == (200, b"webp", "image/webp")
