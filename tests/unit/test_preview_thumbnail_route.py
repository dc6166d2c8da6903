"""GET /mad-nodes/lora-preview?size=N: a small WebP of a full-size preview for the library grid's cards.

Expected sizes and colours come from the images the tests draw (half red / half blue, transparent corner),
read back with Pillow; the cache bound is checked on the cache itself.
"""

import io
import os

import pytest
from lora_weights_builder.modules.library.preview_thumbnail import ThumbnailCache
from lora_weights_builder.routes.preview_routes import PreviewRoutes
from lwb_testkit.route_app import make_route_library, routes_app
from PIL import Image

NAME = "sub/big.safetensors"


def _halves(path, size=(1200, 1800), kind="PNG"):
    """A full-size preview: left half red, right half blue."""
    img = Image.new("RGB", size, (220, 20, 20))
    img.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    img.save(path, format=kind)
    return path


def _near(rgb, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(rgb[:3], expected, strict=True))


@pytest.fixture
def lib(tmp_path):
    lib = make_route_library(tmp_path)
    (lib.loras / "sub").mkdir()
    (lib.loras / NAME).write_bytes(b"lora")
    return lib


@pytest.fixture
async def client(aiohttp_client, lib):
    return await aiohttp_client(routes_app(PreviewRoutes(lib.folders)))


async def _get(client, **params):
    return await client.get("/mad-nodes/lora-preview", params={"lora_name": NAME, **params})


@pytest.mark.parametrize("suffix,kind", [(".preview.png", "PNG"), (".jpg", "JPEG"), (".webp", "WEBP")])
async def test_a_full_size_preview_comes_back_small_with_its_picture(client, lib, suffix, kind):
    source = _halves(lib.loras / "sub" / f"big{suffix}", kind=kind)
    resp = await _get(client, size="128")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/webp"
    body = await resp.read()
    assert len(body) < source.stat().st_size / 5
    thumb = Image.open(io.BytesIO(body)).convert("RGB")
    assert thumb.size == (85, 128), "fits a 128 px square, aspect 2:3 kept"
    assert _near(thumb.getpixel((10, 64)), (220, 20, 20)) and _near(thumb.getpixel((75, 64)), (20, 20, 220))


async def test_transparency_is_kept(client, lib):
    img = Image.new("RGBA", (600, 600), (0, 200, 0, 255))
    img.paste((0, 0, 0, 0), (0, 0, 300, 300))
    img.save(lib.loras / "sub" / "big.png")
    thumb = Image.open(io.BytesIO(await (await _get(client, size="64")).read()))
    assert thumb.mode == "RGBA" and thumb.size == (64, 64)
    assert thumb.getpixel((5, 5))[3] == 0 and thumb.getpixel((60, 60))[3] == 255


async def test_a_preview_that_already_fits_is_served_as_it_is(client, lib):
    source = _halves(lib.loras / "sub" / "big.png", size=(40, 30))
    resp = await _get(client, size="256")
    assert (resp.status, resp.headers["Content-Type"], await resp.read()) == (200, "image/png", source.read_bytes())


async def test_revisit_is_a_304_and_an_edited_preview_is_thumbnailed_again(client, lib):
    path = _halves(lib.loras / "sub" / "big.png")
    first = await _get(client, size="96")
    etag = first.headers["ETag"]
    again = await client.get("/mad-nodes/lora-preview", params={"lora_name": NAME, "size": "96"},
                             headers={"If-None-Match": etag})
    assert again.status == 304
    Image.new("RGB", (900, 900), (20, 200, 20)).save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    edited = await client.get("/mad-nodes/lora-preview", params={"lora_name": NAME, "size": "96"},
                              headers={"If-None-Match": etag})
    assert edited.status == 200 and edited.headers["ETag"] != etag
    thumb = Image.open(io.BytesIO(await edited.read())).convert("RGB")
    assert thumb.size == (96, 96) and _near(thumb.getpixel((48, 48)), (20, 200, 20))


async def test_bad_sizes_and_unreadable_previews_are_refused_by_name(client, lib):
    _halves(lib.loras / "sub" / "big.png")
    for size in ["abc", "8", "100000", "", "12.5"]:
        resp = await _get(client, size=size)
        assert resp.status == 400, size
        assert "size" in (await resp.json())["error"]
    (lib.loras / "sub" / "big.png").write_bytes(b"not an image at all")
    resp = await _get(client, size="64")
    assert resp.status == 422
    assert NAME in (await resp.json())["error"]


async def test_without_size_the_preview_is_served_whole_and_videos_always_are(client, lib):
    source = _halves(lib.loras / "sub" / "big.png")
    resp = await _get(client)
    assert (resp.status, await resp.read()) == (200, source.read_bytes())
    source.unlink()
    (lib.loras / "sub" / "big.mp4").write_bytes(b"video bytes")
    resp = await _get(client, size="64")
    assert (resp.status, await resp.read(), resp.headers["Content-Type"]) == (200, b"video bytes", "video/mp4")


async def test_a_preview_linked_from_outside_is_not_thumbnailed(client, lib):
    secret = _halves(lib.outside / "secret.png")
    (lib.loras / "sub" / "big.preview.png").symlink_to(secret)
    resp = await _get(client, size="64")
    assert resp.status == 404
    assert "image" not in resp.headers["Content-Type"]


def test_the_cache_is_bounded_by_bytes_and_drops_the_least_recently_used(tmp_path):
    paths = [_halves(tmp_path / f"p{i}.png", size=(300, 300)) for i in range(4)]
    one = len(ThumbnailCache().get(paths[0], 64))
    cache = ThumbnailCache(max_bytes=one * 2 + one // 2)  # room for two
    for p in paths[:3]:
        cache.get(p, 64)
    assert len(cache) == 2
    keys = list(cache._items)
    assert [k[0] for k in keys] == [str(paths[1]), str(paths[2])]
    cache.get(paths[1], 64)  # used again: now the most recent
    cache.get(paths[3], 64)
    assert [k[0] for k in cache._items] == [str(paths[1]), str(paths[3])]
